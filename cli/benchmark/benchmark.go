// Package benchmark assembles `fluvio benchmark`: measure how fast the
// cluster takes and serves records.
package benchmark

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/benchmark/consumer"
	"github.com/gofluvio/fluvio/cli/benchmark/producer"
	"github.com/gofluvio/fluvio/cli/cmdutil"
)

// NewCmdBenchmark builds the benchmark group.
func NewCmdBenchmark(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "benchmark",
		Short: "Measure producer and consumer throughput and latency",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(producer.NewCmdProducer(f, nil), consumer.NewCmdConsumer(f, nil))
	return cmd
}
