//go:build !unix

package smartengine

import "time"

// cpuTime is unavailable here; benchmarks then report wall-clock only.
func cpuTime() time.Duration { return 0 }
