package benchmark

import (
	"regexp"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/benchmark/bench"
	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/topic"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command { return NewCmdBenchmark(f) }

// scrub replaces what changes from run to run: durations, rates and the
// random topic name.
func scrub(s string) string {
	for _, r := range []struct{ re, to string }{
		{`benchmark-[0-9a-f]{10}`, "benchmark-RANDOM"},
		{`in [0-9.]+(ms|µs|s|m)`, "in D"},
		{`\d+ records/sec \([0-9.]+ MB/sec\)`, "R records/sec (M MB/sec)"},
		{`avg [0-9.]+ms, max [0-9.]+ms`, "avg D, max D"},
		{`: [0-9.]+ms`, ": D"},
		{`first record after \S+`, "first record after D"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.to)
	}
	return s
}

func TestGolden(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{SPUs: 1})
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t)
			e.UseCluster(cl.Addr())
			for _, s := range []struct {
				name string
				args []string
			}{
				{"producer", []string{"benchmark", "producer", "--num-records", "200", "--record-size", "100b", "-p", "2", "--num-producers", "2", "-t", "bp-" + m.Name}},
				{"producer-no-latency", []string{"benchmark", "producer", "--num-records", "50", "--record-size", "1kib", "--no-latency", "-c", "zstd", "--record-key-allocation-strategy", "random-key"}},
				{"consumer", []string{"benchmark", "consumer", "--num-records", "300", "--record-size", "64b", "-p", "3"}},
				{"bad-record-size", []string{"benchmark", "producer", "--record-size", "4b"}},
				{"bad-strategy", []string{"benchmark", "producer", "--record-key-allocation-strategy", "sometimes"}},
				{"bad-compression", []string{"benchmark", "producer", "-c", "brotli"}},
			} {
				golden.Assert(t, s.name+"."+m.Name, scrub(e.Run(m.TTY, build, s.args...)))
			}
			// The benchmark topics were deleted (none kept).
			got := e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return topic.NewCmdTopic(f) }, "topic", "list")
			require.NotContains(t, got, "benchmark-")
			require.NotContains(t, got, "bp-"+m.Name, "a named topic that did not exist is deleted too unless kept")
		})
	}
}

func TestPercentile(t *testing.T) {
	l := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	require.Equal(t, time.Duration(5), bench.Percentile(l, 0.5))
	require.Equal(t, time.Duration(10), bench.Percentile(l, 0.99))
	require.Equal(t, time.Duration(1), bench.Percentile(l, 0))
	require.Equal(t, time.Duration(0), bench.Percentile(nil, 0.5))
}
