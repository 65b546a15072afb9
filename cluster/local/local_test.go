package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client/config"
)

// fakeDir holds the fake fluvio-run (internal/fakerun) and is where the
// tests pretend the fluvio binary lives.
var fakeDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fluvio-local-test-")
	if err != nil {
		panic(err)
	}
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, BinaryName), "./internal/fakerun").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build fake fluvio-run: %v\n%s", err, out)
		os.Exit(1)
	}
	fakeDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type recorder struct {
	mu    sync.Mutex
	steps []string
}

func (r *recorder) Step(m string)  { r.mu.Lock(); r.steps = append(r.steps, m); r.mu.Unlock() }
func (r *recorder) Waiting(string) {}

// freePort returns a port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// spuBase finds a base port whose SPU ports for n SPUs are all free.
func spuBase(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := 20000 + (os.Getpid()*7+try*131)%12000 // below the ephemeral range
		ok := true
		for i := 0; i < n && ok; i++ {
			for _, p := range []int{base + 10*i, base + 10*i + 1} {
				l, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", p))
				if err != nil {
					ok = false
					break
				}
				l.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free SPU ports")
	return 0
}

func newTestCluster(t *testing.T) (*Cluster, *recorder) {
	base := t.TempDir()
	rec := &recorder{}
	c := &Cluster{
		Paths:      PathsAt(base),
		ConfigPath: filepath.Join(base, "config"),
		Executable: filepath.Join(fakeDir, "fluvio"),
		Report:     rec,
		StopGrace:  5 * time.Second,
	}
	t.Cleanup(func() { _, _ = c.stopAll(context.Background()) })
	return c, rec
}

func testStartOptions(t *testing.T, spus int) StartOptions {
	return StartOptions{
		SPUs:          spus,
		SCPublicAddr:  fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		SCPrivateAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		SPUBasePort:   spuBase(t, spus),
		Timeout:       30 * time.Second,
	}
}

func livePIDs(t *testing.T, c *Cluster) []proc {
	t.Helper()
	procs, err := readPIDs(c.Paths)
	require.NoError(t, err)
	return running(procs, filepath.Join(fakeDir, BinaryName))
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Count(string(b), "\n")
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	c, rec := newTestCluster(t)
	o := testStartOptions(t, 2)

	st, err := c.Start(ctx, o)
	require.NoError(t, err)
	require.Equal(t, []string{
		"📝 Running pre-flight checks", "🎉 All checks passed!", "✅ Local Cluster initialized",
		"✅ SC Launched", "🤖 Starting SPU: (1/2)", "🤖 Starting SPU: (2/2)", "✅ 2 SPU launched",
		"👤 Profile set", "🎯 Successfully installed Local Fluvio cluster",
	}, rec.steps)
	require.Len(t, livePIDs(t, c), 3)
	require.Equal(t, filepath.Join(fakeDir, BinaryName), st.Launcher)

	// The profile is written in Fluvio's schema and made current.
	cfg, err := config.Load(c.ConfigPath)
	require.NoError(t, err)
	name, _, cl, err := cfg.Current()
	require.NoError(t, err)
	require.Equal(t, "local", name)
	require.Equal(t, o.SCPublicAddr, cl.Endpoint)
	require.Equal(t, config.InstallLocal, cl.Installation())

	// The servers were started with Fluvio's arguments.
	scLog, err := os.ReadFile(filepath.Join(c.Paths.LogDir, "flv_sc.log"))
	require.NoError(t, err)
	require.Contains(t, string(scLog), fmt.Sprintf("[sc --local %s --bind-public %s --bind-private %s] RUST_LOG=info",
		filepath.Join(c.Paths.DataDir, "metadata"), o.SCPublicAddr, o.SCPrivateAddr))
	spuLog, err := os.ReadFile(filepath.Join(c.Paths.LogDir, "spu_log_5002.log"))
	require.NoError(t, err)
	require.Contains(t, string(spuLog), fmt.Sprintf("[spu -i 5002 -p 0.0.0.0:%d -v 0.0.0.0:%d --log-base-dir %s --sc-addr %s]",
		o.SPUBasePort+10, o.SPUBasePort+11, c.Paths.DataDir, o.SCPrivateAddr))

	// Start is idempotent.
	_, err = c.Start(ctx, o)
	require.ErrorIs(t, err, ErrAlreadyRunning)

	s, err := c.Status(ctx)
	require.NoError(t, err)
	require.True(t, s.Installed)
	require.True(t, s.SC.Running)
	require.True(t, s.SC.Reachable)
	require.Equal(t, "0.11.11", s.PlatformVersion)
	require.Equal(t, 2, s.OnlineSPUs)
	require.Equal(t, "spu-5001", s.SPUs[0].Name)

	// Shutdown stops everything and keeps the data.
	was, err := c.Shutdown(ctx)
	require.NoError(t, err)
	require.True(t, was)
	require.Empty(t, livePIDs(t, c))
	require.Equal(t, 1, lines(t, filepath.Join(c.Paths.DataDir, "metadata", "sc-starts")))
	require.True(t, c.IsInstalled())
	require.Eventually(t, func() bool { return checkPortsFree([]binding{{"SC public", o.SCPublicAddr}}) == nil }, 5*time.Second, 10*time.Millisecond, "the SC port is free again")

	require.Eventually(t, func() bool {
		s, err = c.Status(ctx)
		return err == nil && s.OnlineSPUs == 0
	}, 5*time.Second, 20*time.Millisecond, "no SPU answers after shutdown")
	require.True(t, s.Installed)
	require.False(t, s.SC.Running)
	require.False(t, s.SC.Reachable)

	_, err = c.Start(ctx, o)
	require.ErrorIs(t, err, ErrNotDeleted)

	// Resume: same data, same SPU ids, same ports.
	_, err = c.Resume(ctx, 30*time.Second)
	require.NoError(t, err)
	require.Len(t, livePIDs(t, c), 3)
	require.Equal(t, 2, lines(t, filepath.Join(c.Paths.DataDir, "metadata", "sc-starts")))
	require.Equal(t, 2, lines(t, filepath.Join(c.Paths.DataDir, "spu-logs-5002", "starts")))
	require.NoError(t, probeTCP(ctx, fmt.Sprintf("127.0.0.1:%d", o.SPUBasePort+10)))
	_, err = c.Resume(ctx, 30*time.Second)
	require.ErrorIs(t, err, ErrAlreadyRunning)

	// Delete removes processes, data, logs, state and the profile.
	require.NoError(t, c.Delete(ctx))
	require.Empty(t, livePIDs(t, c))
	require.NoDirExists(t, c.Paths.DataDir)
	require.NoFileExists(t, filepath.Join(c.Paths.LogDir, "flv_sc.log"))
	require.False(t, c.IsInstalled())
	cfg, err = config.Load(c.ConfigPath)
	require.NoError(t, err)
	require.NotContains(t, cfg.Profiles, "local")
	require.NotContains(t, cfg.Clusters, "local")
	require.Empty(t, cfg.CurrentProfile)

	_, err = c.Shutdown(ctx)
	require.ErrorIs(t, err, ErrNotInstalled)
	_, err = c.Resume(ctx, time.Second)
	require.ErrorIs(t, err, ErrNotInstalled)
	require.NoError(t, c.Delete(ctx), "deleting nothing is fine")
}

func TestStartKeepsOtherProfiles(t *testing.T) {
	c, _ := newTestCluster(t)
	cfg := config.New()
	cfg.AddOrReplaceProfile("cloud", "router.example:9003", config.TLS{Policy: config.TLSAnonymous}, config.InstallCloud)
	require.NoError(t, cfg.Save(c.ConfigPath))

	_, err := c.Start(context.Background(), testStartOptions(t, 1))
	require.NoError(t, err)
	cfg, err = config.Load(c.ConfigPath)
	require.NoError(t, err)
	require.Equal(t, "local", cfg.CurrentProfile)
	require.Equal(t, "router.example:9003", cfg.Clusters["cloud"].Endpoint)

	require.NoError(t, c.Delete(context.Background()))
	cfg, err = config.Load(c.ConfigPath)
	require.NoError(t, err)
	require.Equal(t, []string{"cloud"}, cfg.ProfileNames())
}

func TestSkipProfile(t *testing.T) {
	c, rec := newTestCluster(t)
	o := testStartOptions(t, 1)
	o.SkipProfile = true
	_, err := c.Start(context.Background(), o)
	require.NoError(t, err)
	require.NotContains(t, rec.steps, "👤 Profile set")
	require.NoFileExists(t, c.ConfigPath)
}

func TestPortTaken(t *testing.T) {
	c, _ := newTestCluster(t)
	o := testStartOptions(t, 1)
	l, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", o.SPUBasePort+1))
	require.NoError(t, err)
	defer l.Close()

	_, err = c.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrPortInUse)
	require.ErrorContains(t, err, fmt.Sprintf("port %d (SPU 5001 private, 0.0.0.0:%d) is already in use", o.SPUBasePort+1, o.SPUBasePort+1))
	if runtime.GOOS == "linux" {
		require.ErrorContains(t, err, fmt.Sprintf("by pid %d", os.Getpid()))
	}
	require.Empty(t, livePIDs(t, c), "nothing was started")
	require.False(t, c.IsInstalled())
}

func TestMissingBinary(t *testing.T) {
	c, _ := newTestCluster(t)
	c.Executable = filepath.Join(t.TempDir(), "fluvio")
	t.Setenv("PATH", t.TempDir())
	_, err := c.Start(context.Background(), testStartOptions(t, 1))
	require.ErrorIs(t, err, ErrBinaryMissing)
	require.ErrorContains(t, err, filepath.Dir(c.Executable))
	require.ErrorContains(t, err, "and PATH")
	require.False(t, c.IsInstalled())

	o := testStartOptions(t, 1)
	o.Binary = "/nonexistent/fluvio-run"
	_, err = c.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrBinaryMissing)
}

