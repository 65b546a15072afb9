// Package config reads and writes the Fluvio client configuration file,
// ~/.fluvio/config: profiles, clusters and the current profile, in Fluvio's
// TOML schema (spec distribution.md §6.1), so a file written by the Rust CLI
// and one written by ours are interchangeable.
//
// Keys this package does not know (a newer Fluvio's additions, a plugin's
// metadata) are kept on load and written back on save.
//
// Mirrors crates/fluvio/src/config/{config,cluster,tls}.rs.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Environment variables that move the configuration (spec §5.7).
const (
	// EnvProfilePath overrides the path of the config file.
	EnvProfilePath = "FLV_PROFILE_PATH"
	// EnvFluvioDir overrides ~/.fluvio as the base directory for bin, log,
	// extensions and (in this implementation) the local cluster's state.
	EnvFluvioDir = "FLUVIO_DIR"
)

// DefaultVersion is the schema version written into new files.
const DefaultVersion = "2.0"

// Sentinel errors; match them with errors.Is.
var (
	// ErrNoActiveProfile: the config names no current profile.
	ErrNoActiveProfile = errors.New("config: config has no active profile")
	// ErrProfileNotFound: no profile of that name.
	ErrProfileNotFound = errors.New("config: profile not found")
	// ErrClusterNotFound: no cluster of that name.
	ErrClusterNotFound = errors.New("config: cluster not found")
	// ErrProfileExists: a profile of that name already exists.
	ErrProfileExists = errors.New("config: profile already exists")
	// ErrClusterInUse: profiles still reference the cluster.
	ErrClusterInUse = errors.New("config: cluster is used by profiles")
)

// Config is the whole ~/.fluvio/config document.
type Config struct {
	// Version is the schema version string ("2.0"; older files say "1.0").
	Version string
	// CurrentProfile is the active profile name, or "".
	CurrentProfile string
	// ClientID is the optional client id sent to the cluster.
	ClientID string
	// Profiles by name.
	Profiles map[string]*Profile
	// Clusters by name.
	Clusters map[string]*Cluster
	// Extra holds top-level keys this package does not know.
	Extra map[string]any
}

// Profile names a cluster and optionally a default topic and partition.
type Profile struct {
	// Cluster is the name of an entry of Config.Clusters.
	Cluster string
	// Topic is the optional default topic.
	Topic string
	// Partition is the optional default partition.
	Partition *int32
	// Extra holds keys this package does not know.
	Extra map[string]any
}

// Cluster is where a cluster's SC answers and how to reach it.
type Cluster struct {
	// Endpoint is the SC public address, host:port.
	Endpoint string
	// UseSPULocalAddress makes clients dial the SPUs' local addresses.
	UseSPULocalAddress bool
	// TLS is the client TLS policy.
	TLS TLS
	// Metadata is free-form; "installation" names the installation type.
	Metadata map[string]any
	// Extra holds keys this package does not know.
	Extra map[string]any
}

// TLSPolicy is the value of the tls_policy key.
type TLSPolicy string

// TLS policies (spec §6.1).
const (
	TLSDisabled  TLSPolicy = "disabled"
	TLSAnonymous TLSPolicy = "anonymous"
	TLSVerified  TLSPolicy = "verified"
)

// Display is the policy as `profile list` prints it.
func (p TLSPolicy) Display() string {
	switch p {
	case TLSAnonymous:
		return "Anonymous"
	case TLSVerified:
		return "Verified"
	default:
		return "Disabled"
	}
}

// TLS sources for the verified policy.
const (
	TLSSourceInline = "inline"
	TLSSourceFiles  = "files"
)

// TLS is the [cluster.<name>.tls] table.
type TLS struct {
	// Policy is disabled (the default), anonymous or verified.
	Policy TLSPolicy
	// Source is "inline" (Certs hold PEM) or "files" (Certs hold paths);
	// verified only.
	Source string
	// Certs are the verified policy's certificates.
	Certs TLSCerts
	// Extra holds keys this package does not know.
	Extra map[string]any
}

