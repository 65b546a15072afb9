package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// Reporter receives progress for the user: Step for a line that stays,
// Waiting for spinner text. The CLI prints them; nil discards them.
type Reporter interface {
	Step(msg string)
	Waiting(msg string)
}

type nopReporter struct{}

func (nopReporter) Step(string)    {}
func (nopReporter) Waiting(string) {}

// Admin is what provisioning needs from a running SC beyond ApiVersions:
// registering the SPUs (Fluvio creates CustomSpu custom-spu-<id> before
// launching each SPU, which is what lets resume reuse them) and counting
// online SPUs. The Go client library provides it; without one, readiness
// falls back to "the SPU's public port accepts connections".
type Admin interface {
	// EnsureCustomSPU creates CustomSpu custom-spu-<id> unless it exists.
	EnsureCustomSPU(ctx context.Context, spu SPU) error
	// OnlineSPUs returns how many SPUs the SC reports online.
	OnlineSPUs(ctx context.Context) (int, error)
	// Topics returns the number of topics and their total size in bytes.
	Topics(ctx context.Context) (count int, bytes int64, err error)
	Close() error
}

// Cluster manages the local cluster rooted at Paths.
type Cluster struct {
	// Paths are where files go.
	Paths Paths
	// ConfigPath is the ~/.fluvio/config the local profile is written to.
	ConfigPath string
	// Executable is the running fluvio binary; fluvio-run is looked for
	// next to it, then on PATH.
	Executable string
	// Connect dials the SC's admin API; nil means TCP-level readiness.
	Connect func(ctx context.Context, addr string) (Admin, error)
	// Report receives progress; nil discards it.
	Report Reporter
	// StopGrace is how long shutdown waits after SIGTERM before SIGKILL
	// (default 10s).
	StopGrace time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// New returns a Cluster at the default paths ($FLUVIO_DIR or ~/.fluvio,
// $FLV_PROFILE_PATH or ~/.fluvio/config).
func New() (*Cluster, error) {
	p, err := DefaultPaths()
	if err != nil {
		return nil, err
	}
	cfg, err := config.DefaultPath()
	if err != nil {
		return nil, err
	}
	exe, _ := os.Executable()
	return &Cluster{Paths: p, ConfigPath: cfg, Executable: exe}, nil
}

func (c *Cluster) report() Reporter {
	if c.Report == nil {
		return nopReporter{}
	}
	return c.Report
}

func (c *Cluster) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// StartOptions are the choices of `fluvio cluster start`.
type StartOptions struct {
	// SPUs is the number of SPUs (default 1).
	SPUs int
	// SCPublicAddr is the SC public bind and the profile endpoint
	// (default 127.0.0.1:9003).
	SCPublicAddr string
	// SCPrivateAddr is the SC private bind; "" leaves fluvio-run's default
	// (0.0.0.0:9004).
	SCPrivateAddr string
	// SPUBasePort is the first SPU's public port (default 9010); SPU k
	// uses base+10k and base+10k+1.
	SPUBasePort int
	// DataDir and LogDir override Paths.
	DataDir, LogDir string
	// RustLog is passed to the servers as RUST_LOG (default info).
	RustLog string
	// Binary is the fluvio-run to run; "" finds it.
	Binary string
	// SkipProfile leaves ~/.fluvio/config alone.
	SkipProfile bool
	// Timeout bounds the wait for readiness (default
	// $FLV_CLUSTER_PROVISION_TIMEOUT seconds, else 300s).
	Timeout time.Duration
}

func provisionTimeout() time.Duration {
	if s := os.Getenv(EnvProvisionTimeout); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 300 * time.Second
}

// Start creates and launches a new local cluster. A running cluster gives
// ErrAlreadyRunning (the CLI treats it as success); a stopped, undeleted one
// gives ErrNotDeleted.
func (c *Cluster) Start(ctx context.Context, o StartOptions) (*State, error) {
	r := c.report()
	if o.SPUs == 0 {
		o.SPUs = 1
	}
	if o.SPUs < 0 || o.SPUs > MaxSPUs {
		return nil, fmt.Errorf("local: --spu must be 1..%d, got %d", MaxSPUs, o.SPUs)
	}
	if o.SCPublicAddr == "" {
		o.SCPublicAddr = DefaultSCPublicAddr
	}
	if o.SPUBasePort == 0 {
		o.SPUBasePort = DefaultSPUBasePort
	}
	if o.SPUBasePort < 1 || o.SPUBasePort+10*(o.SPUs-1)+1 > 65535 {
		return nil, fmt.Errorf("local: --spu-base-port %d with %d SPUs runs past port 65535", o.SPUBasePort, o.SPUs)
	}
	if _, err := portOf(o.SCPublicAddr); err != nil {
		return nil, err
	}
	if o.SCPrivateAddr != "" {
		if _, err := portOf(o.SCPrivateAddr); err != nil {
			return nil, err
		}
	}
	if o.RustLog == "" {
		o.RustLog = DefaultLog
	}
	paths := c.Paths
	if o.DataDir != "" {
		paths.DataDir = o.DataDir
	}
	if o.LogDir != "" {
		paths.LogDir = o.LogDir
	}

	r.Step("📝 Running pre-flight checks")
	if err := c.checkNotRunning(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(c.Paths.statePath()); err == nil {
		return nil, ErrNotDeleted
	}
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = findBinary(c.Executable); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBinaryMissing, bin, err)
	}
	st := &State{
		PlatformVersion: buildinfo.PlatformVersion(), LogDir: paths.LogDir, DataDir: paths.DataDir,
		Launcher: bin, RustLog: o.RustLog, SPUReplicas: o.SPUs, SCPubAddr: o.SCPublicAddr,
		SCPrivAddr: o.SCPrivateAddr, InstallationType: string(config.InstallLocal),
		SaveProfile: !o.SkipProfile, SPUBasePort: o.SPUBasePort,
	}
	bs, err := st.bindings()
	if err != nil {
		return nil, err
	}
	if err := checkPortsFree(bs); err != nil {
		return nil, err
	}
	r.Step("🎉 All checks passed!")
	if err := c.launch(ctx, st, o.timeout()); err != nil {
		return nil, err
	}
	r.Step("🎯 Successfully installed Local Fluvio cluster")
	return st, nil
}

