package smartengine

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// benchBatch is the number of records per Process call.
const benchBatch = 100

// benchValues makes n values of size bytes for a module: half contain an
// "a" for filters, even numbers (zero-padded) for filter_map.
func benchValues(module string, n, size int) []string {
	vs := make([]string, n)
	for i := range vs {
		switch module {
		case "filter-map-even-half.wasm":
			s := fmt.Sprint(i + 1)
			vs[i] = strings.Repeat("0", max(size-len(s), 0)) + s
		default:
			c := "a"
			if i%2 == 1 {
				c = "b"
			}
			vs[i] = c + strings.Repeat("x", size-1)
		}
	}
	return vs
}

// BenchmarkProcess measures engine-only throughput per kind with the real
// Rust modules: one goroutine, so records/s is per core. The "as-built"
// runs are the same modules without acceleration (accelerate.go).
func BenchmarkProcess(b *testing.B) {
	ctx := context.Background()
	fast := newEngine(b, Config{})
	asBuilt := newEngine(b, Config{NoAcceleration: true})
	kinds := []struct {
		module string
		inv    Invocation
		batch  int
		plain  bool // run without acceleration
	}{
		{module: "filter-on-a.wasm", batch: benchBatch},
		{module: "map-uppercase.wasm", batch: benchBatch},
		{module: "filter-map-even-half.wasm", batch: benchBatch},
		// The accumulator grows by a value per record; small batches keep
		// each output quadratic term small and the chain is reset often.
		{module: "aggregate-concat.wasm", inv: Invocation{Accumulator: []byte("1")}, batch: 10},
		{module: "filter-on-a.wasm", batch: benchBatch, plain: true},
		{module: "map-uppercase.wasm", batch: benchBatch, plain: true},
	}
	for _, size := range []int{100, 1024} {
		for _, k := range kinds {
			name := fmt.Sprintf("%s/size=%s", strings.TrimSuffix(k.module, ".wasm"), sizeName(size))
			e := fast
			if k.plain {
				name, e = "as-built/"+name, asBuilt
			}
			b.Run(name, func(b *testing.B) {
				inv := k.inv
				inv.Module = compileFixture(b, e, k.module)
				in := section(benchValues(k.module, k.batch, size)...)
				c := newChain(b, e, inv)
				b.SetBytes(int64(len(in)))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					if inv.Module.Kind() == KindAggregate && i%10 == 9 {
						b.StopTimer()
						_ = c.Close(ctx)
						c = newChain(b, e, inv)
						b.StartTimer()
					}
					if _, _, err := c.Process(ctx, int64(i*k.batch), testTimestamp, in); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*k.batch)/b.Elapsed().Seconds(), "records/s")
				if cpu := cpuTime() - cpu0; cpu > 0 {
					b.ReportMetric(float64(b.N*k.batch)/cpu.Seconds(), "records/cpu-s")
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}

// BenchmarkOpenChain measures what one open stream costs: instantiating
// and initialising a chain of one Rust filter, and the memory it holds.
func BenchmarkOpenChain(b *testing.B) {
	ctx := context.Background()
	e := newEngine(b, Config{})
	m := compileFixture(b, e, "filter-contains-a.wasm")
	inv := Invocation{Module: m, Params: map[string]string{"key": "a"}}
	chains := make([]*Chain, 0, b.N)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := e.NewChain(ctx, 25, inv)
		if err != nil {
			b.Fatal(err)
		}
		chains = append(chains, c)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(chains[0].MemoryBytes()), "guest-bytes/chain")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "heap-bytes/chain")
	for _, c := range chains {
		_ = c.Close(ctx)
	}
}
