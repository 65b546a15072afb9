package protocol

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchRecords returns n records with 1 KiB values of text-like content
// (words from a small vocabulary), so codecs see realistic redundancy.
func benchRecords(n, size int) []Record {
	words := []string{"fluvio ", "stream ", "record ", "batch ", "offset ", "partition ", "topic ", "spu ", "42 ", "hello "}
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]Record, n)
	for i := range recs {
		v := make([]byte, 0, size+16)
		for len(v) < size {
			v = append(v, words[rng.IntN(len(words))]...)
		}
		recs[i] = Record{Key: []byte(fmt.Sprintf("key-%d", i)), Value: v[:size]}
	}
	return recs
}

func recordBytes(recs []Record) int64 {
	var n int64
	for i := range recs {
		n += int64(len(recs[i].Key) + len(recs[i].Value))
	}
	return n
}

func BenchmarkBatchEncode(b *testing.B) {
	recs := benchRecords(1000, 1024)
	batch := NewBatch(1795313874397, recs)
	for _, codec := range allCodecs {
		b.Run("codec="+codec.String()+"/records=1000/size=1KiB", func(b *testing.B) {
			b.SetBytes(recordBytes(recs))
			b.ReportAllocs()
			var buf []byte
			var err error
			for b.Loop() {
				buf, err = AppendBatch(buf[:0], &batch, codec)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(len(buf)), "batch-bytes")
		})
	}
}

func BenchmarkBatchDecode(b *testing.B) {
	recs := benchRecords(1000, 1024)
	batch := NewBatch(1795313874397, recs)
	for _, codec := range allCodecs {
		raw, err := AppendBatch(nil, &batch, codec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("codec="+codec.String()+"/records=1000/size=1KiB", func(b *testing.B) {
			b.SetBytes(recordBytes(recs))
			b.ReportAllocs()
			for b.Loop() {
				dec, _, err := DecodeBatch(raw)
				if err != nil || len(dec.Records) != len(recs) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func BenchmarkBatchForEachRecord(b *testing.B) {
	recs := benchRecords(1000, 1024)
	batch := NewBatch(1795313874397, recs)
	for _, codec := range allCodecs {
		raw, err := AppendBatch(nil, &batch, codec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("codec="+codec.String()+"/records=1000/size=1KiB", func(b *testing.B) {
			b.SetBytes(recordBytes(recs))
			b.ReportAllocs()
			var sum int
			for b.Loop() {
				if err := ForEachRecord(raw, func(_, _ int64, r *Record) error { sum += len(r.Value); return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkBatchNextBatch walks stored batches (the SPU's fetch and index
// path): it must not allocate.
func BenchmarkBatchNextBatch(b *testing.B) {
	for _, perBatch := range []int{1, 100} {
		var set []byte
		const batches = 100
		for i := 0; i < batches; i++ {
			bt := NewBatch(1795313874397, benchRecords(perBatch, 1024))
			var err error
			set, err = AppendBatch(set, &bt, CompressionNone)
			if err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("batches=100/records=%d/size=1KiB", perBatch), func(b *testing.B) {
			b.SetBytes(int64(len(set)))
			b.ReportAllocs()
			for b.Loop() {
				n := 0
				it := NewBatchIterator(set)
				for it.Next() {
					n += it.Header().RecordCount()
				}
				if it.Err() != nil || n != batches*perBatch {
					b.Fatal(it.Err(), n)
				}
			}
			b.ReportMetric(float64(batches*perBatch*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(batches*b.N)/b.Elapsed().Seconds(), "batches/s")
		})
	}
}

// TestNextBatchDoesNotAllocate pins the zero-allocation promise.
func TestNextBatchDoesNotAllocate(t *testing.T) {
	var set []byte
	for i := 0; i < 10; i++ {
		bt := NewBatch(1, benchRecords(3, 64))
		set, _ = AppendBatch(set, &bt, CompressionNone)
	}
	allocs := testing.AllocsPerRun(100, func() {
		it := NewBatchIterator(set)
		for it.Next() {
		}
		rest := set
		for {
			raw, _, next, _ := NextBatch(rest)
			if raw == nil {
				break
			}
			rest = next
		}
	})
	if allocs != 0 {
		t.Fatalf("NextBatch allocates %.1f times per walk", allocs)
	}
}
