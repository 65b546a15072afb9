package protocol

import "encoding/binary"

// Records sections walked without building Records: the SPU checks every
// records section that enters or leaves a SmartModule chain, and rebases
// the records of a chain's output; decoding each record into a Record
// (and encoding it back) cost more than the walk.

// SkipRecords returns the length of the n records at the start of b if
// each is well-formed as ReadRecord reads it: length, attributes,
// timestamp and offset deltas, optional key, value, header count, and
// nothing more. It may refuse what ReadRecord accepts (a 10-byte varint
// above 64 bits), never the reverse; a caller that needs to say what is
// wrong decodes with ReadRecord.
func SkipRecords(b []byte, n int) (int, bool) {
	at := 0
	for range n {
		body, next, ok := scanVarintBytes(b, at)
		if !ok || !scanRecordBody(body) {
			return 0, false
		}
		at = next
	}
	return at, true
}

// AppendRebasedRecords appends b, exactly n records, to dst with offShift
// added to each record's offset delta and tsShift to its timestamp delta;
// the rest of each record is copied as it is. It reads only the length
// and the deltas of each record, so b should have passed SkipRecords; it
// reports false (dst then holds part of the records) when b is not n
// records that far.
func AppendRebasedRecords(dst, b []byte, n int, offShift, tsShift int64) ([]byte, bool) {
	at := 0
	for range n {
		body, next, ok := scanVarintBytes(b, at)
		if !ok || len(body) < 1 {
			return dst, false
		}
		ts, k1 := scanVarint(body[1:])
		if k1 == 0 {
			return dst, false
		}
		off, k2 := scanVarint(body[1+k1:])
		if k2 == 0 {
			return dst, false
		}
		tail := body[1+k1+k2:]
		ts, off = ts+tsShift, off+offShift
		dst = AppendVarint(dst, int64(1+VarintLen(ts)+VarintLen(off)+len(tail)))
		dst = append(dst, body[0])
		dst = AppendVarint(AppendVarint(dst, ts), off)
		dst = append(dst, tail...)
		at = next
	}
	return dst, at == len(b)
}

// scanRecordBody checks a record's fields (what follows its length).
func scanRecordBody(b []byte) bool {
	if len(b) < 1 {
		return false
	}
	at := 1
	for range 2 { // timestamp and offset deltas
		_, k := scanVarint(b[at:])
		if k == 0 {
			return false
		}
		at += k
	}
	if at >= len(b) || b[at] > 1 {
		return false
	}
	hasKey := b[at] == 1
	at++
	ok := true
	if hasKey {
		if _, at, ok = scanVarintBytes(b, at); !ok {
			return false
		}
	}
	if _, at, ok = scanVarintBytes(b, at); !ok { // value
		return false
	}
	_, k := scanVarint(b[at:]) // header count, and nothing after
	return k != 0 && at+k == len(b)
}

// scanVarintBytes reads a varint length at b[at:] and that many bytes:
// the bytes and the index after them.
func scanVarintBytes(b []byte, at int) (field []byte, next int, ok bool) {
	l, k := scanVarint(b[at:])
	if k == 0 || l < 0 || l > int64(len(b)-at-k) {
		return nil, 0, false
	}
	from := at + k
	return b[from : from+int(l)], from + int(l), true
}

// scanVarint decodes the zigzag varint at the start of b: its value and
// length, or length 0 when it is cut short or longer than 64 bits.
func scanVarint(b []byte) (int64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return int64(b[0]>>1) ^ -int64(b[0]&1), 1
	}
	v, k := binary.Varint(b)
	if k <= 0 {
		return 0, 0
	}
	return v, k
}
