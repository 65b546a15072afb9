package smartmodules_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/cluster/spu"
	"github.com/gofluvio/fluvio/cluster/spu/smartmodules"
	"github.com/gofluvio/fluvio/internal/e2e"
)

// benchRecords is how many records each pass over the topic consumes.
const benchRecords = 20000

// benchValues are size-byte values, alternately without and with an "a"
// (at the end, so a filter reads the whole value): half pass a filter on
// "a", and the last one passes, so a StopAtEnd consumer ends on it.
func benchValues(n, size int) [][]byte {
	vs := make([][]byte, n)
	for i := range vs {
		last := "x"
		if i%2 == 1 {
			last = "a"
		}
		vs[i] = []byte(strings.Repeat("x", size-1) + last)
	}
	return vs
}

// BenchmarkConsume measures end-to-end consuming (Go client, in-process
// SPU, loopback TCP) of 1 KiB records: plain, through the Rust
// filter-on-a.wasm and through the Go SDK filter example (both pass half).
// records/s counts input records; %plain is the ratio to the plain run of
// the same invocation (run the three together).
func BenchmarkConsume(b *testing.B) {
	c := start(b, clustertest.Options{})
	ctx := context.Background()
	const size = 1024
	benchTopic(b, c.c, "bench", benchRecords)

	cases := []struct {
		name string
		invs func() []protocol.SmartModuleInvocation
		want int
	}{
		{name: "plain", want: benchRecords},
		{name: "filter-on-a.wasm", want: benchRecords / 2, invs: func() []protocol.SmartModuleInvocation {
			return []protocol.SmartModuleInvocation{adHoc(b, fixture(b, "filter-on-a.wasm"), filterKind, nil)}
		}},
		{name: "go-sdk-filter", want: benchRecords / 2, invs: func() []protocol.SmartModuleInvocation {
			return []protocol.SmartModuleInvocation{adHoc(b, goExample(b, "filter"), filterKind, nil)}
		}},
	}
	var plainRate float64
	for _, tc := range cases {
		b.Run(tc.name+"/size=1KiB", func(b *testing.B) {
			var invs []protocol.SmartModuleInvocation
			if tc.invs != nil {
				invs = tc.invs()
				consumeN(b, c, invs, tc.want) // compile and warm up outside the timing
			}
			b.SetBytes(benchRecords * size)
			b.ReportAllocs()
			b.ResetTimer()
			began := time.Now()
			for range b.N {
				consumeN(b, c, invs, tc.want)
			}
			rate := float64(benchRecords*b.N) / time.Since(began).Seconds()
			b.ReportMetric(rate, "records/s")
			if tc.invs == nil {
				plainRate = rate
			} else if plainRate > 0 {
				b.ReportMetric(100*rate/plainRate, "%plain")
			}
		})
	}
	// The same records through the adapter and engine alone (no storage,
	// network or client): the ceiling of the consuming runs above.
	// Read as the SPU reads them: as many stored batches as fit in the
	// client's default max_bytes.
	var reads [][]byte
	for _, batch := range benchBatches(b, benchValues(benchRecords, size), 64<<10) {
		if n := len(reads); n == 0 || len(reads[n-1])+len(batch) > client.DefaultMaxBytes {
			reads = append(reads, nil)
		}
		reads[len(reads)-1] = append(reads[len(reads)-1], batch...)
	}
	eng := smartmodules.New(smartengine.Config{})
	defer eng.Close()
	for _, tc := range cases[1:] {
		b.Run("transform-only/"+tc.name+"/size=1KiB", func(b *testing.B) {
			tr, code := eng.NewTransform(ctx, nil, spu.TransformRequest{Version: 23, MaxBytes: client.DefaultMaxBytes, SmartModules: tc.invs()})
			require.True(b, code.IsOK(), "%v", code.Err())
			defer tr.Close()
			b.SetBytes(benchRecords * size)
			b.ReportAllocs()
			b.ResetTimer()
			began := time.Now()
			for range b.N {
				for _, read := range reads {
					if _, _, code := tr.Process(ctx, read, 0); !code.IsOK() {
						b.Fatal(code.Err())
					}
				}
			}
			rate := float64(benchRecords*b.N) / time.Since(began).Seconds()
			b.ReportMetric(rate, "records/s")
			if plainRate > 0 {
				b.ReportMetric(100*rate/plainRate, "%plain")
			}
		})
	}
}

