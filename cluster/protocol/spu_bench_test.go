package protocol

import (
	"fmt"
	"testing"
)

// spuBenchBatch builds an uncompressed batch of about size bytes whose records
// carry 100-byte values, and returns it with its record count.
func spuBenchBatch(size int) ([]byte, int) {
	value := make([]byte, 100)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	var records []byte
	n := 0
	for BatchFileHeaderSize+4+len(records) < size-120 {
		body := []byte{0}                          // attributes
		body = AppendVarint(body, 0)               // timestamp delta
		body = AppendVarint(body, int64(n))        // offset delta
		body = append(body, 0)                     // no key
		body = AppendVarintBytes(body, value)      // value
		body = AppendVarint(body, 0)               // headers
		records = AppendVarintBytes(records, body) // length-prefixed record
		n++
	}
	h := BatchHeader{
		BatchLen: int32(BatchHeaderSize + 4 + len(records)), PartitionLeaderEpoch: -1, Magic: BatchMagic,
		LastOffsetDelta: int32(n - 1), FirstTimestamp: 1795313874397, MaxTimestamp: 1795313874397,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
	}
	b := AppendBatchHeader(nil, &h)
	b = AppendUint32(b, uint32(n))
	b = append(b, records...)
	SetBatchCRC(b)
	return b, n
}

// BenchmarkSPUProduceDecode decodes a produce request of 64 entries of one
// batch each, the way the client sends a flush. Batches stay bytes, so
// allocations do not grow with the record count.
func BenchmarkSPUProduceDecode(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10, 64 << 10} {
		batch, records := spuBenchBatch(size)
		req := ProduceRequest{TimeoutMs: DefaultProduceTimeoutMs, Topics: []TopicProduceData{{Name: "bench"}}}
		for i := range 64 {
			req.Topics[0].Partitions = append(req.Topics[0].Partitions,
				PartitionProduceData{PartitionIndex: uint32(i % 8), Records: RecordSet{Batches: batch}})
		}
		body := req.Encode(nil, SPUCommonVersion)
		b.Run(fmt.Sprintf("batch=%dKiB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var p ProduceRequest
			for b.Loop() {
				r := NewReader(body)
				p.Decode(r, SPUCommonVersion)
				if r.Err() != nil {
					b.Fatal(r.Err())
				}
			}
			b.ReportMetric(float64(64*records*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkSPUStreamFetchResponseEncode encodes a stream frame carrying one
// 16 KiB batch into a reused buffer, as the SPU does per frame.
func BenchmarkSPUStreamFetchResponseEncode(b *testing.B) {
	batch, records := spuBenchBatch(16 << 10)
	resp := StreamFetchResponse{Topic: "bench", StreamID: 1, Partition: FetchablePartitionResponse{HighWatermark: 1000, Records: RecordSet{Batches: batch}}}
	buf := EncodeResponseFrame(nil, 3, SPUCommonVersion, &resp)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = EncodeResponseFrame(buf[:0], 3, SPUCommonVersion, &resp)
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
}

func TestSPUBenchBatchIsValid(t *testing.T) {
	batch, n := spuBenchBatch(16 << 10)
	h, err := ParseBatchHeader(batch)
	if err != nil || h.Size() != len(batch) || h.RecordCount() != n || !VerifyBatchCRC(batch) {
		t.Fatalf("bench batch invalid: %v size %d/%d count %d/%d", err, h.Size(), len(batch), h.RecordCount(), n)
	}
	if len(batch) > 16<<10 || len(batch) < 15<<10 {
		t.Fatalf("bench batch is %d bytes", len(batch))
	}
}
