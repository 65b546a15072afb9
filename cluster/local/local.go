// Package local provisions a Fluvio cluster as local processes: one
// `fluvio-run sc` and N `fluvio-run spu`, detached from the terminal, with
// data under ~/.fluvio/data and logs under ~/.fluvio/log (spec
// distribution.md §5.3-5.5). It starts, reports on, shuts down, resumes and
// deletes that cluster; the `fluvio cluster` verbs are thin wrappers.
//
// Files, all under the base directory ($FLUVIO_DIR or ~/.fluvio):
//
//	local-config          TOML: how the cluster was started (Fluvio's field names, plus ours)
//	local-pids            one line per process: "<name> <pid>" (sc, spu-5001, ...)
//	data/metadata/        the SC's metadata store (fluvio-run sc --local)
//	data/spu-logs-<id>/   each SPU's partition logs (fluvio-run spu --log-base-dir data)
//	log/flv_sc.log        the SC's stdout and stderr
//	log/spu_log_<id>.log  each SPU's stdout and stderr
//
// Why track pids instead of killing every process named fluvio-run, as
// Fluvio does? Fluvio's `delete` kills other clusters' processes too
// (fluvio#4052); ours stops exactly what it started.
package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/gofluvio/fluvio/client/config"
)

// Defaults of a local cluster (spec §5.4).
const (
	DefaultSCPublicAddr = "127.0.0.1:9003"
	// DefaultSCPrivatePort is where `fluvio-run sc` listens for SPUs when
	// not told otherwise (0.0.0.0:9004).
	DefaultSCPrivatePort = 9004
	DefaultSPUBasePort   = 9010
	// FirstSPUID is the id of the first SPU; the k-th is FirstSPUID+k.
	FirstSPUID   = 5001
	DefaultLog   = "info"
	ProfileName  = "local"
	BinaryName   = "fluvio-run"
	stateFile    = "local-config"
	pidFile      = "local-pids"
	scLogName    = "flv_sc.log"
	spuLogFormat = "spu_log_%d.log"
)

// Environment tunables (spec §5.7).
const (
	// EnvProvisionTimeout is seconds to wait for the SC and SPUs (default 300).
	EnvProvisionTimeout = "FLV_CLUSTER_PROVISION_TIMEOUT"
)

// Sentinel errors; match with errors.Is.
var (
	// ErrAlreadyRunning: start or resume found the cluster running.
	ErrAlreadyRunning = errors.New("local: local Fluvio cluster is already running")
	// ErrNotDeleted: start found a stopped cluster that was not deleted.
	ErrNotDeleted = errors.New("local: local Fluvio cluster wasn't deleted; use 'fluvio cluster resume' to resume it or 'fluvio cluster delete' before starting a new one")
	// ErrNotInstalled: no local cluster to resume, shut down or delete.
	ErrNotInstalled = errors.New("local: no local Fluvio cluster; start one with 'fluvio cluster start'")
	// ErrBinaryMissing: fluvio-run was not found.
	ErrBinaryMissing = errors.New("local: fluvio-run not found")
	// ErrPortInUse: a port the cluster needs is taken.
	ErrPortInUse = errors.New("local: port already in use")
	// ErrNotReady: the cluster did not come up in time, or a process exited.
	ErrNotReady = errors.New("local: cluster did not become ready")
	// ErrVersionMismatch: resume with a different fluvio version.
	ErrVersionMismatch = errors.New("local: version mismatch")
)

// Paths are where a local cluster keeps its files.
type Paths struct {
	// Base is $FLUVIO_DIR or ~/.fluvio.
	Base string
	// DataDir holds metadata and partition logs.
	DataDir string
	// LogDir holds process logs.
	LogDir string
}

// DefaultPaths derives the paths from the base directory.
func DefaultPaths() (Paths, error) {
	base, err := config.BaseDir()
	if err != nil {
		return Paths{}, err
	}
	return PathsAt(base), nil
}

// PathsAt returns the default layout under base.
func PathsAt(base string) Paths {
	return Paths{Base: base, DataDir: filepath.Join(base, "data"), LogDir: filepath.Join(base, "log")}
}

