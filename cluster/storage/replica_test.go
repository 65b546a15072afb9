package storage

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

func openT(t *testing.T, dir string, cfg Config) *Replica {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Flush == (FlushPolicy{}) {
		cfg.Flush = FlushPolicy{Mode: FlushOS}
	}
	r, err := Open(dir, quiet(cfg))
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func TestAppendAssignsOffsetsAndReadReturnsBatches(t *testing.T) {
	r := openT(t, t.TempDir(), Config{})
	sizes := []int{3, 1, 5}
	var next int64
	for _, n := range sizes {
		base, err := r.Append(makeBatch(t, n, 10))
		require.NoError(t, err)
		require.Equal(t, next, base)
		next += int64(n)
	}
	require.Equal(t, Offsets{LogStart: 0, HighWatermark: 9, LogEnd: 9, Size: r.Offsets().Size}, r.Offsets())

	tests := []struct {
		offset    int64
		wantFirst int64
		wantCount int
	}{
		{0, 0, 3},
		{2, 0, 3}, // the batch containing offset 2 starts at 0
		{3, 3, 2},
		{4, 4, 1},
		{8, 4, 1},
	}
	for _, tt := range tests {
		b, nextOff, err := r.ReadBatches(tt.offset, 1<<20, ReadUncommitted)
		require.NoError(t, err)
		hs := walkBatches(t, b)
		require.Len(t, hs, tt.wantCount, "offset %d", tt.offset)
		require.Equal(t, tt.wantFirst, hs[0].BaseOffset)
		require.Equal(t, int64(9), nextOff)
	}

	// At LEO there is nothing yet; past it is out of range.
	sl, err := r.Read(9, 1<<20, ReadUncommitted)
	require.NoError(t, err)
	require.Zero(t, sl.Len)
	require.Nil(t, sl.File)
	_, err = r.Read(10, 1<<20, ReadUncommitted)
	require.ErrorIs(t, err, ErrOffsetOutOfRange)
}

func TestAppendRejectsBadBatches(t *testing.T) {
	r := openT(t, t.TempDir(), Config{MaxBatchSize: 4096})
	good := makeBatch(t, 2, 10)
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-1] ^= 0xff
	badMagic := append([]byte(nil), good...)
	badMagic[16] = 1
	protocol.SetBatchCRC(badMagic)
	tests := []struct {
		name  string
		batch []byte
		want  error
	}{
		{"crc", badCRC, ErrInvalidBatch},
		{"magic", badMagic, ErrInvalidBatch},
		{"short", good[:30], ErrInvalidBatch},
		{"trailing bytes", append(append([]byte(nil), good...), 0), ErrInvalidBatch},
		{"truncated", good[:len(good)-1], ErrInvalidBatch},
		{"too large", makeBatch(t, 10, 1000), ErrBatchTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Append(tt.batch)
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, int64(0), r.Offsets().LogEnd)
		})
	}
}

func TestSegmentsRollAndOffsetsStayContinuous(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{SegmentSize: 2000, IndexInterval: 300}
	r := openT(t, dir, cfg)
	var total int64
	for i := range 60 {
		base, err := r.Append(makeBatch(t, 1+i%4, 40))
		require.NoError(t, err)
		require.Equal(t, total, base)
		total += int64(1 + i%4)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "*"+SegmentSuffix))
	require.Greater(t, len(logs), 3)
	require.Equal(t, filepath.Join(dir, "00000000000000000000.log"), logs[0])

	check := func(r *Replica) {
		hs := readAll(t, r)
		var next int64
		for _, h := range hs {
			require.Equal(t, next, h.BaseOffset)
			next = h.LastOffset() + 1
		}
		require.Equal(t, total, next)
		// Every single offset finds its batch, across segments.
		for off := range total {
			b, _, err := r.ReadBatches(off, 1, ReadUncommitted)
			require.NoError(t, err)
			h, err := protocol.ParseBatchHeader(b)
			require.NoError(t, err)
			require.True(t, h.BaseOffset <= off && off <= h.LastOffset(), "offset %d in batch %d..%d", off, h.BaseOffset, h.LastOffset())
		}
	}
	check(r)
	require.NoError(t, r.Close())

	r2 := openT(t, dir, cfg)
	require.Equal(t, total, r2.Offsets().LogEnd)
	check(r2)
	base, err := r2.Append(makeBatch(t, 1, 10))
	require.NoError(t, err)
	require.Equal(t, total, base)
}

