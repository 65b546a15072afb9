// Package produce is `fluvio produce`: send records to a topic, one per
// line of stdin or of a file, or the whole input as one record (--raw),
// with optional keys, batching, compression and producer SmartModules.
package produce

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/sminvoke"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// MaxLine is the longest line read as one record (1 GiB).
const MaxLine = 1 << 30

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context

	Topic           string
	Verbose         bool
	Key             string
	KeySeparator    string
	Raw             bool
	File            string
	Partition       int64
	SmartModules    sminvoke.Flags
	CompressionFlag string
	LingerFlag      string
	BatchSizeFlag   string
	IsolationFlag   string
	DeliveryFlag    string

	// Config is the producer configuration the flags describe.
	Config client.ProducerConfig
	// HasKey says --key was given (an empty key is a key).
	HasKey bool
}

// NewCmdProduce builds the command; runF replaces the work in tests.
func NewCmdProduce(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client, Partition: -1}
	cmd := &cobra.Command{
		Use:   "produce <topic>",
		Short: "Write records to a topic",
		Long: `Write records to a topic. Each line of standard input (or of --file) is one
record; --raw sends the whole input as one record. With --key-separator each
line is split into a key and a value at the first separator; keys choose the
partition. On a terminal, each line is sent as you press enter.`,
		Example: `  $ echo "hello world" | fluvio produce greetings
  $ fluvio produce greetings --file records.txt --linger 10ms --batch-size 64KiB --compression zstd
  $ printf 'alice=1\nbob=2\n' | fluvio produce scores --key-separator = -v
  [alice] 1
  [bob] 2
  $ fluvio produce images --raw --file photo.png
  $ cat words.txt | fluvio produce shouts --smartmodule-path map_uppercase.wasm`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Topic, opts.Ctx = args[0], cmd.Context()
			opts.HasKey = cmd.Flags().Changed("key")
			if err := opts.validate(cmd.Flags().Changed); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "Print each record as it is sent and the offsets written")
	fl.StringVar(&opts.Key, "key", "", "Send every record with this key")
	fl.StringVar(&opts.KeySeparator, "key-separator", "", "Split each line into key and value at the first occurrence of this separator")
	fl.BoolVar(&opts.Raw, "raw", false, "Send the whole input as one record (for binary files)")
	fl.StringVarP(&opts.File, "file", "f", "", "Read records from this file instead of stdin")
	fl.Int64VarP(&opts.Partition, "partition", "p", -1, "Send every record to this partition (default: by key, round-robin without key)")
	fl.StringVar(&opts.CompressionFlag, "compression", "", "Batch compression: none, gzip, snappy, lz4, zstd")
	fl.StringVar(&opts.LingerFlag, "linger", "", "How long a batch waits for more records, e.g. 0ms, 150ms, 2s (default 100ms)")
	fl.StringVar(&opts.BatchSizeFlag, "batch-size", "", "Batch size in bytes, e.g. 16384, 64KiB (default 16KiB)")
	fl.StringVar(&opts.IsolationFlag, "isolation", "", "read_uncommitted (leader accepted, default) or read_committed (replicated)")
	fl.StringVar(&opts.DeliveryFlag, "delivery-semantic", "at-least-once", "at-least-once (retry failed batches) or at-most-once (send once)")
	opts.SmartModules.Bind(cmd)
	return cmd
}

// Compressions maps --compression names to batch codecs.
var Compressions = map[string]protocol.Compression{
	"none": protocol.CompressionNone, "gzip": protocol.CompressionGzip, "snappy": protocol.CompressionSnappy,
	"lz4": protocol.CompressionLz4, "zstd": protocol.CompressionZstd,
}

// ParseIsolation accepts Fluvio's spellings of an isolation level.
func ParseIsolation(s string) (protocol.Isolation, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "_")) {
	case "read_committed", "readcommitted":
		return protocol.ReadCommitted, nil
	case "read_uncommitted", "readuncommitted":
		return protocol.ReadUncommitted, nil
	}
	return 0, cmdutil.FlagErrorf("--isolation %q is not valid (valid: read_committed, read_uncommitted)", s)
}

