package client

import (
	"testing"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// BenchmarkDecodeChunk decodes a 1 MiB response chunk of 16 KiB batches of
// 1 KiB records, as a stream does for every frame.
func BenchmarkDecodeChunk(b *testing.B) {
	val := make([]byte, 1024)
	var set []byte
	off := int64(0)
	for len(set) < 1<<20 {
		recs := make([]protocol.Record, 15)
		for i := range recs {
			recs[i] = protocol.Record{Value: val}
		}
		batch := protocol.NewBatch(1700000000000, recs)
		batch.Header.BaseOffset = off
		off += 15
		var err error
		set, err = protocol.AppendBatch(set, &batch, protocol.CompressionNone)
		if err != nil {
			b.Fatal(err)
		}
	}
	rs := protocol.RecordSet{Batches: set}
	b.SetBytes(int64(len(set)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		recs, err := decodeChunk(nil, &rs, 0, 0, -1)
		if err != nil || len(recs) != int(off) {
			b.Fatal(err, len(recs))
		}
	}
	b.ReportMetric(float64(off)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
