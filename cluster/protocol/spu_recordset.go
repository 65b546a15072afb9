package protocol

import (
	"encoding/binary"
	"fmt"
	"iter"
)

// RecordSet is the records field of produce and fetch messages (spec §5.3):
// an i32 byte length followed by whole record batches back to back.
//
// Why raw bytes? The SPU stores batches exactly as they arrive and serves
// them back as bytes, so decoding a message never parses or copies records;
// only SmartModules and printers look inside a batch (see batch.go).
//
// Batches aliases the buffer the message was decoded from: a server that
// reuses its frame buffer must store or copy the bytes before reading the
// next frame.
type RecordSet struct {
	// Batches holds zero or more encoded batches (base_offset first).
	Batches []byte
}

// Encode appends the i32 length and the batch bytes.
func (rs *RecordSet) Encode(dst []byte) []byte {
	dst = AppendInt32(dst, int32(len(rs.Batches)))
	return append(dst, rs.Batches...)
}

// Decode reads the length and aliases that many bytes, without copying. A
// length larger than what is left in the frame is ErrTooLarge; a negative
// length is invalid.
func (rs *RecordSet) Decode(r *Reader) {
	rs.Batches = nil
	n := r.Int32()
	if r.Err() != nil {
		return
	}
	switch {
	case n < 0:
		r.Failf("negative record set length %d", n)
	case int(n) > r.Remaining():
		r.Fail(fmt.Errorf("%w: record set of %d bytes, %d bytes left", ErrTooLarge, n, r.Remaining()))
	case n > 0:
		rs.Batches = r.Raw(int(n))
	}
}

// Size is the encoded size in bytes (length prefix included).
func (rs *RecordSet) Size() int { return 4 + len(rs.Batches) }

// All yields each complete batch in the set (preamble included), in order.
// Like the Rust decoder it stops without error at a truncated trailing
// batch or at a batch_len too small to hold a batch header.
func (rs *RecordSet) All() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		b := rs.Batches
		for len(b) >= BatchPreambleSize {
			n := int64(int32(binary.BigEndian.Uint32(b[8:])))
			if n < BatchHeaderSize || n > int64(len(b)-BatchPreambleSize) {
				return
			}
			size := BatchPreambleSize + int(n)
			if !yield(b[:size:size]) {
				return
			}
			b = b[size:]
		}
	}
}

// Count is the number of complete batches All yields.
func (rs *RecordSet) Count() int {
	n := 0
	for range rs.All() {
		n++
	}
	return n
}
