package hub

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/gofluvio/fluvio/hub/targets"
)

// Goreleaser's dist directory: metadata.json carries the version, commit and
// date; artifacts.json lists every artifact, binaries with type "Binary".
const (
	distMetadataFile  = "metadata.json"
	distArtifactsFile = "artifacts.json"
	artifactBinary    = "Binary"
)

// Dist is a goreleaser-shaped dist directory read for publishing.
type Dist struct {
	Version string
	Commit  string
	Date    string
	// Targets maps a triple to its binaries, sorted by name.
	Targets map[string][]DistBinary
}

// DistBinary is one built executable in a dist.
type DistBinary struct {
	// Name is the command name (fluvio, fvm, ...), without .exe.
	Name string
	// File is the file name as installed (fvm.exe on Windows).
	File string
	// Path is where the file is on disk.
	Path string
}

// Triples returns the dist's triples, sorted.
func (d *Dist) Triples() []string {
	out := make([]string, 0, len(d.Targets))
	for t := range d.Targets {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

type distMetadata struct {
	ProjectName string `json:"project_name"`
	Tag         string `json:"tag"`
	Version     string `json:"version"`
	Commit      string `json:"commit"`
	Date        string `json:"date"`
}

type distArtifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
	GOARM  string `json:"goarm"`
	Type   string `json:"type"`
	Extra  struct {
		Binary string `json:"Binary"`
		Ext    string `json:"Ext"`
	} `json:"extra"`
}

// maxDistJSON bounds metadata.json and artifacts.json.
const maxDistJSON = 16 << 20

// ReadDist reads a goreleaser dist directory: metadata.json and the
// binaries artifacts.json lists. Binaries for platforms tiers.yaml does not
// know are an error, as are missing files.
func ReadDist(dir string) (*Dist, error) {
	meta, err := readBounded(filepath.Join(dir, distMetadataFile))
	if err != nil {
		return nil, fmt.Errorf("read dist %s: %w", dir, err)
	}
	arts, err := readBounded(filepath.Join(dir, distArtifactsFile))
	if err != nil {
		return nil, fmt.Errorf("read dist %s: %w", dir, err)
	}
	d, err := ParseDist(meta, arts)
	if err != nil {
		return nil, fmt.Errorf("read dist %s: %w", dir, err)
	}
	for triple, bins := range d.Targets {
		for i := range bins {
			// goreleaser records paths relative to where it ran
			// (dist/<build>_<target>/<file>); resolve them in dir.
			p := filepath.Join(dir, filepath.Base(filepath.Dir(bins[i].Path)), filepath.Base(bins[i].Path))
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("read dist %s: %s for %s: %w", dir, bins[i].Name, triple, err)
			}
			bins[i].Path = p
		}
	}
	return d, nil
}

func readBounded(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxDistJSON {
		return nil, fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalid, path, fi.Size(), maxDistJSON)
	}
	return os.ReadFile(path)
}

// ParseDist decodes goreleaser's metadata.json and artifacts.json. Paths in
// the result are as recorded, not resolved.
func ParseDist(metadataJSON, artifactsJSON []byte) (*Dist, error) {
	var m distMetadata
	if err := json.Unmarshal(metadataJSON, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, distMetadataFile, err)
	}
	var arts []distArtifact
	if err := json.Unmarshal(artifactsJSON, &arts); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, distArtifactsFile, err)
	}
	d := &Dist{Version: m.Version, Commit: m.Commit, Date: m.Date, Targets: map[string][]DistBinary{}}
	seen := map[string]bool{}
	for _, a := range arts {
		if a.Type != artifactBinary {
			continue
		}
		t, err := targets.ForPlatform(a.GOOS, a.GOARCH, a.GOARM)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: artifact %s: %v", ErrInvalid, distArtifactsFile, a.Path, err)
		}
		name := a.Extra.Binary
		if name == "" {
			name = a.Name
		}
		file := filepath.Base(a.Path)
		if name == "" || file == "." || file == string(filepath.Separator) || file != filepath.Base(file) {
			return nil, fmt.Errorf("%w: %s: artifact without a name or path", ErrInvalid, distArtifactsFile)
		}
		key := t.Triple + "/" + name
		if seen[key] {
			return nil, fmt.Errorf("%w: %s: %s listed twice for %s", ErrInvalid, distArtifactsFile, name, t.Triple)
		}
		seen[key] = true
		d.Targets[t.Triple] = append(d.Targets[t.Triple], DistBinary{Name: name, File: file, Path: a.Path})
	}
	if len(d.Targets) == 0 {
		return nil, fmt.Errorf("%w: %s lists no binaries", ErrInvalid, distArtifactsFile)
	}
	for _, bins := range d.Targets {
		sort.Slice(bins, func(i, j int) bool { return bins[i].Name < bins[j].Name })
	}
	return d, nil
}

// WriteDist writes metadata.json and artifacts.json describing binaries
// already placed at dir/<name>_<goos>_<goarch>[_<goarm>]/<file>, the way
// goreleaser lays them out. Tests and `hub publish --build` use it to make a
// dist without running goreleaser.
func WriteDist(dir string, d *Dist) error {
	m := distMetadata{ProjectName: "fluvio", Tag: "v" + d.Version, Version: d.Version, Commit: d.Commit, Date: d.Date}
	var arts []distArtifact
	for _, triple := range d.Triples() {
		t, err := targets.Lookup(triple)
		if err != nil {
			return err
		}
		for _, b := range d.Targets[triple] {
			rel, err := filepath.Rel(filepath.Dir(dir), b.Path)
			if err != nil {
				return err
			}
			a := distArtifact{Name: b.File, Path: filepath.ToSlash(rel), GOOS: t.GOOS, GOARCH: t.GOARCH, GOARM: t.GOARM, Type: artifactBinary}
			a.Extra.Binary = b.Name
			a.Extra.Ext = t.Ext()
			arts = append(arts, a)
		}
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	ab, err := json.MarshalIndent(arts, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, distMetadataFile), mb, 0o644); err != nil {
		return fmt.Errorf("write dist: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, distArtifactsFile), ab, 0o644); err != nil {
		return fmt.Errorf("write dist: %w", err)
	}
	return nil
}

// DistBuildDir is the directory goreleaser uses for one binary and target
// inside a dist, e.g. fvm_linux_arm_7.
func DistBuildDir(name string, t targets.Target) string {
	s := name + "_" + t.GOOS + "_" + t.GOARCH
	switch {
	case t.GOARM != "":
		s += "_" + t.GOARM
	case t.GOARCH == "amd64":
		s += "_v1"
	case t.GOARCH == "arm64":
		s += "_v8.0"
	}
	return s
}
