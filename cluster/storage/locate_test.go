package storage

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Reads jump over whole batches with the sparse index instead of reading
// every header. Whatever the batch sizes, index spacing, start offset and
// max_bytes, a read must return exactly the run of whole batches a walk of
// every header gives: from the batch containing the offset, as many as fit
// in max_bytes (the first always), none at or past the high watermark.
func TestReadWithIndexMatchesHeaderWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, interval := range []int{64, 1000, 4096} {
		r := openT(t, t.TempDir(), Config{IndexInterval: interval, SegmentSize: 256 << 10})
		type stored struct {
			base, last int64
			size       int64
		}
		var all []stored
		var next int64
		for range 400 {
			n := 1 + rng.IntN(20)
			b := makeBatch(t, n, 1+rng.IntN(300))
			base, err := r.Append(b)
			require.NoError(t, err)
			all = append(all, stored{base: base, last: base + int64(n) - 1, size: int64(len(b))})
			next += int64(n)
		}
		require.Equal(t, next, r.Offsets().LogEnd)
		for range 2000 {
			off := rng.Int64N(next)
			maxBytes := 1 + rng.IntN(40<<10)
			b, gotNext, err := r.ReadBatches(off, maxBytes, ReadUncommitted)
			require.NoError(t, err)
			// Expected: walk the stored batches of off's segment.
			i := 0
			for all[i].last < off {
				i++
			}
			seg := r.segmentOf(all[i].base)
			want, n := []int64{all[i].base}, all[i].size
			wantNext := all[i].last + 1
			for j := i + 1; j < len(all) && r.segmentOf(all[j].base) == seg && n+all[j].size <= int64(maxBytes); j++ {
				want = append(want, all[j].base)
				n += all[j].size
				wantNext = all[j].last + 1
			}
			var got []int64
			for _, h := range walkBatches(t, b) {
				got = append(got, h.BaseOffset)
			}
			require.Equal(t, want, got, "interval %d, offset %d, max %d", interval, off, maxBytes)
			require.Equal(t, wantNext, gotNext)
		}
	}
}

// segmentOf is the segment holding offset off.
func (r *Replica) segmentOf(off int64) *segment {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i := len(r.segments) - 1; i >= 0; i-- {
		if r.segments[i].base <= off {
			return r.segments[i]
		}
	}
	return nil
}