func (p Paths) statePath() string { return filepath.Join(p.Base, stateFile) }
func (p Paths) pidPath() string   { return filepath.Join(p.Base, pidFile) }

// State is local-config: what start decided, so resume can do it again.
// Field names are Fluvio's LocalConfig's where they exist.
type State struct {
	PlatformVersion  string `toml:"platform_version"`
	LogDir           string `toml:"log_dir"`
	DataDir          string `toml:"data_dir"`
	Launcher         string `toml:"launcher"` // the fluvio-run binary (Fluvio: the fluvio binary)
	RustLog          string `toml:"rust_log"`
	SPUReplicas      int    `toml:"spu_replicas"`
	SCPubAddr        string `toml:"sc_pub_addr"`
	SCPrivAddr       string `toml:"sc_priv_addr,omitempty"`
	InstallationType string `toml:"installation_type"`
	SaveProfile      bool   `toml:"save_profile"`
	// SPUBasePort is the first SPU's public port (ours; Fluvio fixes 9010).
	SPUBasePort int `toml:"spu_base_port"`
	// StartedAt is when the cluster was last started or resumed (ours).
	StartedAt time.Time `toml:"started_at"`
}

// SPU describes one SPU of the cluster.
type SPU struct {
	ID          int32
	PublicAddr  string // bind address, 0.0.0.0:port
	PrivateAddr string
	PublicPort  int
	PrivatePort int
}

// SPUs lists the SPUs the state describes.
func (s *State) SPUs() []SPU {
	out := make([]SPU, s.SPUReplicas)
	for i := range out {
		pub := s.SPUBasePort + 10*i
		out[i] = SPU{
			ID: FirstSPUID + int32(i), PublicPort: pub, PrivatePort: pub + 1,
			PublicAddr: fmt.Sprintf("0.0.0.0:%d", pub), PrivateAddr: fmt.Sprintf("0.0.0.0:%d", pub+1),
		}
	}
	return out
}

// scPrivatePort is the port SPUs dial the SC on.
func (s *State) scPrivatePort() (int, error) {
	if s.SCPrivAddr == "" {
		return DefaultSCPrivatePort, nil
	}
	return portOf(s.SCPrivAddr)
}

func loadState(p Paths) (*State, error) {
	b, err := os.ReadFile(p.statePath())
	if err != nil {
		return nil, err
	}
	var s State
	if err := toml.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("local: read %s: %w", p.statePath(), err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("local: %s: %w; fix it or run 'fluvio cluster delete'", p.statePath(), err)
	}
	return &s, nil
}

// MaxSPUs bounds spu_replicas: each SPU takes two ports, 10 apart.
const MaxSPUs = 1000

func (s *State) validate() error {
	if s.SPUBasePort == 0 {
		s.SPUBasePort = DefaultSPUBasePort // written by Fluvio, which fixes it
	}
	switch {
	case s.SPUReplicas < 1 || s.SPUReplicas > MaxSPUs:
		return fmt.Errorf("spu_replicas = %d, want 1..%d", s.SPUReplicas, MaxSPUs)
	case s.SPUBasePort < 1 || s.SPUBasePort+10*(s.SPUReplicas-1)+1 > 65535:
		return fmt.Errorf("spu_base_port = %d does not fit %d SPUs below port 65536", s.SPUBasePort, s.SPUReplicas)
	case s.SCPubAddr == "":
		return errors.New("sc_pub_addr is empty")
	}
	return nil
}

func saveState(p Paths, s *State) error {
	b, err := toml.Marshal(s)
	if err != nil {
		return fmt.Errorf("local: encode state: %w", err)
	}
	if err := os.MkdirAll(p.Base, 0o755); err != nil {
		return fmt.Errorf("local: create %s: %w", p.Base, err)
	}
	if err := os.WriteFile(p.statePath(), b, 0o644); err != nil {
		return fmt.Errorf("local: write %s: %w", p.statePath(), err)
	}
	return nil
}
