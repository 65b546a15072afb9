//go:build unix

package smartengine

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used. On a
// shared machine wall-clock throughput says more about the neighbours
// than about the engine; records per CPU-second is the per-core figure.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