func (o *Options) validate(changed func(string) bool) error {
	if o.KeySeparator == "" && changed("key-separator") {
		return cmdutil.FlagErrorf("--key-separator must be non-empty. If using '=', type it as '--key-separator \"=\"'")
	}
	if o.KeySeparator != "" && o.HasKey {
		return cmdutil.FlagErrorf("--key and --key-separator cannot be used together")
	}
	if o.KeySeparator != "" && o.Raw {
		return cmdutil.FlagErrorf("--key-separator cannot be used with --raw (a raw record is the whole input)")
	}
	if err := o.SmartModules.Validate(changed); err != nil {
		return err
	}
	cfg := client.ProducerConfig{}
	if o.CompressionFlag != "" {
		c, ok := Compressions[strings.ToLower(o.CompressionFlag)]
		if !ok {
			return cmdutil.FlagErrorf("--compression %q is not valid (valid: none, gzip, snappy, lz4, zstd)", o.CompressionFlag)
		}
		cfg.Compression = c
	}
	if o.LingerFlag != "" {
		d, err := units.ParseDuration(o.LingerFlag)
		if err != nil {
			return cmdutil.FlagErrorf("--linger: %w", err)
		}
		cfg.Linger = d
		if d == 0 {
			// Why not a negative linger (one batch per record)? Fluvio's linger 0
			// sends without waiting, but records queued meanwhile share a batch.
			cfg.Linger = time.Microsecond
		}
	}
	if o.BatchSizeFlag != "" {
		n, err := units.ParseSize(o.BatchSizeFlag)
		if err != nil {
			return cmdutil.FlagErrorf("--batch-size: %w", err)
		}
		if n == 0 || n > 1<<30 {
			return cmdutil.FlagErrorf("--batch-size %q must be between 1 byte and 1 GiB", o.BatchSizeFlag)
		}
		cfg.BatchSize = int(n)
	}
	if o.IsolationFlag != "" {
		iso, err := ParseIsolation(o.IsolationFlag)
		if err != nil {
			return err
		}
		cfg.Isolation = iso
	}
	switch strings.ToLower(strings.ReplaceAll(o.DeliveryFlag, "_", "-")) {
	case "at-least-once", "atleastonce":
		cfg.Delivery = client.AtLeastOnce
	case "at-most-once", "atmostonce":
		cfg.Delivery = client.AtMostOnce
	default:
		return cmdutil.FlagErrorf("--delivery-semantic %q is not valid (valid: at-least-once, at-most-once)", o.DeliveryFlag)
	}
	if changed("partition") && o.Partition < 0 {
		return cmdutil.FlagErrorf("--partition must not be negative, got %d", o.Partition)
	}
	o.Config = cfg
	return nil
}

// sender is what Run needs of a producer.
type sender interface {
	SendRecord(ctx context.Context, rec protocol.Record) error
	SendToPartition(ctx context.Context, partition uint32, rec protocol.Record) error
	Flush(ctx context.Context) error
}

// Run sends the records.
func Run(opts *Options) error {
	ctx := opts.Ctx
	var in io.Reader = opts.IO.In
	interactive := opts.File == "" && opts.IO.IsStdinTTY() && !opts.Raw
	if opts.File != "" {
		f, err := os.Open(opts.File)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
		in = f
	}
	sms, err := opts.SmartModules.Invocations()
	if err != nil {
		return err
	}
	cfg := opts.Config
	cfg.SmartModules = sms
	if interactive {
		cfg.Linger = -1
	}
	c, err := opts.Client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := c.Producer(ctx, opts.Topic, cfg)
	if err != nil {
		if errors.Is(err, client.ErrTopicNotFound) {
			return fmt.Errorf("topic %q not found (create it with 'fluvio topic create %s')", opts.Topic, opts.Topic)
		}
		return err
	}
	var before map[uint32]int64
	if opts.Verbose && !interactive {
		before = highWatermarks(ctx, c, opts.Topic)
	}
	n, err := produce(ctx, opts, p, in, interactive)
	if err != nil {
		_ = p.Flush(context.WithoutCancel(ctx))
		return err
	}
	if err := p.Flush(ctx); err != nil {
		return fmt.Errorf("produce to %s: %w", opts.Topic, err)
	}
	if before != nil {
		after := highWatermarks(ctx, c, opts.Topic)
		for part := uint32(0); part < uint32(len(after)); part++ {
			if a, b := after[part], before[part]; a > b {
				opts.IO.Printf("%s-%d: offsets %d..%d\n", opts.Topic, part, b, a-1)
			}
		}
		opts.IO.Printf("%d records sent to %s\n", n, opts.Topic)
	}
	return nil
}