// BenchmarkConsumeRatio measures the same three ways of consuming as
// BenchmarkConsume, interleaved: each iteration consumes the topic plain,
// through filter-on-a.wasm and through the Go SDK filter, one after the
// other, and the reported %plain figures are the medians of the
// iterations' ratios. On a noisy machine, where the plain rate drifts
// between runs by a third, this is the figure to quote (-benchtime 15x or
// more). Each pass opens a stream, so its SmartModule instance is created
// within the timing: records=20000 (20 MB per pass) includes that start,
// records=100000 is closer to a long-running consumer. Every pass runs
// with the consumer's default buffers (a fresh one per chunk) and with
// ConsumerConfig.ReuseBuffers, where plain consuming is at its fastest.
//
// The SPU runs in the benchmark's process, which is what to profile
// (-cpuprofile) but not how anyone runs it: the consumer's and the SPU's
// garbage share one collector, whose pace depends on both heaps, and
// plain consuming with fresh buffers is mostly garbage collection. The
// figures to quote are BenchmarkConsumeRatioCluster's.
func BenchmarkConsumeRatio(b *testing.B) {
	c := start(b, clustertest.Options{})
	consumeRatio(b, c.c)
}

// BenchmarkConsumeRatioCluster is BenchmarkConsumeRatio against a cluster
// of `fluvio-run` processes started with `fluvio cluster start`, as users
// run one: the consumer (the Go client) is the benchmark's process, the
// SPU another.
func BenchmarkConsumeRatioCluster(b *testing.B) {
	cl := e2e.StartCluster(b, e2e.Binaries(b), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := client.Connect(ctx, cl.SCAddr, client.Options{})
	require.NoError(b, err)
	defer c.Close()
	consumeRatio(b, c)
}

func consumeRatio(b *testing.B, c *client.Client) {
	rust := []protocol.SmartModuleInvocation{adHoc(b, fixture(b, "filter-on-a.wasm"), filterKind, nil)}
	goSDK := []protocol.SmartModuleInvocation{adHoc(b, goExample(b, "filter"), filterKind, nil)}
	for _, records := range []int{benchRecords, 5 * benchRecords} {
		topic := fmt.Sprintf("ratio-%d", records)
		benchTopic(b, c, topic, records)
		for _, reuse := range []bool{false, true} {
			b.Run(fmt.Sprintf("records=%d/reuse-buffers=%v", records, reuse), func(b *testing.B) {
				consume := func(invs []protocol.SmartModuleInvocation, want int) {
					consumeTopicWith(b, c, topic, client.ConsumerConfig{SmartModules: invs, ReuseBuffers: reuse}, want)
				}
				consume(rust, records/2) // compile and warm up outside the timing
				consume(goSDK, records/2)
				consume(nil, records)
				timed := func(invs []protocol.SmartModuleInvocation, want int) float64 {
					began := time.Now()
					consume(invs, want)
					return time.Since(began).Seconds()
				}
				var rustRatios, goRatios []float64
				var plainTotal float64
				b.ResetTimer()
				for range b.N {
					plain := timed(nil, records)
					plainTotal += plain
					rustRatios = append(rustRatios, 100*plain/timed(rust, records/2))
					goRatios = append(goRatios, 100*plain/timed(goSDK, records/2))
				}
				b.StopTimer()
				median := func(v []float64) float64 {
					slices.Sort(v)
					return v[len(v)/2]
				}
				b.ReportMetric(float64(records*b.N)/plainTotal, "plain-records/s")
				b.ReportMetric(median(rustRatios), "filter-on-a-%plain")
				b.ReportMetric(median(goRatios), "go-sdk-filter-%plain")
			})
		}
	}
}

// benchTopic creates a one-partition topic holding n benchValues of 1 KiB,
// produced in batches of about 64 KiB.
func benchTopic(b *testing.B, c *client.Client, topic string, n int) {
	ctx := context.Background()
	require.NoError(b, c.Admin().CreateTopic(ctx, topic, client.TopicOptions{Partitions: 1}))
	p, err := c.Producer(ctx, topic, client.ProducerConfig{BatchSize: 64 << 10})
	require.NoError(b, err)
	for _, v := range benchValues(n, 1024) {
		require.NoError(b, p.Send(ctx, nil, v))
	}
	require.NoError(b, p.Flush(ctx))
}

// benchBatches encodes values into batches of about batchSize bytes, as a
// producer stores them.
func benchBatches(b *testing.B, values [][]byte, batchSize int) [][]byte {
	var out [][]byte
	var recs []protocol.Record
	size, base := 0, int64(0)
	flush := func() {
		batch := protocol.NewBatch(time.Now().UnixMilli(), recs)
		enc, err := protocol.AppendBatch(nil, &batch, protocol.CompressionNone)
		require.NoError(b, err)
		protocol.SetBatchBaseOffset(enc, base)
		base += int64(len(recs))
		out = append(out, enc)
		recs, size = nil, 0
	}
	for _, v := range values {
		recs = append(recs, protocol.Record{Value: v})
		size += len(v)
		if size >= batchSize {
			flush()
		}
	}
	if len(recs) > 0 {
		flush()
	}
	return out
}

// consumeN reads the bench topic to its end and checks the record count.
func consumeN(b *testing.B, c *cluster, invs []protocol.SmartModuleInvocation, want int) {
	consumeTopic(b, c, "bench", invs, want)
}

// consumeTopic reads topic to its end and checks the record count.
func consumeTopic(b *testing.B, c *cluster, topic string, invs []protocol.SmartModuleInvocation, want int) {
	consumeTopicWith(b, c.c, topic, client.ConsumerConfig{SmartModules: invs}, want)
}

// consumeTopicWith is consumeTopic with a consumer configuration (made to
// stop at the end).
func consumeTopicWith(b *testing.B, c *client.Client, topic string, cfg client.ConsumerConfig, want int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg.StopAtEnd = true
	s, err := c.PartitionConsumer(topic, 0).Stream(ctx, client.OffsetBeginning(0), cfg)
	require.NoError(b, err)
	defer s.Close()
	n := 0
	for {
		_, err := s.Next(ctx)
		if client.IsEnd(err) {
			break
		}
		if err != nil { // not require: its t.Helper walks the stack, per record
			b.Fatal(err)
		}
		n++
	}
	require.Equal(b, want, n)
}

// BenchmarkStreamMemory measures the memory an open SmartModule stream
// holds on the SPU (module instance, linear memory, buffers): it opens
// streams in batches of 20 and reports the growth of the process's Go
// heap (wazero linear memories live there) per stream, counting the
// memories they took from the engine's pool of closed instances' ones.
func BenchmarkStreamMemory(b *testing.B) {
	sm := smartmodules.New(smartengine.Config{CacheDir: b.TempDir()})
	defer sm.Close()
	c := start(b, clustertest.Options{SmartModules: sm})
	ctx := context.Background()
	eng, err := sm.Engine(ctx)
	require.NoError(b, err)
	benchTopic(b, c.c, "mem", 100)
	modules := []struct {
		name string
		wasm func() []byte
	}{
		{name: "filter-on-a.wasm", wasm: func() []byte { return fixture(b, "filter-on-a.wasm") }},
		{name: "go-sdk-filter", wasm: func() []byte { return goExample(b, "filter") }},
	}
	const streams = 20
	for _, m := range modules {
		b.Run(m.name, func(b *testing.B) {
			inv := adHoc(b, m.wasm(), filterKind, nil)
			var perStream float64
			for range b.N {
				before, pooled := heapInUse(), eng.PooledMemory()
				var open []*client.Stream
				for range streams {
					s, err := c.c.PartitionConsumer("mem", 0).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{SmartModules: []protocol.SmartModuleInvocation{inv}})
					require.NoError(b, err)
					_, err = s.Next(ctx) // the chain is built and has run a batch
					require.NoError(b, err)
					open = append(open, s)
				}
				after := heapInUse()
				perStream = (float64(after) - float64(before) + float64(pooled) - float64(eng.PooledMemory())) / streams
				for _, s := range open {
					s.Close()
				}
			}
			b.ReportMetric(perStream, "B/stream")
			b.ReportMetric(perStream/(1<<20), "MiB/stream")
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestMain(m *testing.M) {
	defer e2e.RemoveBinaries() // built by BenchmarkConsumeRatioCluster
	m.Run()
}
