package storage

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// AppendSet stores a record set as Append stores its batches one by one:
// same offsets, same bytes, same index; reopening the log (recovery,
// index check) finds it whole.
func TestAppendSetMatchesAppend(t *testing.T) {
	counts := []int{3, 1, 40, 2, 60, 1, 7}
	var batches [][]byte
	var set []byte
	for _, n := range counts {
		b := makeBatch(t, n, 200)
		batches = append(batches, b)
		set = append(set, b...)
	}
	cfg := Config{IndexInterval: 1024}

	one := openT(t, t.TempDir(), cfg)
	_, err := one.Append(makeBatch(t, 2, 10))
	require.NoError(t, err)
	for _, b := range batches {
		_, err := one.Append(append([]byte(nil), b...))
		require.NoError(t, err)
	}

	dir := t.TempDir()
	many := openT(t, dir, cfg)
	_, err = many.Append(makeBatch(t, 2, 10))
	require.NoError(t, err)
	base, stored, err := many.AppendSet(append(set, 0, 0, 0)) // a torn tail is ignored
	require.NoError(t, err)
	require.Equal(t, int64(2), base)
	require.Equal(t, len(counts), stored)

	require.Equal(t, one.Offsets(), many.Offsets())
	require.Equal(t, readAll(t, one), readAll(t, many))
	require.Equal(t, one.active().entries, many.active().entries, "the same index entries")
	require.GreaterOrEqual(t, len(many.active().entries), 3, "the set crosses the index interval several times")
	b1, _, err := one.ReadBatches(0, 1<<20, ReadUncommitted)
	require.NoError(t, err)
	b2, _, err := many.ReadBatches(0, 1<<20, ReadUncommitted)
	require.NoError(t, err)
	require.Equal(t, b1, b2)

	require.NoError(t, many.Close())
	again := openT(t, dir, cfg)
	require.Equal(t, one.Offsets().LogEnd, again.Offsets().LogEnd)
	require.Equal(t, one.active().entries, again.active().entries)
	hs := readAll(t, again)
	require.Len(t, hs, len(counts)+1)
	require.Equal(t, int64(2+3+1), hs[3].BaseOffset)
}

// The batches before an invalid one are stored; the error names the
// invalid batch, and the log goes on from there.
func TestAppendSetStopsAtInvalidBatch(t *testing.T) {
	good := makeBatch(t, 4, 10)
	bad := makeBatch(t, 2, 10)
	bad[len(bad)-1] ^= 0xff // crc mismatch
	tests := []struct {
		name       string
		set        [][]byte
		wantStored int
		wantErr    error
	}{
		{"bad first", [][]byte{bad, good}, 0, ErrInvalidBatch},
		{"bad second", [][]byte{good, bad, good}, 1, ErrInvalidBatch},
		{"too large", [][]byte{good, makeBatch(t, 1, 5000)}, 1, ErrBatchTooLarge},
		{"empty", nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := openT(t, t.TempDir(), Config{MaxBatchSize: 4096})
			var set []byte
			for _, b := range tc.set {
				set = append(set, b...)
			}
			_, stored, err := r.AppendSet(set)
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			require.Equal(t, tc.wantStored, stored)
			require.Equal(t, int64(4*tc.wantStored), r.Offsets().LogEnd)
			base, err := r.Append(append([]byte(nil), good...))
			require.NoError(t, err)
			require.Equal(t, int64(4*tc.wantStored), base)
		})
	}
}

// A failed write, even one that reached the file in part, stores nothing
// of the set and leaves the log usable.
func TestAppendSetWriteFailure(t *testing.T) {
	for _, suffix := range []string{".log", ".index"} {
		t.Run(suffix, func(t *testing.T) {
			testAppendSetWriteFailure(t, suffix)
		})
	}
}

func testAppendSetWriteFailure(t *testing.T, suffix string) {
	ffs := &FaultFS{FS: OSFS{}}
	r := openT(t, t.TempDir(), Config{FS: ffs, IndexInterval: 64})
	_, err := r.Append(makeBatch(t, 1, 100))
	require.NoError(t, err)
	set := append(makeBatch(t, 2, 100), makeBatch(t, 3, 100)...)
	ffs.FailNextWrite(suffix, 70, os.ErrPermission)
	_, stored, err := r.AppendSet(append([]byte(nil), set...))
	require.ErrorIs(t, err, ErrWrite)
	require.Zero(t, stored)
	require.Equal(t, int64(1), r.Offsets().LogEnd)
	base, stored, err := r.AppendSet(set)
	require.NoError(t, err)
	require.Equal(t, 2, stored)
	require.Equal(t, int64(1), base)
	require.Equal(t, int64(6), r.Offsets().LogEnd)
	require.Len(t, readAll(t, r), 3)
}

// FuzzAppendSet: any bytes as a record set store a prefix of whole valid
// batches, with dense offsets, and the log reopens to the same state.
func FuzzAppendSet(f *testing.F) {
	var chain []byte
	for _, b := range append(fixtureBatches(f), makeBatch(f, 3, 20), makeBatch(f, 1, 0)) {
		chain = append(chain, b...)
		f.Add(append([]byte(nil), chain...))
	}
	f.Add(chain[:len(chain)-7])
	f.Add([]byte{})
	f.Add(make([]byte, 100))
	f.Fuzz(func(t *testing.T, set []byte) {
		dir := t.TempDir()
		cfg := quiet(Config{Flush: FlushPolicy{Mode: FlushOS}, MaxBatchSize: 1 << 20, IndexInterval: 64})
		r, err := Open(dir, cfg)
		require.NoError(t, err)
		base, stored, err := r.AppendSet(set)
		if stored == 0 {
			require.Zero(t, r.Offsets().LogEnd)
		} else {
			require.Zero(t, base)
		}
		if err != nil && !errors.Is(err, ErrBatchTooLarge) {
			require.ErrorIs(t, err, ErrInvalidBatch)
		}
		hs := readAll(t, r)
		require.Len(t, hs, stored)
		var want int64
		for _, h := range hs {
			require.Equal(t, want, h.BaseOffset)
			want = h.LastOffset() + 1
		}
		require.Equal(t, want, r.Offsets().LogEnd)
		require.NoError(t, r.Close())
		again, err := Open(dir, cfg)
		require.NoError(t, err)
		defer again.Close()
		require.Equal(t, want, again.Offsets().LogEnd)
	})
}