func TestReadBoundsByMaxBytesAndIsolation(t *testing.T) {
	r := openT(t, t.TempDir(), Config{Flush: FlushPolicy{Mode: FlushInterval, Interval: time.Hour}})
	b := makeBatch(t, 2, 100)
	for range 5 {
		_, err := r.Append(append([]byte(nil), b...))
		require.NoError(t, err)
	}
	// With one replica HW follows LEO at once; emulate what replication
	// will do (HW bounded by followers) to check the ReadCommitted bound.
	require.Equal(t, int64(10), r.Offsets().HighWatermark)
	r.mu.Lock()
	r.hw = 0
	r.mu.Unlock()
	sl, err := r.Read(0, 1<<20, ReadCommitted)
	require.NoError(t, err)
	require.Zero(t, sl.Len)

	sl, err = r.Read(0, 2*len(b)+10, ReadUncommitted)
	require.NoError(t, err)
	defer sl.Close()
	require.Equal(t, int64(2*len(b)), sl.Len)
	require.Equal(t, int64(4), sl.NextOffset)

	// A bound smaller than one batch still returns that batch.
	sl2, err := r.Read(0, 1, ReadUncommitted)
	require.NoError(t, err)
	defer sl2.Close()
	require.Equal(t, int64(len(b)), sl2.Len)

	r.SetHighWatermark(10)
	require.Equal(t, int64(10), r.Offsets().HighWatermark)
	sl3, err := r.Read(0, 1<<20, ReadCommitted)
	require.NoError(t, err)
	defer sl3.Close()
	require.Equal(t, int64(5*len(b)), sl3.Len)
}

func TestRetention(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	batch := makeBatch(t, 1, 400) // ~470 bytes: 2 per 1000-byte segment

	t.Run("by size", func(t *testing.T) {
		dir := t.TempDir()
		r := openT(t, dir, Config{SegmentSize: 1000, MaxPartitionSize: 3000, Now: clock})
		for range 20 {
			_, err := r.Append(append([]byte(nil), batch...))
			require.NoError(t, err)
		}
		o := r.Offsets()
		// Ten segments of two batches (~940 bytes); three fit in 3000 bytes.
		require.LessOrEqual(t, o.Size, int64(3000))
		require.Equal(t, int64(14), o.LogStart)
		require.Equal(t, int64(20), o.LogEnd)
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		require.Len(t, logs, 3)
		_, err := r.Read(0, 100, ReadUncommitted)
		require.ErrorIs(t, err, ErrOffsetOutOfRange)
		hs := readAll(t, r)
		require.Equal(t, o.LogStart, hs[0].BaseOffset)
		require.Equal(t, int64(19), hs[len(hs)-1].BaseOffset)
	})

	t.Run("by time", func(t *testing.T) {
		dir := t.TempDir()
		r := openT(t, dir, Config{SegmentSize: 1000, RetentionTime: time.Hour, Now: clock})
		for range 6 { // three segments, all written "now"
			_, err := r.Append(append([]byte(nil), batch...))
			require.NoError(t, err)
		}
		require.NoError(t, r.EnforceRetention())
		require.Equal(t, int64(0), r.Offsets().LogStart)
		advance(2 * time.Hour)
		_, err := r.Append(append([]byte(nil), batch...)) // rolls a 4th segment, written at the new time
		require.NoError(t, err)
		require.NoError(t, r.EnforceRetention())
		o := r.Offsets()
		require.Equal(t, int64(6), o.LogStart, "all segments written before the hour are gone")
		require.Equal(t, int64(7), o.LogEnd)
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		require.Equal(t, []string{filepath.Join(dir, SegmentName(6))}, logs)

		// The log start survives a reopen.
		require.NoError(t, r.Close())
		r2 := openT(t, dir, Config{SegmentSize: 1000})
		require.Equal(t, int64(6), r2.Offsets().LogStart)
	})
}