func (o StartOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return provisionTimeout()
}

// Resume relaunches a shut-down cluster with its data, ports and SPU ids.
func (c *Cluster) Resume(ctx context.Context, timeout time.Duration) (*State, error) {
	st, err := loadState(c.Paths)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotInstalled
	}
	if err != nil {
		return nil, err
	}
	if err := c.checkNotRunning(); err != nil {
		return nil, err
	}
	if st.PlatformVersion != buildinfo.PlatformVersion() {
		return nil, fmt.Errorf("%w: cannot resume a %s cluster with fluvio version %s; shut the cluster down with 'fluvio cluster shutdown' and use 'fluvio cluster upgrade' to update it",
			ErrVersionMismatch, st.PlatformVersion, buildinfo.PlatformVersion())
	}
	if _, err := os.Stat(st.Launcher); err != nil {
		bin, ferr := findBinary(c.Executable)
		if ferr != nil {
			return nil, ferr
		}
		st.Launcher = bin
	}
	bs, err := st.bindings()
	if err != nil {
		return nil, err
	}
	if err := checkPortsFree(bs); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = provisionTimeout()
	}
	if err := c.launch(ctx, st, timeout); err != nil {
		return nil, err
	}
	c.report().Step("🎯 Successfully resumed Local Fluvio cluster")
	return st, nil
}

func (c *Cluster) checkNotRunning() error {
	procs, err := readPIDs(c.Paths)
	if err != nil {
		return err
	}
	if len(procs) == 0 {
		return nil
	}
	bin := ""
	if st, err := loadState(c.Paths); err == nil {
		bin = st.Launcher
	}
	if live := running(procs, bin); len(live) > 0 {
		return ErrAlreadyRunning
	}
	return nil
}

