package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// makeBatch encodes an uncompressed batch of n records whose values are
// valueSize bytes, with a garbage base offset like a real producer's.
func makeBatch(t testing.TB, n, valueSize int) []byte {
	t.Helper()
	recs := protocol.AppendUint32(nil, uint32(n))
	for i := range n {
		val := make([]byte, valueSize)
		for j := range val {
			val[j] = byte('a' + (i+j)%26)
		}
		var body []byte
		body = append(body, 0)                       // attributes
		body = protocol.AppendVarint(body, 0)        // timestamp delta
		body = protocol.AppendVarint(body, int64(i)) // offset delta
		body = append(body, 1)                       // key present
		body = protocol.AppendVarintBytes(body, []byte(fmt.Sprintf("k%d", i)))
		body = protocol.AppendVarintBytes(body, val)
		body = protocol.AppendVarint(body, 0) // headers
		recs = protocol.AppendVarint(recs, int64(len(body)))
		recs = append(recs, body...)
	}
	h := protocol.BatchHeader{
		BaseOffset:           int64(n - 1),
		BatchLen:             int32(protocol.BatchHeaderSize + len(recs)),
		PartitionLeaderEpoch: -1,
		Magic:                protocol.BatchMagic,
		LastOffsetDelta:      int32(n - 1),
		FirstTimestamp:       1700000000000,
		MaxTimestamp:         1700000000000,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
	}
	b := protocol.AppendBatchHeader(nil, &h)
	b = append(b, recs...)
	protocol.SetBatchCRC(b)
	require.True(t, protocol.VerifyBatchCRC(b))
	return b
}

// walkBatches splits back-to-back batches, checking each one's CRC.
func walkBatches(t testing.TB, b []byte) []protocol.BatchHeader {
	t.Helper()
	var hs []protocol.BatchHeader
	for len(b) > 0 {
		h, err := protocol.ParseBatchHeader(b)
		require.NoError(t, err)
		require.LessOrEqual(t, h.Size(), len(b))
		require.True(t, protocol.VerifyBatchCRC(b[:h.Size()]), "batch at offset %d fails crc", h.BaseOffset)
		hs = append(hs, h)
		b = b[h.Size():]
	}
	return hs
}

// readAll reads every batch from the log start to LEO.
func readAll(t testing.TB, r *Replica) []protocol.BatchHeader {
	t.Helper()
	var out []protocol.BatchHeader
	off := r.Offsets().LogStart
	for {
		b, next, err := r.ReadBatches(off, 1<<20, ReadUncommitted)
		require.NoError(t, err)
		if len(b) == 0 {
			return out
		}
		out = append(out, walkBatches(t, b)...)
		off = next
	}
}

func contextWithTimeout(t testing.TB, d time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), d)
}