func TestFoundOnPath(t *testing.T) {
	c, _ := newTestCluster(t)
	c.Executable = filepath.Join(t.TempDir(), "fluvio")
	t.Setenv("PATH", fakeDir)
	st, err := c.Start(context.Background(), testStartOptions(t, 1))
	require.NoError(t, err)
	require.Equal(t, filepath.Join(fakeDir, BinaryName), st.Launcher)
}

func TestServerExitsEarly(t *testing.T) {
	for _, role := range []string{"sc", "spu"} {
		t.Run(role, func(t *testing.T) {
			t.Setenv("FAKE_FAIL", role)
			c, _ := newTestCluster(t)
			start := time.Now()
			_, err := c.Start(context.Background(), testStartOptions(t, 1))
			require.ErrorIs(t, err, ErrNotReady)
			require.ErrorContains(t, err, "simulated failure of "+role, "the error quotes the log")
			require.Less(t, time.Since(start), 10*time.Second, "fails fast instead of waiting for the timeout")
			require.Empty(t, livePIDs(t, c), "what was started is stopped")
			require.False(t, c.IsInstalled())
			require.NoFileExists(t, c.Paths.pidPath())
		})
	}
}

func TestShutdownKillsAfterGrace(t *testing.T) {
	t.Setenv("FAKE_IGNORE_TERM", "1")
	c, _ := newTestCluster(t)
	c.StopGrace = 300 * time.Millisecond
	_, err := c.Start(context.Background(), testStartOptions(t, 1))
	require.NoError(t, err)
	require.Len(t, livePIDs(t, c), 2)
	start := time.Now()
	_, err = c.Shutdown(context.Background())
	require.NoError(t, err)
	require.Empty(t, livePIDs(t, c))
	require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
}

