// Package targets maps Rust-style target triples (the names Fluvio's
// installer, fvm and Hub use) to Go builds, as declared in tiers.yaml at the
// repository root. Spec: distribution.md §4.
package targets

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	fluvio "github.com/gofluvio/fluvio"
)

// ErrUnsupported is returned for a triple or platform that tiers.yaml does not list.
var ErrUnsupported = errors.New("targets: unsupported platform")

// Target is one entry of tiers.yaml.
type Target struct {
	// Triple is the Rust-style target triple, e.g. x86_64-unknown-linux-musl.
	Triple string `yaml:"triple" json:"triple"`
	// GOOS, GOARCH and GOARM are the Go build that produces the target.
	GOOS   string `yaml:"goos" json:"goos"`
	GOARCH string `yaml:"goarch" json:"goarch"`
	GOARM  string `yaml:"goarm,omitempty" json:"goarm,omitempty"`
	// Tier is 1 (built and tested in CI) or 2 (must build).
	Tier int `yaml:"tier" json:"tier"`
	// Binaries are the commands built for the target.
	Binaries []string `yaml:"binaries" json:"binaries"`
	// Aliases are other triples normalised to this one.
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
}

// Variant is the OCI platform variant: "v6"/"v7" for 32-bit ARM, "" otherwise.
func (t Target) Variant() string {
	if t.GOARM == "" {
		return ""
	}
	return "v" + t.GOARM
}

// Ext is the executable suffix: ".exe" on Windows.
func (t Target) Ext() string {
	if t.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// Has reports whether binary is built for the target.
func (t Target) Has(binary string) bool { return slices.Contains(t.Binaries, binary) }

// Set is the parsed tiers.yaml.
type Set struct {
	Targets []Target `yaml:"targets"`
}

// Parse decodes and validates a tiers.yaml document.
func Parse(data []byte) (*Set, error) {
	var s Set
	if err := yaml.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("targets: parse tiers.yaml: %w", err)
	}
	if len(s.Targets) == 0 {
		return nil, errors.New("targets: tiers.yaml lists no targets")
	}
	seen := map[string]bool{}
	plat := map[string]bool{}
	for i := range s.Targets {
		// Triples are matched case-insensitively: store them lower-case.
		s.Targets[i].Triple = strings.ToLower(strings.TrimSpace(s.Targets[i].Triple))
		for j, a := range s.Targets[i].Aliases {
			s.Targets[i].Aliases[j] = strings.ToLower(strings.TrimSpace(a))
		}
		t := s.Targets[i]
		switch {
		case t.Triple == "" || t.GOOS == "" || t.GOARCH == "":
			return nil, fmt.Errorf("targets: target %d: triple, goos and goarch are required", i)
		case t.Tier != 1 && t.Tier != 2:
			return nil, fmt.Errorf("targets: target %s: tier %d is not 1 or 2", t.Triple, t.Tier)
		case len(t.Binaries) == 0:
			return nil, fmt.Errorf("targets: target %s: no binaries", t.Triple)
		case t.GOARCH == "arm" && t.GOARM == "", t.GOARCH != "arm" && t.GOARM != "":
			return nil, fmt.Errorf("targets: target %s: goarm is required for goarch arm and only there", t.Triple)
		}
		for _, n := range append([]string{t.Triple}, t.Aliases...) {
			if n == "" {
				return nil, fmt.Errorf("targets: target %s: empty alias", t.Triple)
			}
			if seen[n] {
				return nil, fmt.Errorf("targets: triple %s listed twice", n)
			}
			seen[n] = true
		}
		p := t.GOOS + "/" + t.GOARCH + "/" + t.GOARM
		if plat[p] {
			return nil, fmt.Errorf("targets: platform %s listed twice", p)
		}
		plat[p] = true
	}
	return &s, nil
}

var embedded = func() *Set {
	s, err := Parse(fluvio.TiersYAML)
	if err != nil {
		panic(err) // tiers_test.go guards the embedded file
	}
	return s
}()

// All returns the targets of the embedded tiers.yaml in file order.
func All() []Target { return slices.Clone(embedded.Targets) }

// Lookup finds a target by triple or alias (case-insensitive).
func Lookup(triple string) (Target, error) { return embedded.Lookup(triple) }

// Lookup finds a target by triple or alias (case-insensitive).
func (s *Set) Lookup(triple string) (Target, error) {
	want := strings.ToLower(strings.TrimSpace(triple))
	for _, t := range s.Targets {
		if t.Triple == want || slices.Contains(t.Aliases, want) {
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("%w: %q (supported: %s)", ErrUnsupported, triple, strings.Join(s.Triples(), ", "))
}

// ForPlatform finds the target built with goos/goarch/goarm.
func ForPlatform(goos, goarch, goarm string) (Target, error) {
	return embedded.ForPlatform(goos, goarch, goarm)
}

// ForPlatform finds the target built with goos/goarch/goarm. goarm may carry
// a "v" prefix (OCI variant) and is ignored for other architectures.
func (s *Set) ForPlatform(goos, goarch, goarm string) (Target, error) {
	goarm = strings.TrimPrefix(goarm, "v")
	if goarch != "arm" {
		goarm = ""
	}
	for _, t := range s.Targets {
		if t.GOOS == goos && t.GOARCH == goarch && t.GOARM == goarm {
			return t, nil
		}
	}
	p := goos + "/" + goarch
	if goarm != "" {
		p += "/v" + goarm
	}
	return Target{}, fmt.Errorf("%w: %s (supported: %s)", ErrUnsupported, p, strings.Join(s.Triples(), ", "))
}

// Triples lists the canonical triples, sorted.
func (s *Set) Triples() []string {
	out := make([]string, 0, len(s.Targets))
	for _, t := range s.Targets {
		out = append(out, t.Triple)
	}
	sort.Strings(out)
	return out
}

// Host returns the target of the running binary. GOARM comes from the build
// settings the Go linker records; a linux/arm binary without it is treated
// as ARMv7.
func Host(goarm string) (Target, error) {
	if runtime.GOARCH == "arm" && goarm == "" {
		goarm = "7"
	}
	return ForPlatform(runtime.GOOS, runtime.GOARCH, goarm)
}
