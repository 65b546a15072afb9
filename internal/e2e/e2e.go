// Package e2e runs the built binaries the way a user does, for end-to-end
// tests and benchmarks: it builds fluvio and fluvio-run once per test
// process and starts a local cluster with `fluvio cluster start` in a
// private HOME on free 127.0.0.1 ports. It lives under internal/ because
// only tests and benchmarks of this module use it.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofluvio/fluvio/internal/fixtures"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds fluvio and fluvio-run (CGO_ENABLED=0) into a directory
// shared by the whole test process and returns it. Call RemoveBinaries at
// the end of TestMain to delete it.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fluvio-e2e-bin-")
		if err != nil {
			buildErr = fmt.Errorf("e2e: temp dir: %w", err)
			return
		}
		buildDir = dir
		cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "./cmd/fluvio", "./cmd/fluvio-run")
		cmd.Dir = fixtures.Root()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("e2e: go build: %w: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

// RemoveBinaries deletes what Binaries built.
func RemoveBinaries() {
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
}

// FreePortPair finds p such that p and p+1 are free on 127.0.0.1.
func FreePortPair(t testing.TB) int {
	t.Helper()
	for i := 0; i < 100; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("e2e: listen: %v", err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1))
		ln.Close()
		if err == nil {
			ln2.Close()
			return p
		}
	}
	t.Fatal("e2e: no free port pair")
	return 0
}

// Cluster is a local cluster started with `fluvio cluster start`.
type Cluster struct {
	t testing.TB
	// Bin is the directory holding fluvio and fluvio-run.
	Bin string
	// Home is the private HOME; FLUVIO_DIR is Home/.fluvio.
	Home string
	// Env is the environment the fluvio commands run with.
	Env []string
	// SCAddr and SCPrivateAddr are the SC's public and private addresses.
	SCAddr, SCPrivateAddr string
	// SPUBasePort is the first SPU's public port (its private port is +1).
	SPUBasePort int
	// StartTime is how long `fluvio cluster start` took to return ready.
	StartTime time.Duration
}

// StartCluster starts a cluster of spus SPUs with `fluvio cluster start`
// and deletes it (processes, data, profile) at the end of the test.
func StartCluster(t testing.TB, bin string, spus int) *Cluster {
	t.Helper()
	home := t.TempDir()
	c := &Cluster{t: t, Bin: bin, Home: home,
		Env: append(os.Environ(), "HOME="+home, "FLUVIO_DIR="+filepath.Join(home, ".fluvio"))}
	pub, priv := FreePortPair(t), FreePortPair(t)
	c.SPUBasePort = FreePortPair(t)
	c.SCAddr = fmt.Sprintf("127.0.0.1:%d", pub)
	c.SCPrivateAddr = fmt.Sprintf("127.0.0.1:%d", priv)
	start := time.Now()
	c.MustFluvio("cluster", "start", "--spu", strconv.Itoa(spus), "--sc-pub-addr", c.SCAddr,
		"--sc-priv-addr", c.SCPrivateAddr, "--spu-base-port", strconv.Itoa(c.SPUBasePort))
	c.StartTime = time.Since(start)
	t.Cleanup(func() { _, _ = c.Fluvio("cluster", "delete", "--force") })
	return c
}

// Fluvio runs the fluvio binary with the cluster's environment.
func (c *Cluster) Fluvio(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(c.Bin, "fluvio"), args...)
	cmd.Env = c.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("fluvio %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// MustFluvio is Fluvio failing the test on error.
func (c *Cluster) MustFluvio(args ...string) string {
	c.t.Helper()
	out, err := c.Fluvio(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// FluvioDir is $FLUVIO_DIR of the cluster.
func (c *Cluster) FluvioDir() string { return filepath.Join(c.Home, ".fluvio") }

// SPUAddr is the public address of the i-th SPU.
func (c *Cluster) SPUAddr(i int) string { return fmt.Sprintf("127.0.0.1:%d", c.SPUBasePort+10*i) }

// SPUPrivateAddr is the private address of the i-th SPU.
func (c *Cluster) SPUPrivateAddr(i int) string {
	return fmt.Sprintf("127.0.0.1:%d", c.SPUBasePort+10*i+1)
}

// PIDs reads the processes the cluster tracks in local-pids: "sc",
// "spu-5001", ...
func (c *Cluster) PIDs() map[string]int {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.FluvioDir(), "local-pids"))
	if err != nil {
		c.t.Fatalf("e2e: read local-pids: %v", err)
	}
	out := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			if pid, err := strconv.Atoi(f[1]); err == nil {
				out[f[0]] = pid
			}
		}
	}
	return out
}

// Cmdline is the argument vector of a running process (Linux /proc).
func Cmdline(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return nil, fmt.Errorf("e2e: cmdline of %d: %w", pid, err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"), nil
}

// RSS is the resident set size in bytes of a process (VmRSS of Linux
// /proc/<pid>/status).
func RSS(pid int) (int64, error) {
	return statusKB(pid, "VmRSS:")
}

func statusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("e2e: status of %d: %w", pid, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("e2e: %s of %d: %w", field, pid, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("e2e: no %s in /proc/%d/status", field, pid)
}

// OpenFDs counts the open file descriptors of a process (Linux /proc).
func OpenFDs(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, fmt.Errorf("e2e: fds of %d: %w", pid, err)
	}
	return len(ents), nil
}

// Eventually polls cond every 10ms until it returns nil or d passes.
func Eventually(t testing.TB, d time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("e2e: condition not met after %s: %v", d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
