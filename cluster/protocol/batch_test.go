package protocol

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// Whole batches printed in spec §7.7: two records (key-a/key-b), one per
// codec, produced by the real client.
var specCompressedBatches = map[Compression]string{
	CompressionGzip: `000000000000000100000073ffffffff029b155347000100000001000001a201
0dc086000001a2010dc086ffffffffffffffffffffffffffff1f8b0800000000
0000ff65cab10900200c04c0d7d229b28019c33d14038281808db8bd82659aab
0e402c00429a7272e521aa464ebc13ff69bc6d6927272ea5b8a2c44c000000`,
	CompressionSnappy: `000000000000000100000070ffffffff02410db6a7000200000001000001a201
0dc08b000001a2010dc08bffffffffffffffffffffffffffffff060000734e61
50705900350000c6f4e1304c540000000246000000010a6b65792d612e68656c
6c6f2042060010004600000209241c622e776f726c64204206000000`,
	CompressionLz4: `000000000000000100000070ffffffff020c2b4254000300000001000001a201
0dc08c000001a2010dc08cffffffffffffffffffffffffffff04224d18604082
34000000fd070000000246000000010a6b65792d612e68656c6c6f2006005200
46000002240088622e776f726c6420060060776f726c640000000000`,
	CompressionZstd: `000000000000000100000069ffffffff0299182c57000400000001000001a201
0dc08e000001a2010dc08effffffffffffffffffffffffffff28b52ffd00489d
0100a4020000000246000000010a6b65792d612e68656c6c6f20004600000201
0a6b65792d622e776f726c6420000200c11c642e62`,
}

// The uncompressed batches inside the two produce requests of spec §7.4.
const (
	specBatchKey1 = `0000000000000001 00000057 ffffffff 02 ce25ba10 0000 00000001
000001a2010bb5dd 000001a2010bb5dd ffffffffffffffff ffff ffffffff 00000002
22 00 00 00 01 08 6b657931 0c 76616c756531 00
26 00 00 02 01 00 18 6e6f7265636f72642d6b6579 00`
	specBatchABC = `0000000000000002 0000004f ffffffff 02 35db97f8 0000 00000002
000001a2010c3b27 000001a2010c3b27 ffffffffffffffff ffff ffffffff 00000003
12 00 00 00 01 02 61 02 31 00
12 00 00 02 01 02 62 02 32 00
12 00 00 04 01 02 63 02 33 00`
)

func specRecords() []Record {
	return []Record{
		{Key: []byte("key-a"), Value: []byte("hello hello hello hello")},
		{OffsetDelta: 1, Key: []byte("key-b"), Value: []byte("world world world world")},
	}
}

func requireSameRecords(t *testing.T, want, got []Record) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Key == nil, got[i].Key == nil, "record %d key presence", i)
		require.Equal(t, string(want[i].Key), string(got[i].Key), "record %d key", i)
		require.Equal(t, string(want[i].Value), string(got[i].Value), "record %d value", i)
		require.Equal(t, want[i].OffsetDelta, got[i].OffsetDelta, "record %d offset delta", i)
		require.Equal(t, want[i].TimestampDelta, got[i].TimestampDelta, "record %d timestamp delta", i)
		require.Equal(t, want[i].Attributes, got[i].Attributes, "record %d attributes", i)
		require.Equal(t, want[i].Headers, got[i].Headers, "record %d headers", i)
	}
}

