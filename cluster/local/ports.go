package local

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// binding is a port the cluster will listen on.
type binding struct {
	What string // "SC public", "SPU 5001 private", ...
	Addr string // host:port as the server binds it
}

func (s *State) bindings() ([]binding, error) {
	privPort, err := s.scPrivatePort()
	if err != nil {
		return nil, err
	}
	priv := s.SCPrivAddr
	if priv == "" {
		priv = fmt.Sprintf("0.0.0.0:%d", privPort)
	}
	out := []binding{{"SC public", s.SCPubAddr}, {"SC private", priv}}
	for _, spu := range s.SPUs() {
		out = append(out,
			binding{fmt.Sprintf("SPU %d public", spu.ID), spu.PublicAddr},
			binding{fmt.Sprintf("SPU %d private", spu.ID), spu.PrivateAddr})
	}
	return out, nil
}

// checkPortsFree binds each address briefly; the first that fails is
// reported with its owner when the OS tells us.
func checkPortsFree(bs []binding) error {
	for _, b := range bs {
		// A port whose last owner just exited (shutdown, then resume) can
		// stay busy for a moment while the kernel tears its sockets down:
		// give it a little time before calling it taken.
		var err error
		for try := 0; try < 20; try++ {
			var l net.Listener
			if l, err = net.Listen("tcp", b.Addr); err == nil {
				l.Close()
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err == nil {
			continue
		}
		port, _ := portOf(b.Addr)
		owner := ""
		if pid, name := portOwner(port); pid > 0 {
			owner = fmt.Sprintf(" by pid %d (%s)", pid, name)
		}
		return fmt.Errorf("%w: port %d (%s, %s) is already in use%s; stop that program or choose other ports (--sc-pub-addr, --sc-priv-addr, --spu-base-port)",
			ErrPortInUse, port, b.What, b.Addr, owner)
	}
	return nil
}

func portOf(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("local: address %q: want host:port: %w", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("local: address %q: port must be 1-65535", addr)
	}
	return n, nil
}

// portOwner finds the process listening on port via /proc (Linux only;
// elsewhere, or without permission, it returns 0).
func portOwner(port int) (int, string) {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A = LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				inodes["socket:["+fields[9]+"]"] = true
			}
		}
		fh.Close()
	}
	if len(inodes) == 0 {
		return 0, ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		target, err := os.Readlink(fd)
		if err != nil || !inodes[target] {
			continue
		}
		pidStr := strings.Split(fd, "/")[2]
		pid, _ := strconv.Atoi(pidStr)
		comm, _ := os.ReadFile("/proc/" + pidStr + "/comm")
		return pid, strings.TrimSpace(string(comm))
	}
	return 0, ""
}
