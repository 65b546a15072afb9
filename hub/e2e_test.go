package hub_test

// End-to-end: real binaries, a real `fluvio-run hub` process, the installer
// piped from curl into sh, fvm driven as a user would, then a stock
// registry (distribution/distribution) nobody here wrote. Loopback only.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/hub"
	"github.com/gofluvio/fluvio/hub/targets"
)

const (
	buildinfoPkg = "github.com/gofluvio/fluvio/internal/buildinfo"
	// distributionRegistry is the stock OCI registry the test installs
	// from the Go module proxy.
	distributionRegistry = "github.com/distribution/distribution/v3/cmd/registry@v3.1.2"
)

var e2eBinaries = []string{"fluvio", "fluvio-run", "fvm", "ssdk"}

type e2eEnv struct {
	root  string            // scratch dir shared by tests in this process
	dists map[string]string // version → dist dir
	host  targets.Target
}

var (
	e2eOnce sync.Once
	e2e     *e2eEnv
	e2eErr  error
)

// repoRoot is the module to build binaries from: the working tree, or
// $FLUVIO_E2E_SRC (e.g. a `git archive` of a commit) when set.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	if s := os.Getenv("FLUVIO_E2E_SRC"); s != "" {
		return s
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(tb, err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// setupE2E builds the four binaries for the host at versions 0.1.0 and
// 0.2.0 into goreleaser-shaped dists, once per test process.
func setupE2E(tb testing.TB) *e2eEnv {
	tb.Helper()
	if testing.Short() {
		tb.Skip("end-to-end distribution test builds binaries; skipped with -short")
	}
	e2eOnce.Do(func() {
		host, err := targets.Host("")
		if err != nil {
			e2eErr = err
			return
		}
		root, err := os.MkdirTemp("", "fluvio-dist-e2e-")
		if err != nil {
			e2eErr = err
			return
		}
		e := &e2eEnv{root: root, dists: map[string]string{}, host: host}
		src := repoRoot(tb)
		for _, v := range []string{"0.1.0", "0.2.0"} {
			dist := filepath.Join(root, "dist-"+v)
			out := filepath.Join(root, "build-"+v)
			ld := fmt.Sprintf("-s -w -X %[1]s.Version=%[2]s -X %[1]s.Commit=e2e%[2]s -X %[1]s.Date=2026-01-01T00:00:00Z", buildinfoPkg, v)
			args := []string{"build", "-trimpath", "-ldflags", ld, "-o", out + string(filepath.Separator)}
			for _, b := range e2eBinaries {
				args = append(args, "./cmd/"+b)
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if o, err := cmd.CombinedOutput(); err != nil {
				e2eErr = fmt.Errorf("go build %s: %v\n%s", v, err, o)
				return
			}
			d := &hub.Dist{Version: v, Commit: "e2e" + v, Date: "2026-01-01T00:00:00Z", Targets: map[string][]hub.DistBinary{}}
			for _, b := range e2eBinaries {
				bd := filepath.Join(dist, hub.DistBuildDir(b, host))
				if err := os.MkdirAll(bd, 0o755); err != nil {
					e2eErr = err
					return
				}
				file := b + host.Ext()
				if err := os.Rename(filepath.Join(out, file), filepath.Join(bd, file)); err != nil {
					e2eErr = err
					return
				}
				d.Targets[host.Triple] = append(d.Targets[host.Triple], hub.DistBinary{Name: b, File: file, Path: filepath.Join(bd, file)})
			}
			if err := hub.WriteDist(dist, d); err != nil {
				e2eErr = err
				return
			}
			e.dists[v] = dist
		}
		e2e = e
	})
	require.NoError(tb, e2eErr)
	return e2e
}

// derivedDist copies dist as version v, appending a marker to every binary
// (executables ignore trailing bytes) so each gets a new digest.
func derivedDist(tb testing.TB, from *hub.Dist, v string) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "dist-"+v)
	d := &hub.Dist{Version: v, Commit: "e2e" + v, Date: from.Date, Targets: map[string][]hub.DistBinary{}}
	for triple, bins := range from.Targets {
		for _, b := range bins {
			p := filepath.Join(dir, filepath.Base(filepath.Dir(b.Path)), b.File)
			require.NoError(tb, os.MkdirAll(filepath.Dir(p), 0o755))
			data, err := os.ReadFile(b.Path)
			require.NoError(tb, err)
			require.NoError(tb, os.WriteFile(p, append(data, []byte("\n"+v)...), 0o755))
			d.Targets[triple] = append(d.Targets[triple], hub.DistBinary{Name: b.Name, File: b.File, Path: p})
		}
	}
	require.NoError(tb, hub.WriteDist(dir, d))
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if e2e != nil {
		os.RemoveAll(e2e.root)
	}
	os.Exit(code)
}