func TestRecoveryTruncatesTornTail(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path string, last []byte)
	}{
		{"half a batch appended", func(t *testing.T, path string, last []byte) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write(last[:len(last)/2])
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
		{"a few header bytes", func(t *testing.T, path string, last []byte) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			_, err = f.Write(last[:5])
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
		{"zeros after the end", func(t *testing.T, path string, last []byte) {
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, fi.Size()+4096))
		}},
		{"last batch's crc broken", func(t *testing.T, path string, last []byte) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			extra := append([]byte(nil), last...)
			protocol.SetBatchBaseOffset(extra, 6)
			extra[len(extra)-3] ^= 0x40
			_, err = f.Write(extra)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			_ = b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := Open(dir, quiet(Config{Flush: FlushPolicy{Mode: FlushOS}}))
			require.NoError(t, err)
			b := makeBatch(t, 2, 50)
			for range 3 {
				_, err := r.Append(append([]byte(nil), b...))
				require.NoError(t, err)
			}
			require.NoError(t, r.Close())
			path := filepath.Join(dir, SegmentName(0))
			good, err := os.Stat(path)
			require.NoError(t, err)
			tt.corrupt(t, path, b)

			r2 := openT(t, dir, Config{})
			require.Equal(t, int64(6), r2.Offsets().LogEnd)
			fi, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, good.Size(), fi.Size(), "torn tail truncated")
			require.Len(t, readAll(t, r2), 3)
			base, err := r2.Append(append([]byte(nil), b...))
			require.NoError(t, err)
			require.Equal(t, int64(6), base)
			require.Len(t, readAll(t, r2), 4)
		})
	}
}

func TestRecoveryRebuildsIndex(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(path string) error
	}{
		{"deleted", os.Remove},
		{"garbage", func(p string) error { return os.WriteFile(p, []byte("not an index!!!!"), 0o644) }},
		{"partial entry", func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(p, b[:len(b)-3], 0o644)
		}},
		{"points past the end", func(p string) error {
			return os.WriteFile(p, AppendIndexEntry(nil, IndexEntry{RelOffset: 5, Position: 1 << 30}), 0o644)
		}},
		{"points mid-batch", func(p string) error {
			return os.WriteFile(p, AppendIndexEntry(nil, IndexEntry{RelOffset: 5, Position: 7}), 0o644)
		}},
	}
	for _, tt := range tests {
		for _, sealed := range []bool{false, true} {
			name := tt.name + "/active"
			if sealed {
				name = tt.name + "/sealed"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				cfg := Config{IndexInterval: 200, SegmentSize: 100000, Flush: FlushPolicy{Mode: FlushOS}}
				r, err := Open(dir, quiet(cfg))
				require.NoError(t, err)
				b := makeBatch(t, 3, 60)
				for range 40 {
					_, err := r.Append(append([]byte(nil), b...))
					require.NoError(t, err)
				}
				wantIdx, err := os.ReadFile(filepath.Join(dir, IndexName(0)))
				require.NoError(t, err)
				require.NotEmpty(t, wantIdx)
				require.NoError(t, r.Close())
				if sealed { // a second segment makes segment 0 sealed
					cfg.SegmentSize = 1
					r, err := Open(dir, quiet(cfg))
					require.NoError(t, err)
					_, err = r.Append(append([]byte(nil), b...))
					require.NoError(t, err)
					require.NoError(t, r.Close())
					cfg.SegmentSize = 100000
				}
				require.NoError(t, tt.corrupt(filepath.Join(dir, IndexName(0))))

				r2 := openT(t, dir, cfg)
				got, err := os.ReadFile(filepath.Join(dir, IndexName(0)))
				require.NoError(t, err)
				require.Equal(t, wantIdx, got, "index rebuilt to the same entries")
				for off := int64(0); off < 120; off += 7 {
					bb, _, err := r2.ReadBatches(off, 1, ReadUncommitted)
					require.NoError(t, err)
					h := walkBatches(t, bb)[0]
					require.Equal(t, off/3*3, h.BaseOffset)
				}
			})
		}
	}
}

