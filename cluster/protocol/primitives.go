package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// Sentinel decode errors. Every decode failure wraps one of them.
var (
	// ErrShortBuffer means the input ended before a field was complete.
	ErrShortBuffer = errors.New("protocol: unexpected end of data")
	// ErrInvalid means a field held a value its type does not allow.
	ErrInvalid = errors.New("protocol: invalid value")
	// ErrTooLarge means a length or count exceeds what the frame can hold.
	ErrTooLarge = errors.New("protocol: length exceeds remaining bytes")
)

// AppendBool appends 0x00 or 0x01.
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// AppendInt8 appends one byte.
func AppendInt8(dst []byte, v int8) []byte { return append(dst, byte(v)) }

// AppendUint8 appends one byte.
func AppendUint8(dst []byte, v uint8) []byte { return append(dst, v) }

// AppendInt16 appends a big-endian int16.
func AppendInt16(dst []byte, v int16) []byte { return binary.BigEndian.AppendUint16(dst, uint16(v)) }

// AppendUint16 appends a big-endian uint16.
func AppendUint16(dst []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(dst, v) }

// AppendInt32 appends a big-endian int32.
func AppendInt32(dst []byte, v int32) []byte { return binary.BigEndian.AppendUint32(dst, uint32(v)) }

// AppendUint32 appends a big-endian uint32.
func AppendUint32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }

// AppendInt64 appends a big-endian int64.
func AppendInt64(dst []byte, v int64) []byte { return binary.BigEndian.AppendUint64(dst, uint64(v)) }

// AppendUint64 appends a big-endian uint64.
func AppendUint64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

// AppendString appends a String: u16 length then UTF-8 bytes. Strings longer
// than 32767 bytes cannot be represented (the Rust decoder reads the length
// as i16) and are truncated to that length.
func AppendString(dst []byte, s string) []byte {
	if len(s) > math.MaxInt16 {
		s = s[:math.MaxInt16]
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

// AppendOptString appends Option<String>: a presence byte then the string.
func AppendOptString(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, 0)
	}
	return AppendString(append(dst, 1), *s)
}

// AppendBytes appends Vec<u8>/ByteBuf: u32 length then the bytes.
func AppendBytes(dst []byte, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

// AppendArrayLen appends the u32 element count of a Vec<T>.
func AppendArrayLen(dst []byte, n int) []byte { return binary.BigEndian.AppendUint32(dst, uint32(n)) }

// AppendMapLen appends the u16 entry count of a BTreeMap.
func AppendMapLen(dst []byte, n int) []byte { return binary.BigEndian.AppendUint16(dst, uint16(n)) }

// AppendVarint appends a zig-zag base-128 varint (records only).
func AppendVarint(dst []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		dst = append(dst, byte(u)|0x80)
		u >>= 7
	}
	return append(dst, byte(u))
}

// VarintLen is the encoded size of AppendVarint(nil, v).
func VarintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

// AppendVarintBytes appends a varint length then the bytes (RecordData).
func AppendVarintBytes(dst []byte, b []byte) []byte {
	return append(AppendVarint(dst, int64(len(b))), b...)
}

// Reader decodes primitives from a byte slice. The first failure is sticky:
// later reads return zero values and Err reports the first error.
type Reader struct {
	buf []byte
	off int
	err error
}

// NewReader returns a Reader over b. It does not copy b; byte slices it
// returns alias b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Remaining is the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int { return r.off }

// Fail records err (the first one wins) and returns it.
func (r *Reader) Fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return r.err
}

