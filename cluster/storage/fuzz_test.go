package storage

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

// fixtureBatches wraps the captured compressed payloads of the real client
// in batch headers, so the fuzzers start from real codec bytes.
func fixtureBatches(t testing.TB) [][]byte {
	var out [][]byte
	if fixtures.SharedDir() == "" {
		return nil
	}
	for codec, name := range map[protocol.Compression]string{
		protocol.CompressionGzip: "gzip", protocol.CompressionLz4: "lz4",
		protocol.CompressionSnappy: "snappy", protocol.CompressionZstd: "zstd",
	} {
		payload, err := os.ReadFile(fixtures.Path(t, "wire", "batch-payload-"+name+".bin"))
		if err != nil {
			continue
		}
		h := protocol.BatchHeader{
			BatchLen: int32(protocol.BatchHeaderSize + len(payload)), PartitionLeaderEpoch: -1,
			Magic: protocol.BatchMagic, Attributes: int16(codec), LastOffsetDelta: 1,
			ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
		}
		b := append(protocol.AppendBatchHeader(nil, &h), payload...)
		protocol.SetBatchCRC(b)
		out = append(out, b)
	}
	return out
}

// FuzzRecover writes arbitrary bytes as a segment file and opens the
// replica: open never panics, and what it keeps is only whole, CRC-valid,
// contiguous batches; the log then takes appends.
func FuzzRecover(f *testing.F) {
	var chain []byte
	var next int64
	for _, b := range append(fixtureBatches(f), makeBatch(f, 3, 20), makeBatch(f, 1, 0)) {
		b = append([]byte(nil), b...)
		protocol.SetBatchBaseOffset(b, next)
		h, _ := protocol.ParseBatchHeader(b)
		next = h.LastOffset() + 1
		chain = append(chain, b...)
		f.Add(append([]byte(nil), chain...))
	}
	f.Add(chain[:len(chain)-7])
	f.Add([]byte{})
	f.Add(make([]byte, 100))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, SegmentName(0))
		require.NoError(t, os.WriteFile(path, data, 0o644))
		r, err := Open(dir, quiet(Config{Flush: FlushPolicy{Mode: FlushOS}, MaxBatchSize: 1 << 20, IndexInterval: 64}))
		require.NoError(t, err)
		defer r.Close()
		hs := readAll(t, r) // checks every batch's CRC
		var want, size int64
		for _, h := range hs {
			require.Equal(t, want, h.BaseOffset)
			want = h.LastOffset() + 1
			size += int64(h.Size())
		}
		o := r.Offsets()
		require.Equal(t, want, o.LogEnd)
		require.Equal(t, size, o.Size)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, size, fi.Size())
		require.LessOrEqual(t, size, int64(len(data)))
		base, err := r.Append(makeBatch(t, 1, 1))
		require.NoError(t, err)
		require.Equal(t, want, base)
	})
}

// FuzzParseIndex checks the index parser: no panic, and a parsed index is
// exactly its input re-encoded.
func FuzzParseIndex(f *testing.F) {
	f.Add(encodeIndex([]IndexEntry{{1, 100}, {5, 4200}, {9, 9000}}), int64(10000))
	f.Add([]byte{0, 0, 0, 1}, int64(10))
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, data []byte, size int64) {
		entries, err := ParseIndex(data, size)
		if err != nil {
			return
		}
		require.Equal(t, len(data)/IndexEntrySize, len(entries))
		require.Equal(t, data, encodeIndex(entries))
		for i, e := range entries {
			require.Less(t, int64(e.Position), size)
			if i > 0 {
				require.Greater(t, e.RelOffset, entries[i-1].RelOffset)
			}
		}
	})
}
