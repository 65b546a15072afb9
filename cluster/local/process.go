package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// proc is one tracked process: "sc" or "spu-<id>".
type proc struct {
	Name string
	PID  int
}

func readPIDs(p Paths) ([]proc, error) {
	f, err := os.Open(p.pidPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("local: read pids: %w", err)
	}
	defer f.Close()
	var out []proc
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			continue
		}
		pid, err := strconv.Atoi(fields[1])
		if err != nil || pid <= 1 {
			continue
		}
		out = append(out, proc{Name: fields[0], PID: pid})
	}
	return out, sc.Err()
}

func writePIDs(p Paths, procs []proc) error {
	var b strings.Builder
	for _, pr := range procs {
		fmt.Fprintf(&b, "%s %d\n", pr.Name, pr.PID)
	}
	if err := os.MkdirAll(p.Base, 0o755); err != nil {
		return fmt.Errorf("local: create %s: %w", p.Base, err)
	}
	if err := os.WriteFile(p.pidPath(), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("local: write pids: %w", err)
	}
	return nil
}

// running returns the tracked processes that are still alive and are
// still ours (the pid was not reused by another program).
func running(procs []proc, binary string) []proc {
	var out []proc
	for _, pr := range procs {
		if alive(pr.PID) && isOurs(pr.PID, binary) {
			out = append(out, pr)
		}
	}
	return out
}

// isOurs checks that pid runs binary (a pid can be reused after a reboot):
// through /proc on Linux, else through ps; if neither answers, the pid file
// is trusted.
func isOurs(pid int, binary string) bool {
	want := filepath.Base(binary)
	if want == "." || want == "" {
		want = BinaryName
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		argv0, _, _ := strings.Cut(string(b), "\x00")
		return filepath.Base(argv0) == want
	}
	out, err := exec.Command("ps", "-o", "comm=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return true
	}
	return filepath.Base(strings.TrimSpace(string(out))) == want
}

// spawn starts binary args detached from the terminal (own process group,
// stdin from /dev/null), appending stdout and stderr to logPath.
func spawn(binary string, args []string, env []string, logPath string) (int, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("local: open log %s: %w", logPath, err)
	}
	defer logf.Close()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Stdin = nil
	cmd.SysProcAttr = detachAttr()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("local: start %s %s: %w", binary, strings.Join(args, " "), err)
	}
	pid := cmd.Process.Pid
	// Reap the child if it exits while we still run (tests, a failed
	// start); otherwise it outlives us and init reaps it.
	go func() { _ = cmd.Wait() }()
	return pid, nil
}

// stop sends SIGTERM to every process, waits up to grace for them to exit,
// then SIGKILLs what is left. SPUs go first so they can flush while the SC
// still answers.
func stop(ctx context.Context, procs []proc, grace time.Duration) error {
	sorted := append([]proc(nil), procs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name != "sc" && sorted[j].Name == "sc" })
	for _, pr := range sorted {
		_ = terminate(pr.PID)
	}
	deadline := time.Now().Add(grace)
	for {
		left := 0
		for _, pr := range sorted {
			if alive(pr.PID) {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	var errs []error
	for _, pr := range sorted {
		if alive(pr.PID) {
			if err := kill(pr.PID); err != nil {
				errs = append(errs, fmt.Errorf("local: kill %s (pid %d): %w", pr.Name, pr.PID, err))
			}
		}
	}
	// Wait briefly for the kernel to tear them down.
	for i := 0; i < 100; i++ {
		n := 0
		for _, pr := range sorted {
			if alive(pr.PID) {
				n++
			}
		}
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.Join(errs...)
}

// findBinary looks for fluvio-run next to the running executable, then on
// PATH.
func findBinary(executable string) (string, error) {
	var tried []string
	if executable != "" {
		p := filepath.Join(filepath.Dir(executable), BinaryName+exeSuffix)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		tried = append(tried, filepath.Dir(executable))
	}
	if p, err := exec.LookPath(BinaryName); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return p, nil
	}
	tried = append(tried, "PATH")
	return "", fmt.Errorf("%w: looked in %s; install it with 'fvm install' or build it with 'make build' and put it next to fluvio", ErrBinaryMissing, strings.Join(tried, " and "))
}

// tailLog returns the last lines of a log, to explain a process that died.
func tailLog(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