// TLSCerts is the [cluster.<name>.tls.certs] table.
type TLSCerts struct {
	Domain string
	Key    string
	Cert   string
	CACert string
	// Extra holds keys this package does not know.
	Extra map[string]any
}

// InstallationType is the value of the metadata key "installation".
type InstallationType string

// Installation types (spec §6.1).
const (
	InstallLocal    InstallationType = "local"
	InstallK8       InstallationType = "k8"
	InstallLocalK8  InstallationType = "local_k8"
	InstallReadOnly InstallationType = "read_only"
	InstallDocker   InstallationType = "docker"
	InstallCloud    InstallationType = "cloud"
)

// ParseInstallationType accepts the canonical names and Fluvio's aliases.
func ParseInstallationType(s string) (InstallationType, error) {
	switch strings.ToLower(s) {
	case "local":
		return InstallLocal, nil
	case "k8", "k8s":
		return InstallK8, nil
	case "local_k8", "local-k8", "localk8":
		return InstallLocalK8, nil
	case "read_only", "read-only", "readonly":
		return InstallReadOnly, nil
	case "docker":
		return InstallDocker, nil
	case "cloud":
		return InstallCloud, nil
	}
	return "", fmt.Errorf("config: unknown installation type %q (valid: local, k8, local_k8, read_only, docker, cloud)", s)
}

const (
	metaInstallation = "installation"
	metaCloudKey     = "infinyon_cloud_cli"
)

// Installation is the cluster's installation type: the metadata key
// "installation", else Cloud when an infinyon_cloud_cli key is present,
// else K8 (Fluvio's rule).
func (c *Cluster) Installation() InstallationType {
	if s, ok := c.Metadata[metaInstallation].(string); ok {
		if t, err := ParseInstallationType(s); err == nil {
			return t
		}
	}
	if _, ok := c.Metadata[metaCloudKey]; ok {
		return InstallCloud
	}
	return InstallK8
}

// SetInstallation records the installation type in the metadata.
func (c *Cluster) SetInstallation(t InstallationType) {
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	c.Metadata[metaInstallation] = string(t)
}

// New returns an empty config at DefaultVersion.
func New() *Config {
	return &Config{Version: DefaultVersion, Profiles: map[string]*Profile{}, Clusters: map[string]*Cluster{}}
}

// BaseDir is $FLUVIO_DIR, or ~/.fluvio.
func BaseDir() (string, error) {
	if d := os.Getenv(EnvFluvioDir); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("config: find home directory: %w", err)
	}
	return filepath.Join(home, ".fluvio"), nil
}

// DefaultPath is $FLV_PROFILE_PATH, or ~/.fluvio/config.
//
// Why not $FLUVIO_DIR/config? Fluvio reads FLUVIO_DIR for bin, log and
// extensions only; a user who sets it expects the same config file.
func DefaultPath() (string, error) {
	if p := os.Getenv(EnvProfilePath); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("config: find home directory: %w", err)
	}
	return filepath.Join(home, ".fluvio", "config"), nil
}

// Load reads the config at path; a missing file is an error wrapping
// fs.ErrNotExist (what commands that connect to a cluster want).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: read config file %q: %w", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config file %q: %w", path, err)
	}
	return c, nil
}

// LoadOrNew reads the config at path, or returns New() when it is missing.
func LoadOrNew(path string) (*Config, error) {
	c, err := Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	return c, err
}

