package fluvio_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	fluvio "github.com/gofluvio/fluvio"
	"github.com/gofluvio/fluvio/hub/targets"
)

// goreleaserTarget is how .goreleaser.yaml names a target.
func goreleaserTarget(t targets.Target) string {
	s := t.GOOS + "_" + t.GOARCH
	switch {
	case t.GOARM != "":
		return s + "_" + t.GOARM
	case t.GOARCH == "amd64":
		return s + "_v1"
	case t.GOARCH == "arm64":
		return s + "_v8.0"
	}
	return s
}

type goreleaserConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		ID      string   `yaml:"id"`
		Binary  string   `yaml:"binary"`
		Main    string   `yaml:"main"`
		Env     []string `yaml:"env"`
		Ldflags []string `yaml:"ldflags"`
		Targets []string `yaml:"targets"`
	} `yaml:"builds"`
	Archives []struct {
		NameTemplate string `yaml:"name_template"`
	} `yaml:"archives"`
	Checksum struct {
		Algorithm string `yaml:"algorithm"`
	} `yaml:"checksum"`
}

func TestTiersYAMLParses(t *testing.T) {
	s, err := targets.Parse(fluvio.TiersYAML)
	require.NoError(t, err)
	byTier := map[int][]string{}
	for _, tg := range s.Targets {
		byTier[tg.Tier] = append(byTier[tg.Tier], tg.Triple)
		require.True(t, tg.Has("fvm"), "fvm builds for every target; %s lacks it", tg.Triple)
		require.True(t, tg.Has("fluvio"), "fluvio builds for every target; %s lacks it", tg.Triple)
	}
	require.Equal(t, []string{"x86_64-unknown-linux-musl"}, byTier[1])
	for _, want := range []string{"aarch64-unknown-linux-musl", "x86_64-pc-windows-msvc", "aarch64-apple-darwin",
		"x86_64-apple-darwin", "arm-unknown-linux-gnueabihf", "armv7-unknown-linux-gnueabihf"} {
		require.Contains(t, byTier[2], want)
	}
	w, err := s.Lookup("x86_64-pc-windows-gnu")
	require.NoError(t, err)
	require.Equal(t, "x86_64-pc-windows-msvc", w.Triple, "the gnu label is an alias of msvc")
}

// TestGoreleaserAgreesWithTiers fails when .goreleaser.yaml builds a binary
// for a different set of targets than tiers.yaml lists, stamps versions
// through other ldflags than the Makefile, or names archives otherwise than
// by triple.
func TestGoreleaserAgreesWithTiers(t *testing.T) {
	raw, err := os.ReadFile(".goreleaser.yaml")
	require.NoError(t, err)
	var cfg goreleaserConfig
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	require.Equal(t, 2, cfg.Version, "goreleaser v2 schema")
	require.Equal(t, "sha256", cfg.Checksum.Algorithm)

	want := map[string][]string{} // binary → goreleaser targets
	for _, tg := range targets.All() {
		for _, b := range tg.Binaries {
			want[b] = append(want[b], goreleaserTarget(tg))
		}
	}
	got := map[string][]string{}
	makefile, err := os.ReadFile("Makefile")
	require.NoError(t, err)
	pkg := regexp.MustCompile(`(?m)^PKG\s*:=\s*(\S+)`).FindSubmatch(makefile)
	require.NotNil(t, pkg, "Makefile defines PKG for its -X ldflags")
	for _, b := range cfg.Builds {
		require.Equal(t, "./cmd/"+b.Binary, b.Main)
		require.Contains(t, b.Env, "CGO_ENABLED=0", "static builds")
		ld := strings.Join(b.Ldflags, " ")
		for _, v := range []string{"Version", "Commit", "Date"} {
			require.Contains(t, ld, "-X "+string(pkg[1])+"."+v+"=", "build %s stamps %s like the Makefile", b.ID, v)
		}
		got[b.Binary] = append(got[b.Binary], b.Targets...)
	}
	for b := range want {
		sort.Strings(want[b])
		sort.Strings(got[b])
	}
	require.Equal(t, want, got, "per-binary targets of .goreleaser.yaml vs tiers.yaml")

	require.Len(t, cfg.Archives, 1)
	tmpl, err := template.New("archive").Parse(cfg.Archives[0].NameTemplate)
	require.NoError(t, err)
	for _, tg := range targets.All() {
		var out bytes.Buffer
		require.NoError(t, tmpl.Execute(&out, map[string]string{
			"ProjectName": "fluvio", "Version": "1.2.3", "Os": tg.GOOS, "Arch": tg.GOARCH, "Arm": tg.GOARM,
		}))
		require.Equal(t, "fluvio-1.2.3-"+tg.Triple, strings.TrimSpace(out.String()), "archive name for %s", tg.Triple)
	}
}

type ciWorkflow struct {
	Jobs map[string]struct {
		Strategy struct {
			Matrix struct {
				Include []struct {
					Triple   string `yaml:"triple"`
					GOOS     string `yaml:"goos"`
					GOARCH   string `yaml:"goarch"`
					GOARM    string `yaml:"goarm"`
					Tier     int    `yaml:"tier"`
					Binaries string `yaml:"binaries"`
				} `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
	} `yaml:"jobs"`
}

// TestCIMatrixAgreesWithTiers fails when the cross job of ci.yml builds
// other targets or binaries than tiers.yaml lists. Regenerate the include
// list with `go run ./cmd/fluvio-run hub targets --ci-matrix`.
func TestCIMatrixAgreesWithTiers(t *testing.T) {
	raw, err := os.ReadFile(".github/workflows/ci.yml")
	require.NoError(t, err)
	var wf ciWorkflow
	require.NoError(t, yaml.Unmarshal(raw, &wf))
	cross, ok := wf.Jobs["cross"]
	require.True(t, ok, "ci.yml has a cross job")
	var got, want []targets.Target
	for _, e := range cross.Strategy.Matrix.Include {
		got = append(got, targets.Target{Triple: e.Triple, GOOS: e.GOOS, GOARCH: e.GOARCH, GOARM: e.GOARM,
			Tier: e.Tier, Binaries: strings.Fields(e.Binaries)})
	}
	for _, tg := range targets.All() {
		tg.Aliases = nil
		want = append(want, tg)
	}
	require.Equal(t, want, got, "ci.yml cross matrix vs tiers.yaml; regenerate with: go run ./cmd/fluvio-run hub targets --ci-matrix")
}

func TestInstallScriptShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck not installed (apt-get install -y shellcheck); install.sh not linted")
	}
	out, err := exec.Command(sc, "--shell=sh", "install.sh", "scripts/cross.sh").CombinedOutput()
	require.NoError(t, err, "shellcheck:\n%s", out)
}

func TestInstallScriptIsPOSIXAndSelfContained(t *testing.T) {
	s := string(fluvio.InstallScript)
	require.True(t, strings.HasPrefix(s, "#!/bin/sh\n"))
	require.Contains(t, s, "__FLUVIO_HUB_URL__", "the Hub templates its URL into the script")
	var code []string // the script without comment lines
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			code = append(code, l)
		}
	}
	for _, banned := range []string{"unzip", "jq ", "[[", "function ", "local "} {
		require.NotContains(t, strings.Join(code, "\n"), banned, "install.sh must stay POSIX sh without jq or unzip")
	}
	if sh, err := exec.LookPath("sh"); err == nil {
		out, err := exec.Command(sh, "-n", "install.sh").CombinedOutput()
		require.NoError(t, err, "sh -n:\n%s", out)
	}
}