func TestDecodeClientCompressedBatches(t *testing.T) {
	for codec, hx := range specCompressedBatches {
		t.Run(codec.String(), func(t *testing.T) {
			raw := unhex(t, hx)
			require.True(t, VerifyBatchCRC(raw))
			b, n, err := DecodeBatchStrict(append(raw, 0xde, 0xad))
			require.NoError(t, err)
			require.Equal(t, len(raw), n)
			require.Equal(t, codec, b.Header.Codec())
			require.EqualValues(t, 1, b.Header.BaseOffset)
			require.EqualValues(t, 1, b.Header.LastOffsetDelta)
			require.EqualValues(t, len(raw)-BatchPreambleSize, b.Header.BatchLen)
			require.Nil(t, b.SchemaID)
			requireSameRecords(t, specRecords(), b.Records)

			// Re-encoding with the same codec: compressed bytes may differ
			// by library, everything else must not.
			out, err := AppendBatch(nil, &b, codec)
			require.NoError(t, err)
			require.True(t, VerifyBatchCRC(out))
			require.Equal(t, raw[:8], out[:8], "base_offset")
			require.Equal(t, raw[12:17], out[12:17], "epoch, magic")
			require.Equal(t, raw[21:BatchFileHeaderSize], out[21:BatchFileHeaderSize], "attributes .. first_sequence")
			again, n, err := DecodeBatchStrict(out)
			require.NoError(t, err)
			require.Equal(t, len(out), n)
			requireSameRecords(t, specRecords(), again.Records)

			// the records section is the spec payload
			section, err := AppendBatchRecords(nil, raw, 0)
			require.NoError(t, err)
			require.Equal(t, unhex(t, specPayload), section)
		})
	}
}

func TestUncompressedBatchesReencodeByteIdentical(t *testing.T) {
	for name, hx := range map[string]string{"key1 and empty key": specBatchKey1, "a b c": specBatchABC} {
		t.Run(name, func(t *testing.T) {
			raw := unhex(t, hx)
			b, n, err := DecodeBatchStrict(raw)
			require.NoError(t, err)
			require.Equal(t, len(raw), n)
			out, err := AppendBatch(nil, &b, CompressionNone)
			require.NoError(t, err)
			require.Equal(t, raw, out)
		})
	}
}

// TestCapturedProduceBatches walks every produce request the real client
// sent in the captures, decodes each batch strictly and re-encodes it:
// uncompressed batches byte-identically, compressed ones to the same records.
func TestCapturedProduceBatches(t *testing.T) {
	var batches, plain int
	for _, f := range loadCapturedFrames(t) {
		if f.Dir != "in" || f.Side != "spu" || f.Header.APIKey != 0 {
			continue
		}
		r := NewReader(f.Body)
		r.OptString()             // transactional_id
		r.Int16()                 // isolation
		r.Int32()                 // timeout
		for range r.ArrayLen(6) { // topics
			_ = r.String()            // topic name
			for range r.ArrayLen(8) { // partitions
				r.Uint32()
				var set RecordSet
				set.Decode(r)
				require.NoError(t, r.Err(), "%s:%d", f.File, f.Line)
				it := NewBatchIterator(set.Batches)
				for it.Next() {
					raw := it.Batch()
					b, n, err := DecodeBatchStrict(raw)
					require.NoError(t, err, "%s:%d", f.File, f.Line)
					require.Equal(t, len(raw), n)
					require.Equal(t, *it.Header(), b.Header)
					out, err := AppendBatch(nil, &b, b.Header.Codec())
					require.NoError(t, err)
					if b.Header.Codec() == CompressionNone {
						require.Equal(t, raw, out, "%s:%d", f.File, f.Line)
						plain++
					} else {
						again, _, err := DecodeBatchStrict(out)
						require.NoError(t, err)
						requireSameRecords(t, b.Records, again.Records)
					}
					batches++
				}
				require.NoError(t, it.Err())
				require.Empty(t, it.Rest(), "%s:%d: produce record sets hold whole batches", f.File, f.Line)
			}
		}
		require.NoError(t, r.Err(), "%s:%d", f.File, f.Line)
	}
	require.Positive(t, batches)
	require.Positive(t, plain)
}