// userEnv is a clean environment with HOME set, no fvm/Hub variables and
// loopback excluded from any proxy.
func userEnv(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HOME", "FVM_REGISTRY", "INFINYON_HUB_REMOTE", "FLUVIO_VERSION", "VERSION", "FVM_VERSION",
			"FLUVIO_HUB_URL", "FLUVIO_ARCH", "FVM_BINARY_ARCH_TRIPLE", "FVM_WORKDIR_NAME", "NO_PROXY", "SHELL":
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "HOME="+home, "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost", "SHELL=/bin/bash"), extra...)
}

type result struct {
	out, err string
	code     int
}

func run(tb testing.TB, env []string, name string, args ...string) result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	r := result{out: o.String(), err: e.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(tb, ok, "run %s %v: %v", name, args, err)
		r.code = ee.ExitCode()
	}
	return r
}

func mustRun(tb testing.TB, env []string, name string, args ...string) string {
	tb.Helper()
	r := run(tb, env, name, args...)
	require.Equal(tb, 0, r.code, "%s %s\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), r.out, r.err)
	return r.out
}

// startHubProcess runs `fluvio-run hub` on 127.0.0.1:0 and returns its URL.
func startHubProcess(tb testing.TB, fluvioRun, dataDir string) string {
	tb.Helper()
	cmd := exec.Command(fluvioRun, "hub", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	stderr, err := cmd.StderrPipe()
	require.NoError(tb, err)
	require.NoError(tb, cmd.Start())
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := regexp.MustCompile(`serving (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
				lines <- m[1]
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case u := <-lines:
		return u
	case <-time.After(30 * time.Second):
		tb.Fatal("fluvio-run hub did not report its address within 30s")
	}
	return ""
}

func bin(dist string, host targets.Target, name string) string {
	return filepath.Join(dist, hub.DistBuildDir(name, host), name+host.Ext())
}

func TestEndToEndInstallFromHub(t *testing.T) {
	e := setupE2E(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; the installer test pipes curl into sh (.ci/run installs it)")
	}
	fluvioRun := bin(e.dists["0.2.0"], e.host, "fluvio-run")
	data := t.TempDir()
	hubURL := startHubProcess(t, fluvioRun, data)
	sys := userEnv(t.TempDir())

	// Release 0.1.0 on both channels.
	mustRun(t, sys, fluvioRun, "hub", "publish", "-q", "--registry", hubURL, "--dist", e.dists["0.1.0"], "--channel", "stable", "--channel", "latest")

	home := t.TempDir()
	env := userEnv(home)
	out := mustRun(t, env, "sh", "-c", "curl -fsS "+hubURL+"/install.sh | sh")
	require.Contains(t, out, "info: Downloading (1/3): fluvio@0.1.0")
	require.Contains(t, out, `. "${HOME}/.fvm/env"' >> ~/.bashrc`, "prints the PATH line for bash")
	fvm := filepath.Join(home, ".fvm", "bin", "fvm"+e.host.Ext())
	fluvio := filepath.Join(home, ".fluvio", "bin", "fluvio"+e.host.Ext())
	require.FileExists(t, filepath.Join(home, ".fvm", "env"))
	requireFluvioVersion(t, mustRun(t, env, fluvio, "version"), "0.1.0")
	settings, err := os.ReadFile(filepath.Join(home, ".fvm", "settings.toml"))
	require.NoError(t, err)
	require.Contains(t, string(settings), `channel = "stable"`)
	require.Contains(t, string(settings), `registry = "`+hubURL+`"`)

	// Release 0.2.0 on both channels.
	mustRun(t, sys, fluvioRun, "hub", "publish", "-q", "--registry", hubURL, "--dist", e.dists["0.2.0"], "--channel", "stable", "--channel", "latest")
	remote := mustRun(t, env, fvm, "list", "--remote")
	require.Regexp(t, `(?m)^stable\s+0\.2\.0\s*$`, remote)
	require.Regexp(t, `(?m)^0\.1\.0\s+0\.1\.0\s*$`, remote)
	require.Regexp(t, `(?m)^0\.2\.0\s+0\.2\.0\s*$`, remote)

	// The older version as a static tag.
	mustRun(t, env, fvm, "install", "0.1.0")
	mustRun(t, env, fvm, "switch", "0.1.0")
	requireFluvioVersion(t, mustRun(t, env, fluvio, "version"), "0.1.0")
	require.Equal(t, "0.1.0\n", mustRun(t, env, fvm, "current"))
	list := mustRun(t, env, fvm, "list")
	require.Regexp(t, `(?m)^\s*✓\s+0\.1\.0\s+0\.1\.0\s*$`, list)
	require.Regexp(t, `(?m)^\s+stable\s+0\.1\.0\s*$`, list)

	// Back on stable (still 0.1.0 locally); update moves it to 0.2.0.
	mustRun(t, env, fvm, "switch", "stable")
	upd := mustRun(t, env, fvm, "update")
	require.Contains(t, upd, "Updating fluvio stable to version 0.2.0. Current version is 0.1.0.")
	requireFluvioVersion(t, mustRun(t, env, fluvio, "version"), "0.2.0")
	require.Equal(t, "0.2.0 (stable)\n", mustRun(t, env, fvm, "current"))
	require.Contains(t, mustRun(t, env, fvm, "update"), "You are already up to date")

	// Unknown version and unsupported platform give their exit codes.
	r := run(t, env, fvm, "install", "9.9.9")
	require.Equal(t, 3, r.code, r.err)
	r = run(t, env, fvm, "install", "--target", "sparc-sun-solaris")
	require.Equal(t, 6, r.code, r.err)
	r = run(t, env, fvm, "switch", "7.7.7")
	require.Equal(t, 3, r.code, r.err)

	// A tampered blob is refused and the previous install stays.
	d2, err := hub.ReadDist(e.dists["0.2.0"])
	require.NoError(t, err)
	d3dir := derivedDist(t, d2, "0.3.0")
	mustRun(t, sys, fluvioRun, "hub", "publish", "-q", "--registry", hubURL, "--dist", d3dir, "--channel", "stable")
	d3, err := hub.ReadDist(d3dir)
	require.NoError(t, err)
	var fluvio3 string
	for _, b := range d3.Targets[e.host.Triple] {
		if b.Name == "fluvio" {
			fluvio3 = b.Path
		}
	}
	sum := mustRun(t, sys, "sha256sum", fluvio3)
	blob := filepath.Join(data, "blobs", "sha256", strings.Fields(sum)[0])
	raw, err := os.ReadFile(blob)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 0xff
	require.NoError(t, os.WriteFile(blob, raw, 0o644))
	r = run(t, env, fvm, "update")
	require.Equal(t, 5, r.code, "stdout:\n%s\nstderr:\n%s", r.out, r.err)
	require.Contains(t, r.err, "digest mismatch")
	requireFluvioVersion(t, mustRun(t, env, fluvio, "version"), "0.2.0")
	require.Equal(t, "0.2.0 (stable)\n", mustRun(t, env, fvm, "current"))
	m, err := os.ReadFile(filepath.Join(home, ".fvm", "versions", "stable", "manifest.json"))
	require.NoError(t, err)
	require.Contains(t, string(m), `"version": "0.2.0"`)
	ents, err := os.ReadDir(filepath.Join(home, ".fvm", "versions"))
	require.NoError(t, err)
	for _, e := range ents {
		require.False(t, strings.HasPrefix(e.Name(), ".install-"), "no partial install left behind: %s", e.Name())
	}

	// The installer refuses a tampered fvm too.
	home2 := t.TempDir()
	fvm3 := filepath.Join(data, "blobs", "sha256", strings.Fields(mustRun(t, sys, "sha256sum", bin(d3dir, e.host, "fvm")))[0])
	raw, err = os.ReadFile(fvm3)
	require.NoError(t, err)
	raw[100] ^= 0xff
	require.NoError(t, os.WriteFile(fvm3, raw, 0o644))
	r = run(t, userEnv(home2), "sh", "-c", "curl -fsS "+hubURL+"/install.sh | sh")
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.err, "checksum mismatch")
	require.NoFileExists(t, filepath.Join(home2, ".fvm", "bin", "fvm"))
}

// requireFluvioVersion checks `fluvio version` output reports the CLI
// version v (either the plain "fluvio X" line or a "Fluvio CLI : X" table).
func requireFluvioVersion(tb testing.TB, out, v string) {
	tb.Helper()
	re := `(?m)^(fluvio|Fluvio CLI\s*:)\s+` + regexp.QuoteMeta(v) + `\s*$`
	require.Regexp(tb, re, out)
}

func freePort(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestEndToEndStockRegistry(t *testing.T) {
	e := setupE2E(t)
	gobin := t.TempDir()
	cmd := exec.Command("go", "install", distributionRegistry)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=-mod=mod")
	cmd.Dir = gobin
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install %s: %v\n%s", distributionRegistry, err, out)
	}
	addr := freePort(t)
	store := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "config.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, store, addr)), 0o644))
	reg := exec.Command(filepath.Join(gobin, "registry"), "serve", cfg)
	require.NoError(t, reg.Start())
	t.Cleanup(func() { reg.Process.Kill(); reg.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		require.True(t, time.Now().Before(deadline), "registry did not come up on %s: %v", addr, err)
		time.Sleep(100 * time.Millisecond)
	}

	registry := "http://" + addr + "/gofluvio/fluvio"
	fluvioRun := bin(e.dists["0.2.0"], e.host, "fluvio-run")
	sys := userEnv(t.TempDir())
	mustRun(t, sys, fluvioRun, "hub", "publish", "-q", "--registry", registry, "--dist", e.dists["0.1.0"], "--channel", "stable")
	mustRun(t, sys, fluvioRun, "hub", "publish", "-q", "--registry", registry, "--dist", e.dists["0.2.0"], "--channel", "latest")

	home := t.TempDir()
	env := userEnv(home, "FVM_REGISTRY="+registry)
	mustRun(t, env, bin(e.dists["0.2.0"], e.host, "fvm"), "self", "install")
	fvm := filepath.Join(home, ".fvm", "bin", "fvm"+e.host.Ext())
	fluvio := filepath.Join(home, ".fluvio", "bin", "fluvio"+e.host.Ext())
	remote := mustRun(t, env, fvm, "list", "--remote")
	require.Regexp(t, `(?m)^stable\s+0\.1\.0`, remote)
	require.Regexp(t, `(?m)^latest\s+0\.2\.0`, remote)
	mustRun(t, env, fvm, "install")
	requireFluvioVersion(t, mustRun(t, env, fluvio, "version"), "0.1.0")
	mustRun(t, env, fvm, "install", "latest")
	requireFluvioVersion(t, mustRun(t, env, fluvio, "version"), "0.2.0")
	mustRun(t, env, fvm, "install", "^0.1")
	requireFluvioVersion(t, mustRun(t, env, fluvio, "version"), "0.1.0")
	require.Equal(t, "0.1.0\n", mustRun(t, env, fvm, "current"))
	mustRun(t, env, fvm, "self", "update")
}
