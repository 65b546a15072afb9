package smartengine

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// ABI encodings exchanged with modules (spec §2). Inputs are built by the
// host; outputs come from untrusted guests and are decoded defensively.

// Lookback selects history fed to a module's look_back before the stream
// starts (spec §2.7): the last Last records and/or those not older than
// Age. The SPU reads the records; the engine passes the configuration to
// init and the records to look_back.
type Lookback struct {
	Last uint64
	Age  time.Duration // 0: no age bound
}

// minRecordSize is the smallest encoded record: length, attributes,
// timestamp delta, offset delta, key flag, value length, header count.
const minRecordSize = 7

// emptyRecords is a records section holding no records.
var emptyRecords = []byte{0, 0, 0, 0}

// appendInput appends SmartModuleInput (spec §2.3) at version v and, for
// aggregate, the accumulator (spec §2.6).
func appendInput(dst []byte, v int16, baseOffset int64, records []byte, baseTimestamp int64, acc []byte, aggregate bool) []byte {
	dst = protocol.AppendInt64(dst, baseOffset)
	dst = protocol.AppendBytes(dst, records)
	return appendInputTail(dst, v, baseTimestamp, acc, aggregate)
}

// appendInputHead appends what precedes the records in a SmartModuleInput
// (base offset, records length) and appendInputTail what follows them, so
// the records can be written to a module without being copied first.
func appendInputHead(dst []byte, baseOffset int64, records int) []byte {
	return protocol.AppendUint32(protocol.AppendInt64(dst, baseOffset), uint32(records))
}

func appendInputTail(dst []byte, v int16, baseTimestamp int64, acc []byte, aggregate bool) []byte {
	if v <= 22 {
		dst = protocol.AppendMapLen(dst, 0) // params: always empty in the input
		if v >= 20 {
			dst = append(dst, 0) // lookback: None
		}
		if v >= 16 {
			dst = protocol.AppendUint32(dst, 0) // join_record: empty
		}
	}
	if v >= 22 {
		dst = protocol.AppendInt64(dst, baseTimestamp)
	}
	if aggregate {
		dst = protocol.AppendBytes(dst, acc)
	}
	return dst
}

// appendInitInput appends SmartModuleInitInput = SmartModuleExtraParams
// (spec §2.4): params in key order, then (v >= 20) the lookback.
func appendInitInput(dst []byte, v int16, params map[string]string, lb *Lookback) []byte {
	dst = protocol.AppendMapLen(dst, len(params))
	for _, k := range slices.Sorted(maps.Keys(params)) {
		dst = protocol.AppendString(dst, k)
		dst = protocol.AppendString(dst, params[k])
	}
	if v >= 20 {
		dst = appendLookback(dst, v, lb)
	}
	return dst
}

func appendLookback(dst []byte, v int16, lb *Lookback) []byte {
	if lb == nil {
		return append(dst, 0)
	}
	dst = protocol.AppendUint64(append(dst, 1), lb.Last)
	if v >= 21 {
		if lb.Age <= 0 {
			dst = append(dst, 0)
		} else {
			dst = protocol.AppendUint64(append(dst, 1), uint64(lb.Age/time.Second))
			dst = protocol.AppendUint32(dst, uint32(lb.Age%time.Second))
		}
	}
	return dst
}

// recordCount is the count of a records section (negative counts read as
// empty, as Fluvio's decoder does).
func recordCount(records []byte) int {
	r := protocol.NewReader(records)
	return int(max(r.Int32(), 0))
}

// Output is a decoded transform output (SmartModuleOutput or
// SmartModuleAggregateOutput, spec §2.5–2.6). Its slices alias the bytes
// it was decoded from.
type Output struct {
	// Records is the records section of the successes: u32 count + records.
	Records []byte
	// Count is the number of records in Records.
	Count int
	// Err is the record-level error, or nil.
	Err *protocol.SmartModuleTransformRuntimeError
	// Accumulator is the new aggregate accumulator (aggregate, v >= 16).
	Accumulator []byte
}

// DecodeOutput decodes a module's transform output at ABI version v. Every
// record is checked to decode, so what passes on to the client is well
// formed; lengths are bounded by the bytes present, so a hostile module
// cannot make the host allocate more than it sent. Trailing bytes are
// ignored, as Fluvio's decoder does.
func DecodeOutput(b []byte, v int16, aggregate bool) (Output, error) {
	r := protocol.NewReader(b)
	n := r.ArrayLen(minRecordSize)
	if end, ok := protocol.SkipRecords(b[r.Offset():], n); ok && r.Err() == nil {
		r.Raw(end) // the records are well-formed
	} else {
		var rec protocol.Record // decoded for the error
		for i := 0; i < n && r.Err() == nil; i++ {
			protocol.ReadRecord(r, &rec)
		}
	}
	var out Output
	if r.Err() == nil {
		out.Count = n
		if n == 0 {
			out.Records = emptyRecords
		} else {
			out.Records = b[:r.Offset()]
		}
	}
	if r.Bool() {
		out.Err = &protocol.SmartModuleTransformRuntimeError{}
		out.Err.Decode(r)
	}
	if aggregate && v >= 16 {
		out.Accumulator = r.Bytes()
	}
	if err := r.Err(); err != nil {
		if len(b) == 0 {
			return Output{}, fmt.Errorf("%w: empty output (the module did not call copy_records)", ErrBadOutput)
		}
		return Output{}, fmt.Errorf("%w: %w", ErrBadOutput, err)
	}
	return out, nil
}

// decodeInitOutput reads SmartModuleInitOutput: the init error's hint.
func decodeInitOutput(b []byte) (*InitError, error) {
	r := protocol.NewReader(b)
	hint := r.String()
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: init output: %w", ErrBadOutput, err)
	}
	return &InitError{Hint: hint}, nil
}

// decodeLookBackOutput reads SmartModuleLookbackOutput: hint, offset,
// record key and value of the failing record.
func decodeLookBackOutput(b []byte) (*LookBackError, error) {
	r := protocol.NewReader(b)
	e := &LookBackError{Hint: r.String(), Offset: r.Int64()}
	if r.Bool() {
		e.RecordKey = append([]byte{}, r.VarintBytes()...)
	}
	e.RecordValue = append([]byte(nil), r.VarintBytes()...)
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: look_back output: %w", ErrBadOutput, err)
	}
	return e, nil
}
