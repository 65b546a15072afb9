package storage

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// benchBatch is a ~16 KiB batch of 1 KiB records.
func benchBatch(b *testing.B, size int) ([]byte, int) {
	n := max(1, size/1024)
	batch := makeBatch(b, n, size/n-20)
	return batch, n
}

// BenchmarkAppend measures append throughput of 16 KiB batches under each
// flush policy.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{16 << 10} {
		for _, pol := range []FlushPolicy{{Mode: FlushOS}, DefaultFlushPolicy, {Mode: FlushEveryBatch}} {
			b.Run(fmt.Sprintf("size=%dKiB/flush=%s", size>>10, pol), func(b *testing.B) {
				batch, n := benchBatch(b, size)
				r, err := Open(b.TempDir(), quiet(Config{Flush: pol, SegmentSize: 256 << 20}))
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				b.SetBytes(int64(len(batch)))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := r.Append(batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// BenchmarkRead measures reading the whole log back in 1 MiB slices, through
// a file slice (what StreamFetch sends) and into memory.
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	r, err := Open(dir, quiet(Config{Flush: FlushPolicy{Mode: FlushOS}, SegmentSize: 64 << 20}))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	batch, n := benchBatch(b, 16<<10)
	const total = 64 << 20
	for range total / len(batch) {
		if _, err := r.Append(batch); err != nil {
			b.Fatal(err)
		}
	}
	leo := r.Offsets().LogEnd
	for _, mode := range []string{"slice", "memory"} {
		b.Run("mode="+mode, func(b *testing.B) {
			b.SetBytes(r.Offsets().Size)
			b.ReportAllocs()
			for b.Loop() {
				for off := int64(0); off < leo; {
					if mode == "slice" {
						sl, err := r.Read(off, 1<<20, ReadUncommitted)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := sl.WriteTo(io.Discard); err != nil {
							b.Fatal(err)
						}
						sl.Close()
						off = sl.NextOffset
					} else {
						_, next, err := r.ReadBatches(off, 1<<20, ReadUncommitted)
						if err != nil {
							b.Fatal(err)
						}
						off = next
					}
				}
			}
			b.ReportMetric(float64(b.N)*float64(leo)/b.Elapsed().Seconds(), "records/s")
			_ = n
		})
	}
}

// BenchmarkDiskLimit is the physical reference: sequential writes to the
// data dir followed by fdatasync, per 16 KiB block (what per-batch fsync
// costs at best) and per 1 MiB (the disk's streaming rate).
func BenchmarkDiskLimit(b *testing.B) {
	for _, tc := range []struct {
		name  string
		block int
		sync  bool
	}{{"write/block=16KiB", 16 << 10, false}, {"write+fdatasync/block=16KiB", 16 << 10, true}, {"write+fdatasync/block=1MiB", 1 << 20, true}} {
		b.Run(tc.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			buf := make([]byte, tc.block)
			b.SetBytes(int64(tc.block))
			var written int64
			for b.Loop() {
				if _, err := f.Write(buf); err != nil {
					b.Fatal(err)
				}
				if written += int64(tc.block); written > 256<<20 {
					f.Truncate(0)
					f.Seek(0, io.SeekStart)
					written = 0
				}
				if tc.sync {
					if err := unix.Fdatasync(int(f.Fd())); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