func TestAppendBatchGolden(t *testing.T) {
	const ts = 1795313874397
	tests := []struct {
		name    string
		records []Record
		codec   Compression
		want    string
	}{
		{
			name:    "null key (record bytes of spec 7.8, length corrected)",
			records: []Record{{Value: []byte("hi")}},
			want: "0000000000000000 0000003a ffffffff 02 874aaf8f 0000 00000000 000001a2010bb5dd 000001a2010bb5dd ffffffffffffffff ffff ffffffff" +
				" 00000001 10 00 00 00 00 04 6869 00",
		},
		{
			name:    "present empty key",
			records: []Record{{Key: []byte{}, Value: []byte("hi")}},
			want: "0000000000000000 0000003b ffffffff 02 48a4bf7e 0000 00000000 000001a2010bb5dd 000001a2010bb5dd ffffffffffffffff ffff ffffffff" +
				" 00000001 12 00 00 00 01 00 04 6869 00",
		},
		{
			// The Rust client's snappy payload (spec 7.7) is byte-identical.
			name: "snappy", records: specRecords(), codec: CompressionSnappy,
			want: "0000000000000000 00000070 ffffffff 02 90724c82 0002 00000001 000001a2010bb5dd 000001a2010bb5dd ffffffffffffffff ffff ffffffff" +
				" ff060000734e6150705900350000c6f4e1304c540000000246000000010a6b65792d612e68656c6c6f2042060010004600000209241c622e776f726c64204206000000",
		},
		{
			name: "gzip", records: specRecords(), codec: CompressionGzip,
			want: "0000000000000000 00000092 ffffffff 02 a2aca627 0001 00000001 000001a2010bb5dd 000001a2010bb5dd ffffffffffffffff ffff ffffffff" +
				" 1f8b08000000000000ff004c00b3ff0000000246000000010a6b65792d612e68656c6c6f2068656c6c6f2068656c6c6f2068656c6c6f0046000002010a6b65792d622e776f726c6420776f726c6420776f726c6420776f726c64000300a5b8a2c44c000000",
		},
		{
			name: "lz4", records: specRecords(), codec: CompressionLz4,
			want: "0000000000000000 00000078 ffffffff 02 2e4dac06 0003 00000001 000001a2010bb5dd 000001a2010bb5dd ffffffffffffffff ffff ffffffff" +
				" 04224d186040823c000000fd070000000246000000010a6b65792d612e68656c6c6f200600520046000002240080622e776f726c64200600e06420776f726c6420776f726c640000000000",
		},
		{
			name: "zstd", records: specRecords(), codec: CompressionZstd,
			want: "0000000000000000 00000066 ffffffff 02 8d72201d 0004 00000001 000001a2010bb5dd 000001a2010bb5dd ffffffffffffffff ffff ffffffff" +
				" 28b52ffd000085010044020000000246000000010a6b65792d612e68656c6c6f200046000002622e776f726c642000030029931f8569994b13",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBatch(ts, tc.records)
			got, err := AppendBatch([]byte{0xee}, &b, tc.codec)
			require.NoError(t, err)
			require.Equal(t, byte(0xee), got[0], "AppendBatch appends")
			require.Equal(t, unhex(t, tc.want), got[1:])
			require.True(t, VerifyBatchCRC(got[1:]))
			dec, _, err := DecodeBatchStrict(got[1:])
			require.NoError(t, err)
			requireSameRecords(t, tc.records, dec.Records)
		})
	}
}

func TestNewBatch(t *testing.T) {
	recs := []Record{
		{Value: []byte("a"), OffsetDelta: 9},
		{Value: []byte("b"), TimestampDelta: 5},
		{Value: []byte("c"), TimestampDelta: 7},
	}
	b := NewBatch(1000, recs)
	require.EqualValues(t, 2, b.Header.LastOffsetDelta)
	require.EqualValues(t, 1007, b.Header.MaxTimestamp)
	require.EqualValues(t, 1000, b.Header.FirstTimestamp)
	require.EqualValues(t, -1, b.Header.PartitionLeaderEpoch)
	require.EqualValues(t, -1, b.Header.ProducerID)
	require.EqualValues(t, -1, b.Header.ProducerEpoch)
	require.EqualValues(t, -1, b.Header.FirstSequence)
	require.EqualValues(t, BatchMagic, b.Header.Magic)
	for i, r := range b.Records {
		require.EqualValues(t, i, r.OffsetDelta)
	}

	empty := NewBatch(-1, nil)
	require.EqualValues(t, -1, empty.Header.LastOffsetDelta)
	require.EqualValues(t, -1, empty.Header.MaxTimestamp)
	out, err := AppendBatch(nil, &empty, CompressionNone)
	require.NoError(t, err)
	require.Len(t, out, BatchFileHeaderSize+4)
	dec, _, err := DecodeBatchStrict(out)
	require.NoError(t, err)
	require.Empty(t, dec.Records)
}