// launch starts the SC and SPUs of st and waits for them; on failure it
// stops what it started and leaves no state behind but the logs.
func (c *Cluster) launch(ctx context.Context, st *State, timeout time.Duration) (err error) {
	r := c.report()
	paths := c.Paths
	for _, d := range []string{st.LogDir, st.DataDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("local: an error occurred creating the cluster directory %q: %w", d, err)
		}
	}
	r.Step("✅ Local Cluster initialized")
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var procs []proc
	defer func() {
		if err != nil && len(procs) > 0 {
			_ = stop(context.Background(), procs, c.grace())
			_ = os.Remove(paths.pidPath())
		}
	}()
	env := []string{"RUST_LOG=" + st.RustLog}
	scArgs := []string{"sc", "--local", filepath.Join(st.DataDir, "metadata"), "--bind-public", st.SCPubAddr}
	if st.SCPrivAddr != "" {
		scArgs = append(scArgs, "--bind-private", st.SCPrivAddr)
	}
	scLog := filepath.Join(st.LogDir, scLogName)
	pid, err := spawn(st.Launcher, scArgs, env, scLog)
	if err != nil {
		return err
	}
	procs = append(procs, proc{"sc", pid})
	if err := writePIDs(paths, procs); err != nil {
		return err
	}
	start := c.now()
	scAddr := dialAddr(st.SCPubAddr)
	if err := c.waitFor(ctx, procs, scLog, func() (bool, string) {
		_, perr := ProbeSC(ctx, scAddr)
		return perr == nil, fmt.Sprintf("🖥️  Trying to connect to SC: %s %d seconds elapsed", scAddr, int(c.now().Sub(start).Seconds()))
	}); err != nil {
		return fmt.Errorf("%w: SC at %s: %w", ErrNotReady, scAddr, err)
	}
	r.Step("✅ SC Launched")

	var admin Admin
	if c.Connect != nil {
		if admin, err = c.Connect(ctx, scAddr); err != nil {
			return fmt.Errorf("local: connect to SC at %s: %w", scAddr, err)
		}
		defer admin.Close()
	}
	privPort, err := st.scPrivatePort()
	if err != nil {
		return err
	}
	spus := st.SPUs()
	for i, spu := range spus {
		if admin != nil {
			if err := admin.EnsureCustomSPU(ctx, spu); err != nil {
				return fmt.Errorf("local: register SPU %d: %w", spu.ID, err)
			}
		}
		args := []string{"spu", "-i", strconv.Itoa(int(spu.ID)), "-p", spu.PublicAddr, "-v", spu.PrivateAddr, "--log-base-dir", st.DataDir}
		if st.SCPrivAddr != "" {
			args = append(args, "--sc-addr", fmt.Sprintf("127.0.0.1:%d", privPort))
		}
		pid, err := spawn(st.Launcher, args, env, filepath.Join(st.LogDir, fmt.Sprintf(spuLogFormat, spu.ID)))
		if err != nil {
			return err
		}
		procs = append(procs, proc{fmt.Sprintf("spu-%d", spu.ID), pid})
		if err := writePIDs(paths, procs); err != nil {
			return err
		}
		r.Step(fmt.Sprintf("🤖 Starting SPU: (%d/%d)", i+1, len(spus)))
	}
	start = c.now()
	if err := c.waitFor(ctx, procs, "", func() (bool, string) {
		n := c.onlineSPUs(ctx, admin, spus)
		return n == len(spus), fmt.Sprintf("🖥️ %d/%d SPU confirmed, %d seconds elapsed", n, len(spus), int(c.now().Sub(start).Seconds()))
	}); err != nil {
		return fmt.Errorf("%w: not able to provision %d SPU: %w", ErrNotReady, len(spus), err)
	}
	r.Step(fmt.Sprintf("✅ %d SPU launched", len(spus)))

	st.StartedAt = c.now().UTC().Truncate(time.Second)
	if err := saveState(paths, st); err != nil {
		return err
	}
	if st.SaveProfile {
		if err := c.saveProfile(st); err != nil {
			return err
		}
		r.Step("👤 Profile set")
	}
	return nil
}

func (c *Cluster) grace() time.Duration {
	if c.StopGrace > 0 {
		return c.StopGrace
	}
	return 10 * time.Second
}

