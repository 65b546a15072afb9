// Package consumer is `fluvio benchmark consumer`: fill a topic, then read
// it back from the beginning as fast as the cluster serves it and report
// records/s and MB/s.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/benchmark/bench"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	bench.Flags
	MaxBytes int32
	Skip     bool
}

// NewCmdConsumer builds the command; runF replaces the work in tests.
func NewCmdConsumer(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "consumer",
		Short: "Benchmark consumers",
		Long: `Create a topic and fill it with --num-records records of --record-size bytes
(not timed), then consume every partition from the beginning to the end and
report the throughput. With --topic-name of a topic that has records and
--skip-produce, only the consuming is done.`,
		Example: `  $ fluvio benchmark consumer --num-records 100000 --record-size 1kib
  100000 records received in 0.81s: 123456 records/sec (126.42 MB/sec)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if err := opts.Flags.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	opts.Flags.Bind(cmd)
	cmd.Flags().Int32Var(&opts.MaxBytes, "max-bytes", client.DefaultMaxBytes, "Maximum bytes per fetch")
	cmd.Flags().BoolVar(&opts.Skip, "skip-produce", false, "Do not fill the topic first (use its records)")
	return cmd
}

// Run runs the benchmark.
func Run(opts *Options) error {
	ctx := opts.Ctx
	c, err := opts.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	cleanup, err := opts.CreateTopic(ctx, c)
	if err != nil {
		return err
	}
	defer cleanup()
	if !opts.Skip {
		opts.IO.Printf("Filling %s with %d records of %s\n", opts.Topic, opts.NumRecords, units.FormatSize(uint64(opts.RecordSize)))
		p, err := c.Producer(ctx, opts.Topic, client.ProducerConfig{BatchSize: 1 << 20, Linger: 5 * time.Millisecond})
		if err != nil {
			return err
		}
		buf := make([]byte, opts.RecordSize)
		for n := uint64(0); n < opts.NumRecords; n++ {
			if err := p.Send(ctx, nil, bench.Record(buf, time.Now())); err != nil {
				return err
			}
		}
		if err := p.Flush(ctx); err != nil {
			return err
		}
	}
	opts.IO.Printf("Benchmark started: consuming %s (%d partition(s))\n", opts.Topic, opts.Partitions)
	var records, bytes atomic.Uint64
	var first atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, opts.Partitions)
	for p := uint32(0); p < opts.Partitions; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := c.PartitionConsumer(opts.Topic, p).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{MaxBytes: opts.MaxBytes, StopAtEnd: true, ReuseBuffers: true})
			if err != nil {
				errs[p] = err
				return
			}
			defer s.Close()
			for {
				r, err := s.Next(ctx)
				if client.IsEnd(err) {
					return
				}
				if err != nil {
					errs[p] = err
					return
				}
				first.CompareAndSwap(0, int64(time.Since(start)))
				records.Add(1)
				bytes.Add(uint64(len(r.Value) + len(r.Key)))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("benchmark consumer: %w", err)
	}
	res := bench.Result{Records: records.Load(), Bytes: bytes.Load(), Elapsed: time.Since(start)}
	opts.IO.Printf("Benchmark completed\n")
	res.Report(opts.IO.Out, "received")
	fmt.Fprintf(opts.IO.Out, "first record after %s\n", time.Duration(first.Load()).Round(time.Microsecond))
	return nil
}
