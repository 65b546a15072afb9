// Package hub publishes and fetches Fluvio releases as OCI artifacts, and
// serves them: an OCI registry with blobs on disk plus the plain download
// paths the installer uses (install.sh, fvm and its sha256 per channel and
// target). Any OCI registry can host releases; `fluvio-run hub` is the
// embedded default.
//
// A release is an OCI image index tagged with its version (semver, "+"
// written as "_" because OCI tags cannot hold "+") and optionally with the
// channel tags "stable" and "latest":
//
//	index (application/vnd.oci.image.index.v1+json)
//	  annotations: org.opencontainers.image.{version,revision,created}
//	  manifests[]: one per target, platform {os, architecture, variant},
//	               annotation dev.gofluvio.target.triple
//	    image manifest (application/vnd.oci.image.manifest.v1+json)
//	      config: application/vnd.gofluvio.release.config.v1+json
//	              {version, commit, date, triple, os, architecture, variant, binaries}
//	      layers[]: one per binary, application/vnd.gofluvio.release.binary.v1,
//	                the raw executable, annotation org.opencontainers.image.title = file name
//
// Why raw executables and not tar.gz layers? The layer digest is then the
// SHA-256 of the file itself, so the Hub's .sha256 download paths, fvm's
// verification and `sha256sum` on an installed binary all agree, and nobody
// needs tar, gzip or unzip to install.
//
// Spec: distribution.md §1 (fvm), §2.2 (package sets), §4 (targets).
package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Media types and annotation keys of a release.
const (
	MediaTypeConfig = "application/vnd.gofluvio.release.config.v1+json"
	MediaTypeBinary = "application/vnd.gofluvio.release.binary.v1"
	// ArtifactType marks release manifests (OCI 1.1 artifactType).
	ArtifactType = "application/vnd.gofluvio.release.v1"

	AnnotationTitle    = "org.opencontainers.image.title"
	AnnotationVersion  = "org.opencontainers.image.version"
	AnnotationRevision = "org.opencontainers.image.revision"
	AnnotationCreated  = "org.opencontainers.image.created"
	AnnotationTriple   = "dev.gofluvio.target.triple"
)

// DefaultRepository is the repository releases live in when a registry URL
// names no path.
const DefaultRepository = "fluvio"

// Channel tags.
const (
	ChannelStable = "stable"
	ChannelLatest = "latest"
)

// Sentinel errors.
var (
	// ErrNotFound: the registry has no such release, target or binary.
	ErrNotFound = errors.New("hub: not found")
	// ErrDigest: downloaded bytes do not match their digest.
	ErrDigest = errors.New("hub: digest mismatch")
	// ErrUnreachable: the registry could not be reached.
	ErrUnreachable = errors.New("hub: registry unreachable")
	// ErrInvalid: an input (dist, version, manifest) is malformed.
	ErrInvalid = errors.New("hub: invalid")
)

// ReleaseConfig is the config blob of one platform manifest.
type ReleaseConfig struct {
	Version      string   `json:"version"`
	Commit       string   `json:"commit,omitempty"`
	Date         string   `json:"date,omitempty"`
	Triple       string   `json:"triple"`
	OS           string   `json:"os"`
	Architecture string   `json:"architecture"`
	Variant      string   `json:"variant,omitempty"`
	Binaries     []string `json:"binaries"`
}

// ParseReleaseConfig decodes a config blob.
func ParseReleaseConfig(b []byte) (*ReleaseConfig, error) {
	var c ReleaseConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%w: release config: %v", ErrInvalid, err)
	}
	if c.Version == "" || c.Triple == "" {
		return nil, fmt.Errorf("%w: release config: version and triple are required", ErrInvalid)
	}
	return &c, nil
}

var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// VersionTag turns a version into an OCI tag: "+" becomes "_" and a leading
// "v" is dropped. It fails for strings that are not semver.
func VersionTag(version string) (string, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(version, "v"))
	if err != nil {
		return "", fmt.Errorf("%w: version %q is not semver (want X.Y.Z[-pre][+build]): %v", ErrInvalid, version, err)
	}
	return strings.ReplaceAll(v.Original(), "+", "_"), nil
}

// TagVersion is the inverse of VersionTag: it returns the semver a tag
// names, or nil for channel tags and labels.
func TagVersion(tag string) *semver.Version {
	if tag == ChannelStable || tag == ChannelLatest {
		return nil
	}
	s := tag
	if i := strings.IndexByte(s, '_'); i >= 0 {
		s = s[:i] + "+" + s[i+1:]
	}
	v, err := semver.StrictNewVersion(s)
	if err != nil {
		return nil
	}
	return v
}

// ValidTag reports whether s can be an OCI tag.
func ValidTag(s string) bool { return tagRE.MatchString(s) }