// Save writes the config to path atomically (temporary file, then rename),
// creating the parent directory. The file is private to the user: it can
// hold TLS keys.
func (c *Config) Save(path string) error {
	data, err := c.Marshal()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("config: create directory for %q: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.tmp")
	if err != nil {
		return fmt.Errorf("config: save %q: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("config: save %q: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("config: save %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("config: save %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("config: save %q: %w", path, err)
	}
	return nil
}

// ProfileNames returns the profile names, sorted.
func (c *Config) ProfileNames() []string {
	names := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Current returns the current profile and its cluster.
func (c *Config) Current() (string, *Profile, *Cluster, error) {
	if c.CurrentProfile == "" {
		return "", nil, nil, ErrNoActiveProfile
	}
	p, cl, err := c.Resolve(c.CurrentProfile)
	return c.CurrentProfile, p, cl, err
}

// Resolve returns the named profile and its cluster.
func (c *Config) Resolve(profile string) (*Profile, *Cluster, error) {
	p, ok := c.Profiles[profile]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %q", ErrProfileNotFound, profile)
	}
	cl, ok := c.Clusters[p.Cluster]
	if !ok {
		return p, nil, fmt.Errorf("%w: no cluster config for profile %q (cluster %q)", ErrClusterNotFound, profile, p.Cluster)
	}
	return p, cl, nil
}

// AddOrReplaceProfile is what `cluster start` and `profile sync` do: profile
// and cluster named name; an existing cluster keeps its other fields while
// endpoint, TLS and the installation type are replaced; the profile becomes
// current.
func (c *Config) AddOrReplaceProfile(name, endpoint string, tls TLS, install InstallationType) {
	if c.Profiles == nil {
		c.Profiles = map[string]*Profile{}
	}
	if c.Clusters == nil {
		c.Clusters = map[string]*Cluster{}
	}
	cl, ok := c.Clusters[name]
	if !ok {
		cl = &Cluster{}
		c.Clusters[name] = cl
	}
	cl.Endpoint = endpoint
	cl.TLS = tls
	if install != "" {
		cl.SetInstallation(install)
	}
	p, ok := c.Profiles[name]
	if !ok {
		p = &Profile{}
		c.Profiles[name] = p
	}
	p.Cluster = name
	c.CurrentProfile = name
}

// SwitchProfile makes name current.
func (c *Config) SwitchProfile(name string) error {
	if _, ok := c.Profiles[name]; !ok {
		return fmt.Errorf("%w: %q", ErrProfileNotFound, name)
	}
	c.CurrentProfile = name
	return nil
}

// RenameProfile renames a profile; current follows it.
func (c *Config) RenameProfile(from, to string) error {
	p, ok := c.Profiles[from]
	if !ok {
		return fmt.Errorf("%w: %q", ErrProfileNotFound, from)
	}
	if from == to {
		return nil
	}
	if _, ok := c.Profiles[to]; ok {
		return fmt.Errorf("%w: %q", ErrProfileExists, to)
	}
	delete(c.Profiles, from)
	c.Profiles[to] = p
	if c.CurrentProfile == from {
		c.CurrentProfile = to
	}
	return nil
}

// DeleteProfile removes a profile (its cluster stays) and clears current if
// it was current.
func (c *Config) DeleteProfile(name string) error {
	if _, ok := c.Profiles[name]; !ok {
		return fmt.Errorf("%w: %q", ErrProfileNotFound, name)
	}
	delete(c.Profiles, name)
	if c.CurrentProfile == name {
		c.CurrentProfile = ""
	}
	return nil
}

// ProfilesUsing lists, sorted, the profiles that reference cluster.
func (c *Config) ProfilesUsing(cluster string) []string {
	var out []string
	for _, n := range c.ProfileNames() {
		if c.Profiles[n].Cluster == cluster {
			out = append(out, n)
		}
	}
	return out
}

// DeleteCluster removes a cluster. Unless force, it refuses while profiles
// reference it (the error names them); with force the cluster goes and those
// profiles stay, dangling, as in Fluvio.
func (c *Config) DeleteCluster(name string, force bool) error {
	if _, ok := c.Clusters[name]; !ok {
		return fmt.Errorf("%w: %q", ErrClusterNotFound, name)
	}
	users := c.ProfilesUsing(name)
	if len(users) > 0 && !force {
		return fmt.Errorf("%w: cluster %q is used by profiles %s; delete them first or use --force", ErrClusterInUse, name, strings.Join(users, ", "))
	}
	delete(c.Clusters, name)
	return nil
}
