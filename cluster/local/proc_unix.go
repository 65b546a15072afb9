//go:build unix

package local

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

const exeSuffix = ""

func detachAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// pid (comm) S ...: the state follows the last ')'.
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) && s[i+2] == 'Z' {
			return false
		}
	}
	return true
}

// signalTarget is -pid (the process group) when pid leads its own group,
// as the processes spawn starts do, else pid alone.
func signalTarget(pid int) (int, error) {
	if pid <= 1 {
		return 0, fmt.Errorf("refusing to signal pid %d", pid)
	}
	if pgid, err := syscall.Getpgid(pid); err == nil && pgid == pid {
		return -pid, nil
	}
	return pid, nil
}

// terminate asks the process (and its group) to stop.
func terminate(pid int) error {
	target, err := signalTarget(pid)
	if err != nil {
		return err
	}
	return syscall.Kill(target, syscall.SIGTERM)
}

func kill(pid int) error {
	target, err := signalTarget(pid)
	if err != nil {
		return err
	}
	err = syscall.Kill(target, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
