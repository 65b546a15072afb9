package smartmodule

import (
	"errors"
	"fmt"
)

// Record is one input record as a transform sees it. Key is nil when the
// record has no key. Offset and Timestamp are absolute (base offset or
// timestamp of the batch plus the record's delta); Timestamp is the delta
// alone when the host sends no base timestamp (ABI version below 22) and
// inside look_back, where Fluvio sends base 0 (spec §2.7). Key and Value
// alias the input buffer: copy them to keep them past the call.
type Record struct {
	Key       []byte
	Value     []byte
	Offset    int64
	Timestamp int64

	// Preamble kept so filter and map outputs preserve the record's
	// position in its batch.
	attributes     int8
	offsetDelta    int64
	timestampDelta int64
	raw            []byte // the whole encoded record, length included
}

// KeyValue is an output record's key (nil: none) and value.
type KeyValue struct {
	Key   []byte
	Value []byte
}

// Params are the parameters given to a module's init (consumer --params
// k=v, or the with: map of a transforms file).
type Params map[string]string

// Get returns the value of key and whether it was given.
func (p Params) Get(key string) (string, bool) {
	v, ok := p[key]
	return v, ok
}

// errShort means the host's input ended early or is malformed.
var errShort = errors.New("smartmodule: malformed input")

// reader decodes the Fluvio encoding (big-endian integers, zig-zag
// varints); the first failure is sticky.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = errShort
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

func (r *reader) u8() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.take(2); b != nil {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	return 0
}

func (r *reader) u64() uint64 { return uint64(r.u32())<<32 | uint64(r.u32()) }

func (r *reader) bytes() []byte {
	n := int32(r.u32())
	if n < 1 {
		return nil
	}
	return r.take(int(n))
}

func (r *reader) str() string {
	n := int16(r.u16())
	if n <= 0 {
		return ""
	}
	return string(r.take(int(n)))
}

// varintAt decodes the zig-zag varint at b[i:] and returns it with the
// index after it, or -1 when b ends first or it is too long. Small enough
// to be inlined: calls cost more than usual in Go's WebAssembly code, and
// every record has four varints.
func varintAt(b []byte, i int) (int64, int) {
	var u uint64
	for shift := uint(0); i < len(b) && shift < 64; shift += 7 {
		c := b[i]
		i++
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), i
		}
	}
	return 0, -1
}

// input is a decoded SmartModuleInput (spec §2.3).
type input struct {
	baseOffset    int64
	records       []byte // u32 count + records
	baseTimestamp int64
	accumulator   []byte
}

func decodeInput(b []byte, version int32, aggregate bool) (input, error) {
	r := &reader{b: b}
	var in input
	in.baseOffset = int64(r.u64())
	in.records = r.bytes()
	if version <= 22 {
		for range r.u16() { // params: the engine sends none; skip any
			r.str()
			r.str()
		}
		if version >= 20 && r.u8() == 1 {
			r.u64()
			if version >= 21 && r.u8() == 1 {
				r.u64()
				r.u32()
			}
		}
		if version >= 16 {
			r.bytes() // join_record
		}
	}
	if version >= 22 {
		in.baseTimestamp = int64(r.u64())
	}
	if aggregate {
		in.accumulator = r.bytes()
	}
	return in, r.err
}

// records iterates over the records of an input: next decodes the next
// one into the Record it is given (valid until the following call) and
// reports false at the end or on malformed input, after which err says
// which. A loop over next, rather than a callback per record: calls cost
// more than usual in Go's WebAssembly code.
type records struct {
	b        []byte
	off      int
	i, n     int32
	base, ts int64 // base offset and timestamp
	err      error
}

