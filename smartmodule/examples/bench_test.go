//go:build unix

package examples

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGoFilter compares the Go SDK filter with the Rust filter-on-a
// on the same 1 KiB records, half passing; engine only, one goroutine.
func BenchmarkGoFilter(b *testing.B) {
	const batch = 100
	vs := make([]string, batch)
	for i := range vs {
		c := "a"
		if i%2 == 1 {
			c = "b"
		}
		vs[i] = c + strings.Repeat("x", 1023)
	}
	in := section(vs...)
	rust, err := os.ReadFile(fixtures.Path(b, "smartmodules", "filter-on-a.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	mods := map[string][]byte{"go-sdk": build(b, "filter"), "rust": rust}
	for _, name := range []string{"go-sdk", "rust"} {
		b.Run(fmt.Sprintf("%s/size=1KiB", name), func(b *testing.B) {
			ctx := context.Background()
			m, err := engine(b).Compile(ctx, mods[name])
			if err != nil {
				b.Fatal(err)
			}
			c := chain(b, smartengine.Invocation{Module: m})
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, _, err := c.Process(ctx, int64(i*batch), ts, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
			if cpu := cpuTime() - cpu0; cpu > 0 {
				b.ReportMetric(float64(b.N*batch)/cpu.Seconds(), "records/cpu-s")
			}
		})
	}
}

// BenchmarkOpenGoChain measures instantiating a chain of the Go filter
// (runs the Go runtime's _initialize) and its guest memory.
func BenchmarkOpenGoChain(b *testing.B) {
	ctx := context.Background()
	m, err := engine(b).Compile(ctx, build(b, "filter"))
	if err != nil {
		b.Fatal(err)
	}
	var last *smartengine.Chain
	for i := 0; i < b.N; i++ {
		c, err := engine(b).NewChain(ctx, 25, smartengine.Invocation{Module: m})
		if err != nil {
			b.Fatal(err)
		}
		if last != nil {
			_ = last.Close(ctx)
		}
		last = c
	}
	b.ReportMetric(float64(last.MemoryBytes()), "guest-bytes/chain")
	_ = last.Close(ctx)
}