func TestFlushPolicies(t *testing.T) {
	t.Run("every batch", func(t *testing.T) {
		r := openT(t, t.TempDir(), Config{Flush: FlushPolicy{Mode: FlushEveryBatch}})
		_, err := r.Append(makeBatch(t, 4, 10))
		require.NoError(t, err)
		require.Equal(t, int64(4), r.Offsets().HighWatermark)
	})
	t.Run("every batch, concurrent appends share fsyncs", func(t *testing.T) {
		r := openT(t, t.TempDir(), Config{Flush: FlushPolicy{Mode: FlushEveryBatch}})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 10 {
					_, err := r.Append(makeBatch(t, 1, 10))
					require.NoError(t, err)
				}
			})
		}
		wg.Wait()
		require.Equal(t, Offsets{0, 80, 80, r.Offsets().Size}, r.Offsets())
	})
	t.Run("interval", func(t *testing.T) {
		r := openT(t, t.TempDir(), Config{Flush: FlushPolicy{Mode: FlushInterval, Interval: 20 * time.Millisecond}})
		ch := r.Changed()
		_, err := r.Append(makeBatch(t, 4, 10))
		require.NoError(t, err)
		<-ch
		require.Equal(t, int64(4), r.Offsets().HighWatermark, "HW follows LEO with one replica")
		// the interval flusher fsyncs and checkpoints without being asked
		require.Eventually(t, func() bool { return r.CheckpointHighWatermark() == 4 }, 5*time.Second, time.Millisecond)
	})
	t.Run("interval, waiter gets an early flush", func(t *testing.T) {
		r := openT(t, t.TempDir(), Config{Flush: FlushPolicy{Mode: FlushInterval, Interval: time.Hour}})
		_, err := r.Append(makeBatch(t, 4, 10))
		require.NoError(t, err)
		ctx, cancel := contextWithTimeout(t, 5*time.Second)
		defer cancel()
		require.NoError(t, r.WaitHighWatermark(ctx, 4))
	})
	t.Run("os", func(t *testing.T) {
		r := openT(t, t.TempDir(), Config{Flush: FlushPolicy{Mode: FlushOS}})
		_, err := r.Append(makeBatch(t, 4, 10))
		require.NoError(t, err)
		require.Equal(t, int64(4), r.Offsets().HighWatermark)
	})
	t.Run("parse", func(t *testing.T) {
		for in, want := range map[string]FlushPolicy{
			"batch": {Mode: FlushEveryBatch},
			"os":    {Mode: FlushOS},
			"250ms": {Mode: FlushInterval, Interval: 250 * time.Millisecond},
		} {
			got, err := ParseFlushPolicy(in)
			require.NoError(t, err)
			require.Equal(t, want, got)
			again, err := ParseFlushPolicy(got.String())
			require.NoError(t, err)
			require.Equal(t, got, again)
		}
		_, err := ParseFlushPolicy("sometimes")
		require.ErrorContains(t, err, `"sometimes"`)
	})
}

