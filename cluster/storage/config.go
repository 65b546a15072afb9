package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Errors returned by the log. Write failures wrap ErrWrite (the SPU answers
// StorageError); bad input wraps ErrInvalidBatch or ErrBatchTooLarge.
var (
	ErrInvalidBatch     = errors.New("storage: invalid batch")
	ErrBatchTooLarge    = errors.New("storage: batch too large")
	ErrWrite            = errors.New("storage: write failed")
	ErrCorrupt          = errors.New("storage: corrupt data")
	ErrOffsetOutOfRange = errors.New("storage: offset out of range")
	ErrClosed           = errors.New("storage: replica closed")
)

// FlushMode says when appended batches are fsynced.
type FlushMode uint8

// Flush modes.
const (
	// FlushInterval fsyncs dirty data every Interval (the default).
	FlushInterval FlushMode = iota
	// FlushEveryBatch fsyncs before an append returns (concurrent appends
	// share one fsync).
	FlushEveryBatch
	// FlushOS leaves write-back to the operating system.
	FlushOS
)

// DefaultFlushInterval is the interval of the default flush policy.
const DefaultFlushInterval = 100 * time.Millisecond

// FlushPolicy is when data reaches stable storage; with one replica the high
// watermark follows what has been flushed.
type FlushPolicy struct {
	Mode     FlushMode
	Interval time.Duration // FlushInterval only
}

// DefaultFlushPolicy is FlushInterval every DefaultFlushInterval.
var DefaultFlushPolicy = FlushPolicy{Mode: FlushInterval, Interval: DefaultFlushInterval}

// String is the form ParseFlushPolicy reads.
func (p FlushPolicy) String() string {
	switch p.Mode {
	case FlushEveryBatch:
		return "batch"
	case FlushOS:
		return "os"
	}
	return p.Interval.String()
}

// ParseFlushPolicy reads "batch" (fsync every batch), "os" (leave it to the
// operating system) or a duration such as "100ms" (fsync on that interval).
func ParseFlushPolicy(s string) (FlushPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "batch", "every-batch", "always":
		return FlushPolicy{Mode: FlushEveryBatch}, nil
	case "os", "none", "never":
		return FlushPolicy{Mode: FlushOS}, nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "interval:"))
	if err != nil || d <= 0 {
		return FlushPolicy{}, fmt.Errorf("storage: flush policy %q: want \"batch\", \"os\" or a positive duration like \"100ms\"", s)
	}
	return FlushPolicy{Mode: FlushInterval, Interval: d}, nil
}

// Config tunes a Replica. The zero Config is usable: every zero field takes
// its default.
type Config struct {
	// FS is the file system (default OSFS).
	FS FS
	// SegmentSize is the size at which the active segment is rolled
	// (default DefaultSegmentSize, at most MaxSegmentSize).
	SegmentSize int64
	// IndexInterval is the number of bytes between index entries
	// (default DefaultIndexInterval).
	IndexInterval int
	// MaxBatchSize bounds one batch (default DefaultMaxBatchSize).
	MaxBatchSize int
	// RetentionTime drops sealed segments not written for this long (0 keeps them).
	RetentionTime time.Duration
	// MaxPartitionSize drops the oldest sealed segments while the replica is
	// bigger (0: no bound).
	MaxPartitionSize int64
	// Flush is the flush policy (zero value: FlushInterval every DefaultFlushInterval).
	Flush FlushPolicy
	// Now is the clock for retention (default time.Now).
	Now func() time.Time
	// Logger receives recovery and retention events (default slog.Default()).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.FS == nil {
		c.FS = OSFS{}
	}
	if c.SegmentSize <= 0 {
		c.SegmentSize = DefaultSegmentSize
	}
	c.SegmentSize = min(c.SegmentSize, MaxSegmentSize)
	if c.IndexInterval <= 0 {
		c.IndexInterval = DefaultIndexInterval
	}
	if c.MaxBatchSize <= 0 {
		c.MaxBatchSize = DefaultMaxBatchSize
	}
	if c.Flush.Mode == FlushInterval && c.Flush.Interval <= 0 {
		c.Flush.Interval = DefaultFlushInterval
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
