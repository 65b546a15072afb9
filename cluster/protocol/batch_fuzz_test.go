package protocol

import (
	"testing"
)

// fuzzSeedBatches are the client's batches from the spec plus a few of our
// own (every codec, a schema id, a null key).
func fuzzSeedBatches(f *testing.F) [][]byte {
	seeds := [][]byte{unhex(f, specBatchKey1), unhex(f, specBatchABC)}
	for _, hx := range specCompressedBatches {
		seeds = append(seeds, unhex(f, hx))
	}
	id := uint32(7)
	for _, codec := range allCodecs {
		b := NewBatch(1, []Record{{Value: []byte("v")}, {Key: []byte("k"), Value: []byte("w"), TimestampDelta: 2}})
		if codec == CompressionLz4 {
			b.SchemaID = &id
		}
		out, err := AppendBatch(nil, &b, codec)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, out)
	}
	return seeds
}

// FuzzBatchDecode: DecodeBatch and DecodeBatchStrict never panic, never
// return more records than the records section could hold, and whatever
// decodes re-encodes to a batch that decodes to the same records.
func FuzzBatchDecode(f *testing.F) {
	for _, s := range fuzzSeedBatches(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = DecodeBatchStrict(data)
		b, n, err := DecodeBatch(data)
		if err != nil {
			return
		}
		if n > len(data) || n < BatchFileHeaderSize {
			t.Fatalf("consumed %d of %d bytes", n, len(data))
		}
		if len(b.Records) > MaxDecompressedSize/minRecordSize {
			t.Fatalf("%d records", len(b.Records))
		}
		if b.Header.Codec() == CompressionNone && len(b.Records) > n/minRecordSize {
			t.Fatalf("%d records in %d bytes", len(b.Records), n)
		}
		out, err := AppendBatch(nil, &b, b.Header.Codec())
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, m, err := DecodeBatch(out)
		if err != nil || m != len(out) {
			t.Fatalf("decode re-encoded: %v (%d of %d)", err, m, len(out))
		}
		if !VerifyBatchCRC(out) {
			t.Fatal("re-encoded batch has a bad crc")
		}
		if len(again.Records) != len(b.Records) {
			t.Fatalf("%d records became %d", len(b.Records), len(again.Records))
		}
		for i := range b.Records {
			x, y := &b.Records[i], &again.Records[i]
			if (x.Key == nil) != (y.Key == nil) || string(x.Key) != string(y.Key) || string(x.Value) != string(y.Value) ||
				x.OffsetDelta != y.OffsetDelta || x.TimestampDelta != y.TimestampDelta || x.Headers != y.Headers || x.Attributes != y.Attributes {
				t.Fatalf("record %d changed: %+v -> %+v", i, *x, *y)
			}
		}
		count := 0
		if err := ForEachRecord(data, func(int64, int64, *Record) error { count++; return nil }); err != nil {
			t.Fatalf("ForEachRecord fails where DecodeBatch succeeds: %v", err)
		}
		if count != len(b.Records) {
			t.Fatalf("ForEachRecord saw %d records, DecodeBatch %d", count, len(b.Records))
		}
	})
}

// FuzzBatchRecordSetIterate: the iterator never panics, yields batches that
// tile the input, and stops at a truncated tail.
func FuzzBatchRecordSetIterate(f *testing.F) {
	seeds := fuzzSeedBatches(f)
	f.Add(AppendRecordSet(nil, seeds...)[4:])
	f.Add(append(append([]byte{}, seeds[0]...), seeds[1][:40]...))
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		it := NewBatchIterator(data)
		total := 0
		for it.Next() {
			raw := it.Batch()
			if len(raw) != it.Header().Size() || len(raw) < BatchFileHeaderSize {
				t.Fatalf("batch of %d bytes, header says %d", len(raw), it.Header().Size())
			}
			total += len(raw)
			_ = ForEachRecord(raw, func(int64, int64, *Record) error { return nil })
		}
		if total+len(it.Rest()) != len(data) {
			t.Fatalf("batches %d + rest %d != input %d", total, len(it.Rest()), len(data))
		}
		if it.Err() == nil && len(it.Rest()) >= BatchFileHeaderSize {
			h, _ := ParseBatchHeader(it.Rest())
			if h.Size() <= len(it.Rest()) {
				t.Fatalf("stopped before a whole batch of %d bytes (%d left)", h.Size(), len(it.Rest()))
			}
		}
	})
}

// FuzzBatchDecompress: every codec's decoder never panics, honours the
// output bound, and allocates about the bound at most.
func FuzzBatchDecompress(f *testing.F) {
	payload := unhex(f, specPayload)
	for _, codec := range allCodecs {
		out, err := Compress(codec, nil, payload)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(codec), out)
	}
	for codec, hx := range specCompressedBatches {
		f.Add(uint8(codec), unhex(f, hx)[BatchFileHeaderSize:])
	}
	const limit = 1 << 20
	f.Fuzz(func(t *testing.T, codec uint8, data []byte) {
		c := Compression(codec % 5)
		out, err := Decompress(c, nil, data, limit)
		if err != nil {
			if out != nil {
				t.Fatalf("error %v with %d bytes of output", err, len(out))
			}
			return
		}
		if len(out) > limit {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
		// the buffer grows with real output, not with sizes the stream claims
		if bound := 2*len(out) + 64<<10 + 1032*len(data) + 4096; cap(out) > bound || cap(out) > 2*limit+4096 {
			t.Fatalf("capacity %d for %d bytes out of %d in", cap(out), len(out), len(data))
		}
		// what decodes must survive our own encoder
		re, err := Compress(c, nil, out)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decompress(c, nil, re, limit)
		if err != nil || string(back) != string(out) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzBatchRecord: DecodeRecord never panics and what decodes re-encodes to
// a record that decodes to the same fields and consumes exactly its bytes.
func FuzzBatchRecord(f *testing.F) {
	f.Add(unhex(f, "22 00 00 00 01 08 6b657931 0c 76616c756531 00"))
	f.Add(unhex(f, "26 00 00 02 01 00 18 6e6f7265636f72642d6b6579 00"))
	f.Add(unhex(f, "10 00 00 00 00 04 6869 00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, n, err := DecodeRecord(data)
		if err != nil {
			return
		}
		if n > len(data) {
			t.Fatalf("consumed %d of %d", n, len(data))
		}
		out := AppendRecord(nil, &rec)
		again, m, err := DecodeRecord(out)
		if err != nil || m != len(out) || m != RecordSize(&rec) {
			t.Fatalf("re-decode: %v (%d of %d)", err, m, len(out))
		}
		if (rec.Key == nil) != (again.Key == nil) || string(rec.Key) != string(again.Key) || string(rec.Value) != string(again.Value) {
			t.Fatal("record changed in a round trip")
		}
	})
}
