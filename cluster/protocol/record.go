package protocol

import (
	"fmt"
)

// Record is one record of a batch (spec §5.2, Rust fluvio-protocol
// record/data.rs). Its wire form is a varint length followed by:
//
//	attributes      i8
//	timestamp_delta varint  ms after the batch's first_timestamp
//	offset_delta    varint  0, 1, 2 … within the batch
//	key             u8 presence flag, then varint length + bytes if 1
//	value           varint length + bytes
//	headers         varint count (always 0; no header entries exist)
//
// Key nil means "no key" (presence byte 0). A present but empty key is a
// non-nil, zero-length slice: the Node client always sends one, and a round
// trip must keep the distinction to stay byte-exact. Decoded Key and Value
// alias the input bytes.
type Record struct {
	Attributes     int8
	TimestampDelta int64
	OffsetDelta    int64
	Key            []byte
	Value          []byte
	Headers        int64
}

// emptyKey is the shared non-nil zero-length key used by decoders so a
// present empty key stays distinguishable from a missing one without an
// allocation.
var emptyKey = make([]byte, 0)

// recordBodyLen is the size of the record after its length prefix.
func recordBodyLen(r *Record) int {
	n := 1 + VarintLen(r.TimestampDelta) + VarintLen(r.OffsetDelta) + 1
	if r.Key != nil {
		n += VarintLen(int64(len(r.Key))) + len(r.Key)
	}
	n += VarintLen(int64(len(r.Value))) + len(r.Value)
	n += VarintLen(r.Headers)
	return n
}

// RecordSize is the encoded size of r, length prefix included.
func RecordSize(r *Record) int {
	body := recordBodyLen(r)
	return VarintLen(int64(body)) + body
}

// AppendRecord appends the wire form of r (length prefix included).
func AppendRecord(dst []byte, r *Record) []byte {
	dst = AppendVarint(dst, int64(recordBodyLen(r)))
	dst = AppendInt8(dst, r.Attributes)
	dst = AppendVarint(dst, r.TimestampDelta)
	dst = AppendVarint(dst, r.OffsetDelta)
	if r.Key == nil {
		dst = append(dst, 0)
	} else {
		dst = AppendVarintBytes(append(dst, 1), r.Key)
	}
	dst = AppendVarintBytes(dst, r.Value)
	return AppendVarint(dst, r.Headers)
}

// DecodeRecord decodes one record at the start of b and returns it with the
// number of bytes consumed. The record's fields must consume exactly the
// length its prefix declares. Key and Value alias b.
func DecodeRecord(b []byte) (Record, int, error) {
	r := NewReader(b)
	var rec Record
	ReadRecord(r, &rec)
	if err := r.Err(); err != nil {
		return Record{}, 0, err
	}
	return rec, r.Offset(), nil
}

// ReadRecord decodes one record from r into rec. Failures are recorded in r
// (sticky); Key and Value alias r's buffer.
func ReadRecord(r *Reader, rec *Record) {
	start := r.Offset()
	n := r.Varint()
	if r.Err() != nil {
		return
	}
	if n < 0 {
		r.Failf("record at offset %d: negative length %d", start, n)
		return
	}
	if n > int64(r.Remaining()) {
		r.Fail(fmt.Errorf("%w: record at offset %d: length %d, %d bytes left", ErrShortBuffer, start, n, r.Remaining()))
		return
	}
	body := NewReader(r.Raw(int(n)))
	rec.Attributes = body.Int8()
	rec.TimestampDelta = body.Varint()
	rec.OffsetDelta = body.Varint()
	if body.Bool() {
		rec.Key = body.VarintBytes()
		if len(rec.Key) == 0 {
			rec.Key = emptyKey // present, empty: keep it non-nil
		}
	} else {
		rec.Key = nil
	}
	rec.Value = body.VarintBytes()
	rec.Headers = body.Varint()
	if err := body.Err(); err != nil {
		r.Fail(fmt.Errorf("record at offset %d: %w", start, err))
		return
	}
	if body.Remaining() != 0 {
		r.Failf("record at offset %d: %d bytes left over after its fields", start, body.Remaining())
	}
}