// Failf records a formatted ErrInvalid.
func (r *Reader) Failf(format string, args ...any) {
	r.Fail(fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
}

func (r *Reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.buf)-r.off {
		r.err = fmt.Errorf("%w: need %d bytes at offset %d, have %d", ErrShortBuffer, n, r.off, len(r.buf)-r.off)
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// Raw returns the next n bytes without copying.
func (r *Reader) Raw(n int) []byte { return r.take(n) }

// Rest returns every unread byte without copying.
func (r *Reader) Rest() []byte { return r.take(r.Remaining()) }

// Bool reads a bool; values other than 0 and 1 are invalid.
func (r *Reader) Bool() bool {
	b := r.take(1)
	if b == nil {
		return false
	}
	switch b[0] {
	case 0:
		return false
	case 1:
		return true
	}
	r.Failf("not valid bool value %d", b[0])
	return false
}

// Int8 reads an int8.
func (r *Reader) Int8() int8 { return int8(r.Uint8()) }

// Uint8 reads a uint8.
func (r *Reader) Uint8() uint8 {
	b := r.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Int16 reads a big-endian int16.
func (r *Reader) Int16() int16 { return int16(r.Uint16()) }

// Uint16 reads a big-endian uint16.
func (r *Reader) Uint16() uint16 {
	b := r.take(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

// Int32 reads a big-endian int32.
func (r *Reader) Int32() int32 { return int32(r.Uint32()) }

// Uint32 reads a big-endian uint32.
func (r *Reader) Uint32() uint32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// Int64 reads a big-endian int64.
func (r *Reader) Int64() int64 { return int64(r.Uint64()) }

// Uint64 reads a big-endian uint64.
func (r *Reader) Uint64() uint64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// String reads a String (i16 length; length <= 0 is the empty string).
func (r *Reader) String() string {
	n := r.Int16()
	if n <= 0 {
		return ""
	}
	b := r.take(int(n))
	if b == nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.Failf("string is not valid UTF-8")
		return ""
	}
	return string(b)
}

// OptString reads Option<String>.
func (r *Reader) OptString() *string {
	if !r.Bool() {
		return nil
	}
	s := r.String()
	if r.err != nil {
		return nil
	}
	return &s
}

// Bytes reads Vec<u8>: i32 length (< 1 means empty) then the bytes, aliased.
func (r *Reader) Bytes() []byte {
	n := r.Int32()
	if n < 1 {
		return nil
	}
	return r.take(int(n))
}

// ArrayLen reads a Vec count (i32; < 1 means empty) and checks that count
// elements of at least minSize bytes each fit in what is left, so callers can
// allocate count elements safely. minSize must be at least 1.
func (r *Reader) ArrayLen(minSize int) int {
	n := r.Int32()
	if r.err != nil || n < 1 {
		return 0
	}
	return r.checkCount(int(n), minSize)
}

// MapLen reads a BTreeMap count (u16) bounded like ArrayLen.
func (r *Reader) MapLen(minSize int) int {
	n := r.Uint16()
	if r.err != nil {
		return 0
	}
	return r.checkCount(int(n), minSize)
}

func (r *Reader) checkCount(n, minSize int) int {
	if minSize < 1 {
		minSize = 1
	}
	if n > r.Remaining()/minSize {
		r.Fail(fmt.Errorf("%w: %d elements of at least %d bytes, %d bytes left", ErrTooLarge, n, minSize, r.Remaining()))
		return 0
	}
	return n
}

// Varint reads a zig-zag varint (up to 64 bits).
func (r *Reader) Varint() int64 {
	if off := r.off; off < len(r.buf) && r.err == nil {
		if b := r.buf[off]; b < 0x80 { // one byte: most varints
			r.off = off + 1
			return int64(b>>1) ^ -int64(b&1)
		}
	}
	return r.varintSlow()
}

// varintSlow is Varint for more than one byte, or an error.
func (r *Reader) varintSlow() int64 {
	if r.err != nil {
		return 0
	}
	var u uint64
	var shift uint
	for i := 0; i < 10; i++ {
		if r.off >= len(r.buf) {
			r.Fail(fmt.Errorf("%w: varint at offset %d", ErrShortBuffer, r.off))
			return 0
		}
		b := r.buf[r.off]
		r.off++
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1)
		}
		shift += 7
	}
	r.Failf("varint longer than 10 bytes")
	return 0
}

// VarintBytes reads RecordData: varint length then bytes (aliased). A
// negative length is invalid.
func (r *Reader) VarintBytes() []byte {
	n := r.Varint()
	if r.err != nil {
		return nil
	}
	if n < 0 {
		r.Failf("negative length %d", n)
		return nil
	}
	if n > int64(r.Remaining()) {
		r.Fail(fmt.Errorf("%w: varint length %d, %d bytes left", ErrTooLarge, n, r.Remaining()))
		return nil
	}
	return r.take(int(n))
}