// highWatermarks reads every partition's high watermark (for -v).
func highWatermarks(ctx context.Context, c *client.Client, topic string) map[uint32]int64 {
	out := map[uint32]int64{}
	n, err := PartitionCount(ctx, c, topic)
	if err != nil {
		return out
	}
	for part := uint32(0); part < n; part++ {
		if offs, err := c.PartitionConsumer(topic, part).FetchOffsets(ctx, ""); err == nil {
			out[part] = offs.HighWatermark
		}
	}
	return out
}

// PartitionCount is the number of partitions of topic.
func PartitionCount(ctx context.Context, c *client.Client, topic string) (uint32, error) {
	ts, err := c.Admin().ListTopics(ctx, topic)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		if t.Name == topic && t.Spec != nil {
			return t.Spec.Partitions(), nil
		}
	}
	return 0, fmt.Errorf("topic %q not found (see 'fluvio topic list')", topic)
}

// produce reads the input and queues its records; it returns how many.
func produce(ctx context.Context, opts *Options, p sender, in io.Reader, interactive bool) (int, error) {
	var key []byte
	if opts.HasKey {
		key = []byte(opts.Key)
	}
	send := func(rec protocol.Record) error {
		if opts.Partition >= 0 {
			return p.SendToPartition(ctx, uint32(opts.Partition), rec)
		}
		return p.SendRecord(ctx, rec)
	}
	if opts.Raw {
		b, err := io.ReadAll(in)
		if err != nil {
			return 0, fmt.Errorf("read input: %w", err)
		}
		if opts.Verbose {
			printRecord(opts, key, b)
		}
		return 1, send(protocol.Record{Key: key, Value: b})
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	sep := []byte(opts.KeySeparator)
	n := 0
	if interactive {
		opts.IO.Printf("> ")
	}
	for sc.Scan() {
		line := sc.Bytes()
		k, v := key, line
		if len(sep) > 0 {
			i := bytes.Index(line, sep)
			if i < 0 {
				opts.IO.Printf("Failed to find separator %q in record, skipping: %q\n", opts.KeySeparator, line)
				continue
			}
			k, v = line[:i], line[i+len(sep):]
		}
		if opts.Verbose {
			printRecord(opts, k, v)
		}
		if err := send(protocol.Record{Key: k, Value: v}); err != nil {
			return n, fmt.Errorf("produce record %d to %s: %w", n+1, opts.Topic, err)
		}
		n++
		if interactive {
			if err := p.Flush(ctx); err != nil {
				return n, fmt.Errorf("produce to %s: %w", opts.Topic, err)
			}
			opts.IO.Printf("Ok!\n> ")
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return n, fmt.Errorf("line %d is longer than %d bytes (use --raw to send a whole file as one record)", n+1, MaxLine)
		}
		return n, fmt.Errorf("read input: %w", err)
	}
	return n, nil
}

func printRecord(opts *Options, key, value []byte) {
	k := "null"
	if key != nil {
		k = string(key)
	}
	fmt.Fprintf(opts.IO.Out, "[%s] %s\n", k, value)
}

var _ sender = (*client.Producer)(nil)
