// Package bench holds what the benchmark verbs share: the flags that
// describe the topic and the records, the benchmark topic's lifetime, and
// the report (records/s, MB/s and latency percentiles).
package bench

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// TimestampSize is the prefix of every benchmark record: its send time
// in nanoseconds, so a consumer can measure end-to-end latency.
const TimestampSize = 8

// Flags describe the benchmark topic and records.
type Flags struct {
	RecordSizeFlag string
	NumRecords     uint64
	Partitions     uint32
	Replicas       uint32
	Topic          string
	KeepTopic      bool
	IgnoreRack     bool

	RecordSize int
}

// Bind adds the flags (Fluvio's names and defaults).
func (fl *Flags) Bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&fl.RecordSizeFlag, "record-size", "5kib", "Size of each record, e.g. 1kib, 5kib")
	f.Uint64Var(&fl.NumRecords, "num-records", 10000, "Number of records (each producer sends this many)")
	f.Uint32VarP(&fl.Partitions, "partitions", "p", 1, "Partitions of the benchmark topic")
	f.Uint32VarP(&fl.Replicas, "replicas", "r", 1, "Replicas of the benchmark topic")
	f.StringVarP(&fl.Topic, "topic-name", "t", "", "Benchmark topic (default benchmark-<random>; created and deleted unless --keep-topic)")
	f.BoolVarP(&fl.KeepTopic, "keep-topic", "k", false, "Keep the topic after the benchmark")
	f.BoolVar(&fl.IgnoreRack, "ignore-rack", false, "Ignore racks when assigning the topic's replicas")
}

// Validate checks the flags and fills RecordSize and Topic.
func (fl *Flags) Validate() error {
	n, err := units.ParseSize(fl.RecordSizeFlag)
	if err != nil {
		return cmdutil.FlagErrorf("--record-size: %w", err)
	}
	if n < TimestampSize || n > 64<<20 {
		return cmdutil.FlagErrorf("--record-size %q must be between %d bytes and 64 MiB", fl.RecordSizeFlag, TimestampSize)
	}
	fl.RecordSize = int(n)
	if fl.NumRecords == 0 {
		return cmdutil.FlagErrorf("--num-records must be at least 1")
	}
	if fl.Partitions == 0 || fl.Replicas == 0 {
		return cmdutil.FlagErrorf("--partitions and --replicas must be at least 1")
	}
	if fl.Topic == "" {
		var b [5]byte
		_, _ = rand.Read(b[:])
		fl.Topic = fmt.Sprintf("benchmark-%x", b)
	}
	return nil
}

// CreateTopic makes the benchmark topic (an existing one is reused) and
// returns a cleanup that deletes it unless it is kept.
func (fl *Flags) CreateTopic(ctx context.Context, c *client.Client) (func(), error) {
	err := c.Admin().CreateTopic(ctx, fl.Topic, client.TopicOptions{Partitions: fl.Partitions, ReplicationFactor: fl.Replicas, IgnoreRackAssignment: fl.IgnoreRack})
	existed := false
	if err != nil {
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code.Code != protocol.TopicAlreadyExists {
			return nil, err
		}
		existed = true
	}
	return func() {
		if !fl.KeepTopic && !existed {
			_ = c.Admin().DeleteTopic(context.WithoutCancel(ctx), fl.Topic)
		}
	}, nil
}

// Record fills a record value: the timestamp, then filler.
func Record(buf []byte, now time.Time) []byte {
	binary.BigEndian.PutUint64(buf, uint64(now.UnixNano()))
	return buf
}

// SentAt reads a record's send time.
func SentAt(v []byte) (time.Time, bool) {
	if len(v) < TimestampSize {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))), true
}

// Result is one benchmark's outcome.
type Result struct {
	Records   uint64
	Bytes     uint64
	Elapsed   time.Duration
	Latencies []time.Duration
	// LatencyLabel says what the latencies measure.
	LatencyLabel string
}

// RecordsPerSec is the throughput in records.
func (r Result) RecordsPerSec() float64 { return float64(r.Records) / r.Elapsed.Seconds() }

// MBPerSec is the throughput in MB (10^6 bytes) per second.
func (r Result) MBPerSec() float64 { return float64(r.Bytes) / 1e6 / r.Elapsed.Seconds() }

// Percentile returns the p-th (0..1) latency.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d.Microseconds())/1000) }

// Report prints the result.
func (r Result) Report(w io.Writer, what string) {
	fmt.Fprintf(w, "%d records %s in %s: %.0f records/sec (%.2f MB/sec)\n", r.Records, what, r.Elapsed.Round(time.Millisecond), r.RecordsPerSec(), r.MBPerSec())
	if len(r.Latencies) == 0 {
		return
	}
	l := slices.Clone(r.Latencies)
	slices.Sort(l)
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	fmt.Fprintf(w, "%s latency: avg %s, max %s\n", r.LatencyLabel, ms(sum/time.Duration(len(l))), ms(l[len(l)-1]))
	for _, p := range []float64{0.5, 0.9, 0.95, 0.99, 0.999} {
		fmt.Fprintf(w, "   p%.3f: %s\n", p, ms(Percentile(l, p)))
	}
}
