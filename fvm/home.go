package fvm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/pelletier/go-toml/v2"
)

// Fluvio's on-disk layout (spec §1.3):
//
//	~/.fvm/                     FVM home ($FVM_WORKDIR_NAME replaces ".fvm")
//	  bin/fvm                   the installed fvm
//	  env                       POSIX snippet putting bin dirs on PATH
//	  settings.toml             active channel and version (+ registry, ours)
//	  versions/<dir>/           one installed set: binaries + manifest.json
//	  versions/.install-*       a set being downloaded (renamed into place)
//	~/.fluvio/bin/              the active set's binaries, copied
const (
	defaultWorkdirName = ".fvm"
	settingsFile       = "settings.toml"
	manifestFile       = "manifest.json"
	envFile            = "env"
	versionsDir        = "versions"
	binDir             = "bin"
	fluvioDir          = ".fluvio"
)

// Home is where fvm keeps its files.
type Home struct {
	// User is the user's home directory.
	User string
	// Root is ~/.fvm.
	Root string
}

// NewHome locates fvm's home under the user's home directory.
func NewHome(user string) Home {
	name := os.Getenv("FVM_WORKDIR_NAME")
	if name == "" || strings.ContainsAny(name, `/\`) {
		name = defaultWorkdirName
	}
	return Home{User: user, Root: filepath.Join(user, name)}
}

func (h Home) binDir() string             { return filepath.Join(h.Root, binDir) }
func (h Home) versionsDir() string        { return filepath.Join(h.Root, versionsDir) }
func (h Home) versionDir(d string) string { return filepath.Join(h.Root, versionsDir, d) }
func (h Home) settingsPath() string       { return filepath.Join(h.Root, settingsFile) }

// FluvioBin is ~/.fluvio/bin, where the active set is copied.
func (h Home) FluvioBin() string { return filepath.Join(h.User, fluvioDir, binDir) }

// ChannelKind says how a set was chosen.
type ChannelKind int

// Channel kinds, in Fluvio's ordering (spec §1.5): Stable > Latest > Tag > Other.
const (
	KindOther ChannelKind = iota
	KindTag
	KindLatest
	KindStable
)

// Channel is Fluvio's Channel: stable, latest, a version tag or a label.
type Channel struct {
	Kind  ChannelKind
	Value string // the version or label; empty for stable and latest
}

// ParseChannel parses case-insensitively: stable, latest, semver, else label.
func ParseChannel(s string) Channel {
	l := strings.ToLower(strings.TrimSpace(s))
	switch l {
	case "stable":
		return Channel{Kind: KindStable}
	case "latest":
		return Channel{Kind: KindLatest}
	}
	if v, err := semver.StrictNewVersion(strings.TrimPrefix(l, "v")); err == nil {
		return Channel{Kind: KindTag, Value: v.Original()}
	}
	return Channel{Kind: KindOther, Value: strings.TrimSpace(s)}
}

// String is the display form, also the versions/ directory name.
func (c Channel) String() string {
	switch c.Kind {
	case KindStable:
		return "stable"
	case KindLatest:
		return "latest"
	}
	return c.Value
}

// IsVersionTag is true for static tags and labels, which update refuses.
func (c Channel) IsVersionTag() bool { return c.Kind == KindTag || c.Kind == KindOther }

// Less orders channels ascending.
func (c Channel) Less(o Channel) bool {
	if c.Kind != o.Kind {
		return c.Kind < o.Kind
	}
	if c.Kind == KindTag {
		a, errA := semver.StrictNewVersion(c.Value)
		b, errB := semver.StrictNewVersion(o.Value)
		if errA == nil && errB == nil {
			return a.LessThan(b)
		}
	}
	return c.Value < o.Value
}

// MarshalJSON writes Fluvio's encoding: "stable", "latest", {"tag": v}, {"other": l}.
func (c Channel) MarshalJSON() ([]byte, error) {
	switch c.Kind {
	case KindStable, KindLatest:
		return json.Marshal(c.String())
	case KindTag:
		return json.Marshal(map[string]string{"tag": c.Value})
	}
	return json.Marshal(map[string]string{"other": c.Value})
}

// UnmarshalJSON reads Fluvio's encoding.
func (c *Channel) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		switch s {
		case "stable", "Stable":
			*c = Channel{Kind: KindStable}
		case "latest", "Latest":
			*c = Channel{Kind: KindLatest}
		default:
			return fmt.Errorf("fvm: unknown channel %q", s)
		}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("fvm: channel: %w", err)
	}
	ch, err := channelFromTable(m)
	if err != nil {
		return err
	}
	*c = ch
	return nil
}

func channelFromTable(m map[string]string) (Channel, error) {
	if v, ok := m["tag"]; ok {
		return Channel{Kind: KindTag, Value: v}, nil
	}
	if v, ok := m["other"]; ok {
		return Channel{Kind: KindOther, Value: v}, nil
	}
	return Channel{}, errors.New("fvm: channel table needs tag or other")
}

// Manifest is versions/<dir>/manifest.json (spec §1.4), plus the release
// index digest, which lets update notice a rebuilt release.
type Manifest struct {
	Channel  Channel   `json:"channel"`
	Version  string    `json:"version"`
	Contents []Content `json:"contents,omitempty"`
	Digest   string    `json:"digest,omitempty"`
}

// Content is one binary of a set.
type Content struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// maxSmallFile bounds manifest.json and settings.toml reads.
const maxSmallFile = 1 << 20

// ParseManifest decodes manifest.json.
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("fvm: manifest.json: %w", err)
	}
	if m.Version == "" {
		return nil, errors.New("fvm: manifest.json: no version")
	}
	return &m, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSmallFile {
		return nil, fmt.Errorf("fvm: %s is larger than %d bytes", path, maxSmallFile)
	}
	return b, nil
}

// ReadManifest reads versions/<dir>/manifest.json.
func (h Home) ReadManifest(dir string) (*Manifest, error) {
	b, err := readSmall(filepath.Join(h.versionDir(dir), manifestFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("failed to find manifest file in version directory %s: %w", h.versionDir(dir), err)
		}
		return nil, err
	}
	return ParseManifest(b)
}

// Installed lists installed sets (directories with a manifest), sorted by
// channel, highest first.
func (h Home) Installed() ([]*Manifest, error) {
	ents, err := os.ReadDir(h.versionsDir())
	if err != nil {
		return nil, err
	}
	var out []*Manifest
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		m, err := h.ReadManifest(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[j].Channel.Less(out[i].Channel) })
	return out, nil
}

// Settings is settings.toml: the active set and, our addition, the
// registry fvm installs from.
type Settings struct {
	Channel  *Channel
	Version  string
	Registry string
}

type settingsTOML struct {
	Channel  any    `toml:"channel"`
	Version  string `toml:"version"`
	Registry string `toml:"registry"`
}

// ParseSettings decodes settings.toml; an empty file is valid.
func ParseSettings(b []byte) (*Settings, error) {
	var raw settingsTOML
	if err := toml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("fvm: settings.toml: %w", err)
	}
	s := &Settings{Version: raw.Version, Registry: raw.Registry}
	switch c := raw.Channel.(type) {
	case nil:
	case string:
		ch := ParseChannel(c)
		if ch.Kind != KindStable && ch.Kind != KindLatest {
			return nil, fmt.Errorf("fvm: settings.toml: channel %q is not stable or latest", c)
		}
		s.Channel = &ch
	case map[string]any:
		m := map[string]string{}
		for k, v := range c {
			if sv, ok := v.(string); ok {
				m[k] = sv
			}
		}
		ch, err := channelFromTable(m)
		if err != nil {
			return nil, fmt.Errorf("fvm: settings.toml: %w", err)
		}
		s.Channel = &ch
	default:
		return nil, fmt.Errorf("fvm: settings.toml: channel has type %T", c)
	}
	return s, nil
}

// Encode writes settings.toml in Fluvio's shape (spec §1.4).
func (s *Settings) Encode() []byte {
	var b bytes.Buffer
	q := func(v string) string { x, _ := json.Marshal(v); return string(x) }
	if s.Channel != nil && !s.Channel.IsVersionTag() {
		fmt.Fprintf(&b, "channel = %s\n", q(s.Channel.String()))
	}
	if s.Version != "" {
		fmt.Fprintf(&b, "version = %s\n", q(s.Version))
	}
	if s.Registry != "" {
		fmt.Fprintf(&b, "registry = %s\n", q(s.Registry))
	}
	if s.Channel != nil && s.Channel.IsVersionTag() {
		key := "tag"
		if s.Channel.Kind == KindOther {
			key = "other"
		}
		fmt.Fprintf(&b, "\n[channel]\n%s = %s\n", key, q(s.Channel.Value))
	}
	return b.Bytes()
}

// ReadSettings reads settings.toml, creating an empty one if missing.
func (h Home) ReadSettings() (*Settings, error) {
	b, err := readSmall(h.settingsPath())
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(h.Root, 0o755); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(h.settingsPath(), nil, 0o644); err != nil {
			return nil, err
		}
		return &Settings{}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseSettings(b)
}

// WriteSettings replaces settings.toml atomically.
func (h Home) WriteSettings(s *Settings) error {
	if err := os.MkdirAll(h.Root, 0o755); err != nil {
		return err
	}
	return writeFileAtomic(h.settingsPath(), s.Encode(), 0o644)
}

// writeFileAtomic writes a temp file next to path and renames it over path.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), perm)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// copyFileAtomic copies src to dst through a temp file and a rename, so a
// reader never sees half a binary and macOS drops its code-signature cache
// for the old inode (Fluvio #3735).
func copyFileAtomic(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), perm)
	}
	if err == nil {
		err = os.Rename(f.Name(), dst)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// envScript is ~/.fvm/env.
func (h Home) envScript() string {
	rel, err := filepath.Rel(h.User, h.Root)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = defaultWorkdirName
	}
	return fmt.Sprintf(`#!/bin/sh
# fvm: put fvm and the active Fluvio binaries on PATH. Use: . "$HOME/%[1]s/env"
case ":${PATH}:" in
    *:"$HOME/%[1]s/bin":*) ;;
    *) export PATH="$HOME/%[1]s/bin:$HOME/.fluvio/bin:$PATH" ;;
esac
`, filepath.ToSlash(rel))
}