func TestBatchSchemaID(t *testing.T) {
	id := uint32(0xdeadbeef)
	b := NewBatch(5, []Record{{Value: []byte("v")}})
	b.SchemaID = &id
	for _, codec := range allCodecs {
		out, err := AppendBatch(nil, &b, codec)
		require.NoError(t, err)
		h, err := ParseBatchHeader(out)
		require.NoError(t, err)
		require.EqualValues(t, AttrSchemaID|int16(codec), h.Attributes)
		require.Equal(t, []byte{0xde, 0xad, 0xbe, 0xef}, out[BatchFileHeaderSize:BatchFileHeaderSize+4])
		dec, _, err := DecodeBatchStrict(out)
		require.NoError(t, err)
		require.NotNil(t, dec.SchemaID)
		require.Equal(t, id, *dec.SchemaID)
		requireSameRecords(t, b.Records, dec.Records)
	}
}

func TestDecodeBatchErrors(t *testing.T) {
	good := unhex(t, specBatchABC)
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte{}, good...))
	}
	tests := []struct {
		name   string
		data   []byte
		want   error
		strict bool // only DecodeBatchStrict fails
	}{
		{name: "empty", data: nil, want: ErrShortBuffer},
		{name: "header only", data: good[:BatchFileHeaderSize], want: ErrShortBuffer},
		{name: "truncated records", data: good[:len(good)-1], want: ErrShortBuffer},
		{name: "batch_len below header", data: mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[8:], 44); return b }), want: ErrInvalid},
		{name: "unknown codec", data: mutate(func(b []byte) []byte { b[22] = 5; return b }), want: ErrUnknownCompression},
		{name: "schema flag without room", data: mutate(func(b []byte) []byte {
			b = b[:BatchFileHeaderSize+2]
			binary.BigEndian.PutUint32(b[8:], BatchHeaderSize+2)
			b[22] = AttrSchemaID
			return b
		}), want: ErrInvalid},
		{name: "record count 2^31 in a 62-byte batch", data: func() []byte {
			b := make([]byte, BatchFileHeaderSize+5)
			copy(b, good[:BatchFileHeaderSize])
			binary.BigEndian.PutUint32(b[8:], BatchHeaderSize+5)
			binary.BigEndian.PutUint32(b[BatchFileHeaderSize:], 1<<31)
			binary.BigEndian.PutUint32(b[23:], 0xffffffff) // a negative i32 count reads as empty
			SetBatchCRC(b)
			return b
		}(), want: ErrInvalid},
		{name: "record count 2^30 in a 62-byte batch", data: func() []byte {
			b := make([]byte, BatchFileHeaderSize+5)
			copy(b, good[:BatchFileHeaderSize])
			binary.BigEndian.PutUint32(b[8:], BatchHeaderSize+5)
			binary.BigEndian.PutUint32(b[BatchFileHeaderSize:], 1<<30)
			SetBatchCRC(b)
			return b
		}(), want: ErrTooLarge},
		{name: "huge record length varint", data: func() []byte {
			b := append([]byte{}, good[:BatchFileHeaderSize]...)
			b = append(b, 0, 0, 0, 1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)
			binary.BigEndian.PutUint32(b[8:], uint32(len(b)-BatchPreambleSize))
			binary.BigEndian.PutUint32(b[23:], 0)
			SetBatchCRC(b)
			return b
		}(), want: ErrShortBuffer},
		{name: "bytes after the last record", data: mutate(func(b []byte) []byte {
			b = append(b, 0)
			binary.BigEndian.PutUint32(b[8:], uint32(len(b)-BatchPreambleSize))
			SetBatchCRC(b)
			return b
		}), want: ErrInvalid},
		{name: "crc mismatch", data: mutate(func(b []byte) []byte { b[len(b)-2] ^= 1; return b }), want: ErrBatchCRC, strict: true},
		{name: "count above last_offset_delta+1", data: mutate(func(b []byte) []byte { b[26] = 1; SetBatchCRC(b); return b }), want: ErrRecordCount, strict: true},
		{name: "wrong magic", data: mutate(func(b []byte) []byte { b[16] = 1; return b }), want: ErrInvalid, strict: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := DecodeBatchStrict(tc.data)
			require.ErrorIs(t, err, tc.want)
			require.Zero(t, n)
			_, n, err = DecodeBatch(tc.data)
			if tc.strict {
				require.NoError(t, err, "the lenient decoder accepts what Rust accepts")
				require.Equal(t, len(tc.data), n)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
}

// TestDecodeSmartModuleOutputBatch: the real SPU's SmartModule output keeps
// the input's offset range, so a filtered batch has fewer records than
// last_offset_delta+1 and consumers must still read it.
func TestDecodeSmartModuleOutputBatch(t *testing.T) {
	b := NewBatch(100, []Record{{Value: []byte("kept")}})
	b.Records[0].OffsetDelta = 2
	b.Header.LastOffsetDelta = 4
	b.Header.BaseOffset = 10
	out, err := AppendBatch(nil, &b, CompressionGzip)
	require.NoError(t, err)
	dec, _, err := DecodeBatch(out)
	require.NoError(t, err)
	require.Len(t, dec.Records, 1)
	_, _, err = DecodeBatchStrict(out)
	require.ErrorIs(t, err, ErrRecordCount)

	var offsets []int64
	require.NoError(t, ForEachRecord(out, func(off, ts int64, r *Record) error {
		offsets = append(offsets, off)
		require.EqualValues(t, 100, ts)
		return nil
	}))
	require.Equal(t, []int64{12}, offsets)
}

func TestForEachRecord(t *testing.T) {
	recs := []Record{
		{Key: []byte("k0"), Value: []byte("v0")},
		{Key: nil, Value: []byte("v1"), TimestampDelta: 3},
		{Key: []byte{}, Value: []byte("v2"), TimestampDelta: 9},
	}
	for _, codec := range allCodecs {
		t.Run(codec.String(), func(t *testing.T) {
			b := NewBatch(1_000_000, append([]Record{}, recs...))
			b.Header.BaseOffset = 40
			raw, err := AppendBatch(nil, &b, codec)
			require.NoError(t, err)
			type seen struct {
				off, ts    int64
				key, value string
				nilKey     bool
			}
			var got []seen
			require.NoError(t, ForEachRecord(raw, func(off, ts int64, r *Record) error {
				got = append(got, seen{off, ts, string(r.Key), string(r.Value), r.Key == nil})
				return nil
			}))
			require.Equal(t, []seen{
				{40, 1_000_000, "k0", "v0", false},
				{41, 1_000_003, "", "v1", true},
				{42, 1_000_009, "", "v2", false},
			}, got)

			stop := errors.New("stop")
			calls := 0
			err = ForEachRecord(raw, func(int64, int64, *Record) error { calls++; return stop })
			require.ErrorIs(t, err, stop)
			require.Equal(t, 1, calls)
		})
	}

	// no first timestamp: records report -1, like the Rust client
	b := NewBatch(-1, []Record{{Value: []byte("x"), TimestampDelta: 4}})
	raw, err := AppendBatch(nil, &b, CompressionNone)
	require.NoError(t, err)
	require.NoError(t, ForEachRecord(raw, func(off, ts int64, r *Record) error {
		require.EqualValues(t, -1, ts)
		return nil
	}))

	// corrupt record inside: error names the batch, no callback after it
	raw[len(raw)-1] = 0x80 // headers varint continues past the record
	err = ForEachRecord(raw, func(int64, int64, *Record) error { return nil })
	require.Error(t, err)
}

func TestNextBatchAndRecordSet(t *testing.T) {
	b1 := unhex(t, specBatchKey1)
	b2 := unhex(t, specBatchABC)
	b3 := unhex(t, specCompressedBatches[CompressionZstd])

	set := AppendRecordSet(nil, b1, b2, b3)
	require.EqualValues(t, len(b1)+len(b2)+len(b3), binary.BigEndian.Uint32(set))
	r := NewReader(append(set, 0x99))
	var rs RecordSet
	rs.Decode(r)
	require.NoError(t, r.Err())
	batches := rs.Batches
	require.Equal(t, 1, r.Remaining())

	tests := []struct {
		name     string
		in       []byte
		want     [][]byte
		wantRest int
	}{
		{"three whole batches", batches, [][]byte{b1, b2, b3}, 0},
		{"truncated trailing batch", batches[:len(batches)-5], [][]byte{b1, b2}, len(b3) - 5},
		{"truncated trailing header", append(append([]byte{}, b1...), b2[:30]...), [][]byte{b1}, 30},
		{"empty", nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [][]byte
			it := NewBatchIterator(tc.in)
			for it.Next() {
				got = append(got, it.Batch())
				require.Equal(t, int(it.Header().BatchLen)+BatchPreambleSize, len(it.Batch()))
			}
			require.NoError(t, it.Err())
			require.Equal(t, tc.want, got)
			require.Len(t, it.Rest(), tc.wantRest)

			// the function form agrees
			rest := tc.in
			var got2 [][]byte
			for {
				raw, hdr, next, err := NextBatch(rest)
				require.NoError(t, err)
				if raw == nil {
					require.Equal(t, rest, next)
					break
				}
				require.Equal(t, hdr.Size(), len(raw))
				got2 = append(got2, raw)
				rest = next
			}
			require.Equal(t, tc.want, got2)
		})
	}

	// a header that cannot be a batch is an error, not a silent stop
	bad := append([]byte{}, b1...)
	binary.BigEndian.PutUint32(bad[8:], 3)
	it := NewBatchIterator(append(append([]byte{}, b2...), bad...))
	require.True(t, it.Next())
	require.False(t, it.Next())
	require.ErrorIs(t, it.Err(), ErrInvalid)
}

