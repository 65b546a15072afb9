// Package producer is `fluvio benchmark producer`: send records from one
// or more producers as fast as the cluster takes them and report records/s,
// MB/s and end-to-end latency percentiles.
package producer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/gofluvio/fluvio/cli/benchmark/bench"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/produce"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Key strategies of --record-key-allocation-strategy.
var KeyStrategies = []string{"no-key", "all-share-same-key", "producer-worker-unique-key", "random-key"}

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	bench.Flags

	BatchSizeFlag     string
	LingerFlag        string
	CompressionFlag   string
	ServerTimeoutFlag string
	NumProducers      uint32
	KeyStrategy       string
	NoLatency         bool

	Config client.ProducerConfig
}

// NewCmdProducer builds the command; runF replaces the work in tests.
func NewCmdProducer(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "producer",
		Short: "Benchmark producers",
		Long: `Create a topic, send --num-records records of --record-size bytes from each of
--num-producers producers, and report the throughput. Latency is measured end
to end: a consumer reads the topic while it is written and compares each
record's send time with the time it arrives (--no-latency skips it).`,
		Example: `  $ fluvio benchmark producer --num-records 100000 --record-size 1kib
  100000 records sent in 1.52s: 65789 records/sec (67.37 MB/sec)
  end-to-end latency: avg 12.104ms, max 40.211ms
     p0.500: 11.310ms
     ...

  $ fluvio benchmark producer --num-producers 4 -p 4 --batch-size 64kib --linger 5ms -c lz4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	opts.Flags.Bind(cmd)
	cmdutil.ShadowClusterFlag(cmd, &f.Target)
	fl := cmd.Flags()
	fl.StringVarP(&opts.BatchSizeFlag, "batch-size", "b", "16kib", "Batch size")
	fl.StringVarP(&opts.LingerFlag, "linger", "l", "0ms", "How long a batch waits for more records")
	fl.StringVarP(&opts.CompressionFlag, "compression", "c", "none", "Batch compression: none, gzip, snappy, lz4, zstd")
	fl.StringVar(&opts.ServerTimeoutFlag, "server-timeout", "5000ms", "Produce timeout on the SPU")
	fl.Uint32Var(&opts.NumProducers, "num-producers", 1, "Number of concurrent producers")
	fl.StringVar(&opts.KeyStrategy, "record-key-allocation-strategy", "no-key", "Record keys: "+strings.Join(KeyStrategies, ", "))
	fl.BoolVar(&opts.NoLatency, "no-latency", false, "Do not measure end-to-end latency (no concurrent consumer)")
	return cmd
}

func (o *Options) validate() error {
	if err := o.Flags.Validate(); err != nil {
		return err
	}
	n, err := units.ParseSize(o.BatchSizeFlag)
	if err != nil {
		return cmdutil.FlagErrorf("--batch-size: %w", err)
	}
	if n == 0 || n > 1<<30 {
		return cmdutil.FlagErrorf("--batch-size %q must be between 1 byte and 1 GiB", o.BatchSizeFlag)
	}
	o.Config.BatchSize = int(n)
	d, err := units.ParseDuration(o.LingerFlag)
	if err != nil {
		return cmdutil.FlagErrorf("--linger: %w", err)
	}
	o.Config.Linger = d
	if d == 0 {
		// Why not a negative linger (one batch per record)? Fluvio's linger 0
		// sends without waiting, but records queued meanwhile share a batch.
		o.Config.Linger = time.Microsecond
	}
	c, ok := produce.Compressions[strings.ToLower(o.CompressionFlag)]
	if !ok {
		return cmdutil.FlagErrorf("--compression %q is not valid (valid: none, gzip, snappy, lz4, zstd)", o.CompressionFlag)
	}
	o.Config.Compression = c
	if o.Config.Timeout, err = units.ParseDuration(o.ServerTimeoutFlag); err != nil {
		return cmdutil.FlagErrorf("--server-timeout: %w", err)
	}
	if o.NumProducers == 0 {
		return cmdutil.FlagErrorf("--num-producers must be at least 1")
	}
	valid := false
	for _, k := range KeyStrategies {
		valid = valid || k == o.KeyStrategy
	}
	if !valid {
		return cmdutil.FlagErrorf("--record-key-allocation-strategy %q is not valid (valid: %s)", o.KeyStrategy, strings.Join(KeyStrategies, ", "))
	}
	return nil
}

func (o *Options) key(producer int, record uint64) []byte {
	switch o.KeyStrategy {
	case "all-share-same-key":
		return []byte("key")
	case "producer-worker-unique-key":
		return []byte("producer-" + strconv.Itoa(producer))
	case "random-key":
		return []byte(strconv.Itoa(producer) + "-" + strconv.FormatUint(record, 10))
	}
	return nil
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
	total := opts.NumRecords * uint64(opts.NumProducers)
	opts.IO.Printf("Benchmark started: %d producer(s) x %d records of %s to %s (%d partition(s)), batch %s, linger %s, compression %s\n",
		opts.NumProducers, opts.NumRecords, units.FormatSize(uint64(opts.RecordSize)), opts.Topic, opts.Partitions,
		units.FormatSize(uint64(opts.Config.BatchSize)), opts.LingerFlag, opts.Config.Compression)

	// The latency consumer starts at the end before anything is sent.
	var lat *latencies
	if !opts.NoLatency {
		lat, err = startLatency(ctx, c, opts.Topic, opts.Partitions, total)
		if err != nil {
			return err
		}
		defer lat.stop()
	}
	producers := make([]*client.Producer, opts.NumProducers)
	for i := range producers {
		if producers[i], err = c.Producer(ctx, opts.Topic, opts.Config); err != nil {
			return err
		}
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range producers {
		g.Go(func() error {
			buf := make([]byte, opts.RecordSize)
			for j := range buf[bench.TimestampSize:] {
				buf[bench.TimestampSize+j] = 'a' + byte(j%26)
			}
			for n := uint64(0); n < opts.NumRecords; n++ {
				if err := p.Send(gctx, opts.key(i, n), bench.Record(buf, time.Now())); err != nil {
					return err
				}
			}
			return p.Flush(gctx)
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("benchmark producer: %w", err)
	}
	res := bench.Result{Records: total, Bytes: total * uint64(opts.RecordSize), Elapsed: time.Since(start), LatencyLabel: "end-to-end"}
	if lat != nil {
		res.Latencies = lat.wait(30 * time.Second)
	}
	opts.IO.Printf("Benchmark completed\n")
	res.Report(opts.IO.Out, "sent")
	return nil
}

// latencies collects end-to-end latencies from a consumer of every
// partition.
type latencies struct {
	mu      sync.Mutex
	values  []time.Duration
	want    uint64
	done    chan struct{}
	cancel  context.CancelFunc
	streams []*client.Stream
}

func startLatency(ctx context.Context, c *client.Client, topic string, partitions uint32, want uint64) (*latencies, error) {
	l := &latencies{want: want, done: make(chan struct{}), values: make([]time.Duration, 0, want)}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.cancel = cancel
	var once sync.Once
	for p := uint32(0); p < partitions; p++ {
		s, err := c.PartitionConsumer(topic, p).Stream(ctx, client.OffsetEnd(0), client.ConsumerConfig{Isolation: protocol.ReadUncommitted})
		if err != nil {
			l.stop()
			return nil, err
		}
		l.streams = append(l.streams, s)
		go func() {
			for {
				r, err := s.Next(sctx)
				if err != nil {
					return
				}
				now := time.Now()
				if at, ok := bench.SentAt(r.Value); ok {
					l.mu.Lock()
					l.values = append(l.values, now.Sub(at))
					n := uint64(len(l.values))
					l.mu.Unlock()
					if n >= l.want {
						once.Do(func() { close(l.done) })
					}
				}
			}
		}()
	}
	return l, nil
}

func (l *latencies) wait(timeout time.Duration) []time.Duration {
	select {
	case <-l.done:
	case <-time.After(timeout):
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.values...)
}

func (l *latencies) stop() {
	l.cancel()
	for _, s := range l.streams {
		s.Close()
	}
}