func TestStalePIDIsNotOurs(t *testing.T) {
	c, _ := newTestCluster(t)
	// A pid file naming a live process that is not fluvio-run (this test).
	require.NoError(t, writePIDs(c.Paths, []proc{{"sc", os.Getpid()}}))
	if runtime.GOOS == "linux" {
		require.NoError(t, c.checkNotRunning())
	}
	require.NoError(t, writePIDs(c.Paths, []proc{{"sc", 1 << 30}}))
	require.NoError(t, c.checkNotRunning(), "a dead pid does not count")
}

func TestStartValidation(t *testing.T) {
	c, _ := newTestCluster(t)
	tests := []struct {
		o    StartOptions
		want string
	}{
		{StartOptions{SPUs: -1}, "--spu must be 1..1000, got -1"},
		{StartOptions{SPUs: 2, SPUBasePort: 65530}, "--spu-base-port 65530 with 2 SPUs runs past port 65535"},
		{StartOptions{SCPublicAddr: "localhost"}, `address "localhost": want host:port`},
		{StartOptions{SCPrivateAddr: "h:99999"}, "port must be 1-65535"},
	}
	for _, tt := range tests {
		_, err := c.Start(context.Background(), tt.o)
		require.ErrorContains(t, err, tt.want)
	}
}