func TestFailedWriteLeavesReplicaUsable(t *testing.T) {
	errDisk := errors.New("disk on fire")
	tests := []struct {
		name   string
		inject func(f *FaultFS)
		policy FlushPolicy
	}{
		{"torn segment write", func(f *FaultFS) { f.FailNextWrite(SegmentSuffix, 30, errDisk) }, FlushPolicy{Mode: FlushOS}},
		{"nothing written", func(f *FaultFS) { f.FailNextWrite(SegmentSuffix, 0, errDisk) }, FlushPolicy{Mode: FlushOS}},
		{"index write", func(f *FaultFS) { f.FailNextWrite(IndexSuffix, 3, errDisk) }, FlushPolicy{Mode: FlushOS}},
		{"fsync", func(f *FaultFS) { f.FailNextSync(SegmentSuffix, errDisk) }, FlushPolicy{Mode: FlushEveryBatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ffs := &FaultFS{FS: OSFS{}}
			r := openT(t, dir, Config{FS: ffs, IndexInterval: 1, Flush: tt.policy})
			b := makeBatch(t, 2, 30)
			for range 2 {
				_, err := r.Append(append([]byte(nil), b...))
				require.NoError(t, err)
			}
			tt.inject(ffs)
			_, err := r.Append(append([]byte(nil), b...))
			require.ErrorIs(t, err, ErrWrite)
			require.ErrorContains(t, err, "disk on fire")

			base, err := r.Append(append([]byte(nil), b...))
			require.NoError(t, err)
			hs := readAll(t, r)
			if tt.name == "fsync" {
				// The write reached the file; only its durability is unknown.
				require.Equal(t, int64(6), base)
				require.Len(t, hs, 4)
			} else {
				require.Equal(t, int64(4), base)
				require.Len(t, hs, 3)
			}
			// A reopen (as after a crash) sees the same log.
			require.NoError(t, r.Close())
			r2 := openT(t, dir, Config{})
			require.Equal(t, hs, readAll(t, r2))
		})
	}
}

func TestCrashMidWriteRecovers(t *testing.T) {
	// A process killed mid-write leaves a torn batch and no clean close.
	dir := t.TempDir()
	ffs := &FaultFS{FS: OSFS{}}
	r, err := Open(dir, quiet(Config{FS: ffs, Flush: FlushPolicy{Mode: FlushOS}}))
	require.NoError(t, err)
	b := makeBatch(t, 3, 100)
	_, err = r.Append(append([]byte(nil), b...))
	require.NoError(t, err)
	ffs.FailNextWrite(SegmentSuffix, len(b)-9, errors.New("killed"))
	_, err = r.Append(append([]byte(nil), b...))
	require.Error(t, err)
	// No Close: reopen the directory as a restarted SPU would.
	r2 := openT(t, dir, Config{})
	require.Equal(t, int64(3), r2.Offsets().LogEnd)
	require.Len(t, readAll(t, r2), 1)
}

func TestChangedWakesWaiters(t *testing.T) {
	r := openT(t, t.TempDir(), Config{})
	ch := r.Changed()
	select {
	case <-ch:
		t.Fatal("changed before any append")
	default:
	}
	done := make(chan int64)
	go func() {
		<-ch
		done <- r.Offsets().LogEnd
	}()
	_, err := r.Append(makeBatch(t, 2, 5))
	require.NoError(t, err)
	require.Equal(t, int64(2), <-done)

	ch = r.Changed()
	require.NoError(t, r.Close())
	<-ch // closing wakes waiters too
}

func TestSliceWriteToUsesTheSocket(t *testing.T) {
	r := openT(t, t.TempDir(), Config{})
	var want []byte
	for range 10 {
		b := makeBatch(t, 5, 500)
		_, err := r.Append(b) // Append rewrites b's base offset in place
		require.NoError(t, err)
		want = append(want, b...)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	got := make(chan []byte)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	sl, err := r.Read(7, 1<<20, ReadUncommitted)
	require.NoError(t, err)
	_, isOS := sl.File.(*os.File)
	require.True(t, isOS, "slices from OSFS are *os.File so TCPConn.ReadFrom can sendfile")
	n, err := sl.WriteTo(c)
	require.NoError(t, err)
	require.NoError(t, sl.Close())
	require.Equal(t, sl.Len, n)
	c.Close()
	first := len(want) / 10
	require.Equal(t, want[first:], <-got, "from the batch holding offset 7 to the end")
}

func quiet(cfg Config) Config {
	cfg.Logger = slog.New(slog.DiscardHandler)
	return cfg
}