func newRecords(in *input) records {
	it := records{b: in.records, off: 4, base: in.baseOffset, ts: in.baseTimestamp}
	if b := in.records; len(b) >= 4 {
		it.n = int32(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	}
	return it
}

func (it *records) next(rec *Record) bool {
	if it.i >= it.n {
		return false
	}
	b, start := it.b, it.off
	size, next := varintAt(b, start)
	if next < 0 || size < 0 || size > int64(len(b)-next) {
		it.err, it.n = errShort, 0
		return false
	}
	end := next + int(size)
	if !decodeRecord(b[next:end:end], rec) {
		it.err, it.n = fmt.Errorf("record %d: %w", it.i, errShort), 0
		return false
	}
	it.off = end
	it.i++
	rec.Offset = it.base + rec.offsetDelta
	rec.Timestamp = it.ts + rec.timestampDelta
	rec.raw = b[start:end:end]
	return true
}

// decodeRecord decodes a record's body (what follows its length) into rec:
// attributes, timestamp and offset deltas, optional key, value, and no
// headers. One call per record; the varints are decoded inline.
func decodeRecord(b []byte, rec *Record) bool {
	if len(b) < 1 {
		return false
	}
	rec.attributes = int8(b[0])
	var i int
	if rec.timestampDelta, i = varintAt(b, 1); i < 0 {
		return false
	}
	if rec.offsetDelta, i = varintAt(b, i); i < 0 || i >= len(b) {
		return false
	}
	rec.Key = nil
	switch b[i] {
	case 0:
		i++
	case 1:
		n, j := varintAt(b, i+1)
		if j < 0 || n < 0 || n > int64(len(b)-j) {
			return false
		}
		i = j + int(n)
		rec.Key = b[j:i:i]
	default:
		return false
	}
	n, j := varintAt(b, i)
	if j < 0 || n < 0 || n > int64(len(b)-j) {
		return false
	}
	i = j + int(n)
	rec.Value = b[j:i:i]
	if _, i = varintAt(b, i); i < 0 { // headers: always 0
		return false
	}
	return true
}

// Encoders.

func appendU16(b []byte, v uint16) []byte { return append(b, byte(v>>8), byte(v)) }

func appendU32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

func appendU64(b []byte, v uint64) []byte { return appendU32(appendU32(b, uint32(v>>32)), uint32(v)) }

func appendVarint(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		b = append(b, byte(u)|0x80)
		u >>= 7
	}
	return append(b, byte(u))
}

func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

func appendVarBytes(b, v []byte) []byte { return append(appendVarint(b, int64(len(v))), v...) }

// maxHint is the longest String Fluvio's decoder reads (i16 length).
const maxHint = 32767

func appendString(b []byte, s string) []byte {
	if len(s) > maxHint {
		s = s[:maxHint]
	}
	return append(appendU16(b, uint16(len(s))), s...)
}

func appendOptKey(b, key []byte) []byte {
	if key == nil {
		return append(b, 0)
	}
	return appendVarBytes(append(b, 1), key)
}

// appendRecord encodes a record with the given preamble, key and value.
func appendRecord(b []byte, attrs int8, tsDelta, offDelta int64, key, value []byte) []byte {
	size := 1 + varintLen(tsDelta) + varintLen(offDelta) + 1 + varintLen(int64(len(value))) + len(value) + 1
	if key != nil {
		size += varintLen(int64(len(key))) + len(key)
	}
	b = appendVarint(b, int64(size))
	b = append(b, byte(attrs))
	b = appendVarint(b, tsDelta)
	b = appendVarint(b, offDelta)
	b = appendOptKey(b, key)
	b = appendVarBytes(b, value)
	return append(b, 0) // no headers
}

// Kind numbers of SmartModuleTransformRuntimeError (spec §2.5).
const (
	kindFilter    = 0
	kindMap       = 1
	kindArrayMap  = 2
	kindAggregate = 3
	kindFilterMap = 4
)

// output accumulates a SmartModuleOutput.
type output struct {
	buf   []byte // u32 count placeholder + records
	count uint32
}

func newOutput(sizeHint int) *output {
	return &output{buf: append(outputBuffer(4+sizeHint), 0, 0, 0, 0)}
}

// finish appends the error (if any) and, for aggregate, the accumulator,
// and returns the encoded output.
func (o *output) finish(kind byte, failed *Record, err error, aggregate bool, version int32, acc []byte) []byte {
	b := o.buf
	b[0], b[1], b[2], b[3] = byte(o.count>>24), byte(o.count>>16), byte(o.count>>8), byte(o.count)
	if err == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendString(b, err.Error())
		b = appendU64(b, uint64(failed.Offset))
		b = append(b, kind)
		b = appendOptKey(b, failed.Key)
		b = appendVarBytes(b, failed.Value)
	}
	if aggregate && version >= 16 {
		b = appendU32(b, uint32(len(acc)))
		b = append(b, acc...)
	}
	return b
}