func TestAppendBatchUnknownCodec(t *testing.T) {
	b := NewBatch(1, []Record{{Value: []byte("x")}})
	out, err := AppendBatch([]byte("keep"), &b, Compression(6))
	require.ErrorIs(t, err, ErrUnknownCompression)
	require.Equal(t, "keep", string(out))
}

// FinishBatchInPlace gives the bytes AppendBatchSection gives.
func TestFinishBatchInPlace(t *testing.T) {
	recs := []Record{{Value: []byte("a")}, {Key: []byte("k"), Value: []byte("bb"), OffsetDelta: 1}}
	section := AppendArrayLen(nil, len(recs))
	for i := range recs {
		section = AppendRecord(section, &recs[i])
	}
	h := BatchHeader{BaseOffset: 7, LastOffsetDelta: 1, FirstTimestamp: 5, MaxTimestamp: 9, ProducerID: -1, FirstSequence: -1}
	want, err := AppendBatchSection(nil, &h, nil, section, CompressionNone)
	if err != nil {
		t.Fatal(err)
	}
	buf := append(make([]byte, BatchFileHeaderSize), section...)
	FinishBatchInPlace(buf, &h)
	if string(buf) != string(want) {
		t.Fatalf("in place %x\nappended %x", buf, want)
	}
}