func (c *Cluster) onlineSPUs(ctx context.Context, admin Admin, spus []SPU) int {
	if admin != nil {
		if n, err := admin.OnlineSPUs(ctx); err == nil {
			return n
		}
		// An SC that cannot list SPUs: fall back to the ports.
	}
	n := 0
	for _, spu := range spus {
		if probeTCP(ctx, fmt.Sprintf("127.0.0.1:%d", spu.PublicPort)) == nil {
			n++
		}
	}
	return n
}

// waitFor polls ready until it reports true, a tracked process exits (the
// error quotes the end of its log), or ctx ends.
func (c *Cluster) waitFor(ctx context.Context, procs []proc, logPath string, ready func() (bool, string)) error {
	r := c.report()
	for {
		ok, msg := ready()
		if ok {
			return nil
		}
		r.Waiting(msg)
		for _, pr := range procs {
			if !alive(pr.PID) {
				lp := logPath
				if lp == "" {
					lp = c.logFor(pr.Name)
				}
				tail := tailLog(lp, 10)
				if tail != "" {
					tail = "; last lines of " + lp + ":\n" + tail
				}
				return fmt.Errorf("%s (pid %d) exited%s", pr.Name, pr.PID, tail)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) logFor(name string) string {
	logDir := c.Paths.LogDir
	if st, err := loadState(c.Paths); err == nil {
		logDir = st.LogDir
	}
	if name == "sc" {
		return filepath.Join(logDir, scLogName)
	}
	var id int
	if _, err := fmt.Sscanf(name, "spu-%d", &id); err == nil {
		return filepath.Join(logDir, fmt.Sprintf(spuLogFormat, id))
	}
	return ""
}

// dialAddr turns a bind address into one to dial (0.0.0.0 → 127.0.0.1).
func dialAddr(bind string) string {
	host, port, err := net.SplitHostPort(bind)
	if err != nil {
		return bind
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// saveProfile adds or replaces profile and cluster "local" and makes it
// current.
func (c *Cluster) saveProfile(st *State) error {
	cfg, err := config.LoadOrNew(c.ConfigPath)
	if err != nil {
		return err
	}
	cfg.AddOrReplaceProfile(ProfileName, dialAddr(st.SCPubAddr), config.TLS{Policy: config.TLSDisabled}, config.InstallLocal)
	return cfg.Save(c.ConfigPath)
}

// Shutdown stops the cluster's processes (SIGTERM, then SIGKILL after
// StopGrace) and keeps data, logs and local-config, so Resume can bring it
// back. It reports whether anything was running.
func (c *Cluster) Shutdown(ctx context.Context) (bool, error) {
	if _, err := os.Stat(c.Paths.statePath()); errors.Is(err, fs.ErrNotExist) {
		if procs, _ := readPIDs(c.Paths); len(procs) == 0 {
			return false, ErrNotInstalled
		}
	}
	return c.stopAll(ctx)
}

func (c *Cluster) stopAll(ctx context.Context) (bool, error) {
	procs, err := readPIDs(c.Paths)
	if err != nil {
		return false, err
	}
	bin := ""
	if st, err := loadState(c.Paths); err == nil {
		bin = st.Launcher
	}
	live := running(procs, bin)
	if err := stop(ctx, live, c.grace()); err != nil {
		return len(live) > 0, err
	}
	if err := os.Remove(c.Paths.pidPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return len(live) > 0, fmt.Errorf("local: remove %s: %w", c.Paths.pidPath(), err)
	}
	return len(live) > 0, nil
}

// Delete stops the processes and removes the data directory, the process
// logs, local-config and the "local" profile (and its cluster entry) from
// ~/.fluvio/config.
//
// Why remove the profile when Fluvio keeps it? A profile pointing at a
// deleted cluster only produces connection errors; `cluster start` writes
// it again.
func (c *Cluster) Delete(ctx context.Context) error {
	st, err := loadState(c.Paths)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if _, err := c.stopAll(ctx); err != nil {
		return err
	}
	paths := c.Paths
	if st != nil {
		paths.DataDir, paths.LogDir = st.DataDir, st.LogDir
	}
	if err := os.RemoveAll(paths.DataDir); err != nil {
		return fmt.Errorf("local: remove data %s: %w", paths.DataDir, err)
	}
	logs, _ := filepath.Glob(filepath.Join(paths.LogDir, "spu_log_*.log"))
	logs = append(logs, filepath.Join(paths.LogDir, scLogName))
	for _, l := range logs {
		if err := os.Remove(l); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("local: remove log %s: %w", l, err)
		}
	}
	_ = os.Remove(paths.LogDir) // only if now empty
	if err := os.Remove(c.Paths.statePath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: remove %s: %w", c.Paths.statePath(), err)
	}
	return c.removeProfile()
}

func (c *Cluster) removeProfile() error {
	cfg, err := config.Load(c.ConfigPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	cl, ok := cfg.Clusters[ProfileName]
	if !ok || cl.Installation() != config.InstallLocal {
		return nil
	}
	for _, p := range cfg.ProfilesUsing(ProfileName) {
		_ = cfg.DeleteProfile(p)
	}
	_ = cfg.DeleteCluster(ProfileName, true)
	return cfg.Save(c.ConfigPath)
}

// ProcessStatus is one server process.
type ProcessStatus struct {
	Name    string `json:"name"`
	PID     int    `json:"pid"`
	Running bool   `json:"running"`
	// Addr is the public address.
	Addr string `json:"address"`
	// Reachable: the SC answered ApiVersions, or the SPU port accepted.
	Reachable bool `json:"reachable"`
}

// Status is the local cluster as seen from this machine.
type Status struct {
	// Installed: local-config exists (started and not deleted).
	Installed bool `json:"installed"`
	// SC is the controller.
	SC ProcessStatus `json:"sc"`
	// PlatformVersion is what the SC reports, when reachable.
	PlatformVersion string `json:"platform_version,omitempty"`
	// SPUs are the streaming units, in id order.
	SPUs []ProcessStatus `json:"spus"`
	// OnlineSPUs is the SC's count when an Admin is available, else the
	// number of reachable SPU ports.
	OnlineSPUs int `json:"online_spus"`
	// Topics and TopicBytes are known only with an Admin (TopicsKnown).
	TopicsKnown bool  `json:"topics_known"`
	Topics      int   `json:"topics"`
	TopicBytes  int64 `json:"topic_bytes"`
}

// Status inspects the processes, ports and (with Connect) the SC.
func (c *Cluster) Status(ctx context.Context) (*Status, error) {
	st, err := loadState(c.Paths)
	if errors.Is(err, fs.ErrNotExist) {
		return &Status{SC: ProcessStatus{Name: "sc"}}, nil
	}
	if err != nil {
		return nil, err
	}
	procs, err := readPIDs(c.Paths)
	if err != nil {
		return nil, err
	}
	pids := map[string]int{}
	for _, pr := range running(procs, st.Launcher) {
		pids[pr.Name] = pr.PID
	}
	out := &Status{Installed: true}
	scAddr := dialAddr(st.SCPubAddr)
	out.SC = ProcessStatus{Name: "sc", PID: pids["sc"], Running: pids["sc"] > 0, Addr: scAddr}
	if v, err := ProbeSC(ctx, scAddr); err == nil {
		out.SC.Reachable, out.PlatformVersion = true, v
	}
	for _, spu := range st.SPUs() {
		name := fmt.Sprintf("spu-%d", spu.ID)
		addr := fmt.Sprintf("127.0.0.1:%d", spu.PublicPort)
		ps := ProcessStatus{Name: name, PID: pids[name], Running: pids[name] > 0, Addr: addr}
		ps.Reachable = probeTCP(ctx, addr) == nil
		if ps.Reachable {
			out.OnlineSPUs++
		}
		out.SPUs = append(out.SPUs, ps)
	}
	if out.SC.Reachable && c.Connect != nil {
		if admin, err := c.Connect(ctx, scAddr); err == nil {
			defer admin.Close()
			if n, err := admin.OnlineSPUs(ctx); err == nil {
				out.OnlineSPUs = n
			}
			if n, b, err := admin.Topics(ctx); err == nil {
				out.TopicsKnown, out.Topics, out.TopicBytes = true, n, b
			}
		}
	}
	return out, nil
}

// IsInstalled reports whether local-config exists.
func (c *Cluster) IsInstalled() bool {
	_, err := os.Stat(c.Paths.statePath())
	return err == nil
}
