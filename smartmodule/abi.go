package smartmodule

// Status codes returned to the host (spec §1.4). Non-negative transform
// results are the number of output records.
const (
	statusDecodeBaseInput int32 = -11
	statusDecodeRecords   int32 = -22
	statusInitError       int32 = -2
	statusInitDecode      int32 = -10
	statusLookBackInput   int32 = -66
	statusLookBackRecords int32 = -77
	statusLookBackError   int32 = -99
)

// Filter runs a filter call: fn decides per record whether it passes;
// passing records are kept byte for byte. Call it from the module's
// //go:wasmexport filter function with that function's arguments.
func Filter(ptr, size, version int32, fn func(*Record) (bool, error)) int32 {
	return call(ptr, size, func(in []byte) (int32, []byte) { return filterBytes(in, version, fn) })
}

// Map runs a map call: fn returns each record's new key (nil: none) and
// value; the record keeps its offset and timestamp. Call it from the
// module's //go:wasmexport map function.
func Map(ptr, size, version int32, fn func(*Record) (KeyValue, error)) int32 {
	return call(ptr, size, func(in []byte) (int32, []byte) { return mapBytes(in, version, fn) })
}

// FilterMap runs a filter_map call: fn returns the new key and value and
// whether to keep the record. Call it from //go:wasmexport filter_map.
func FilterMap(ptr, size, version int32, fn func(*Record) (KeyValue, bool, error)) int32 {
	return call(ptr, size, func(in []byte) (int32, []byte) { return filterMapBytes(in, version, fn) })
}

// ArrayMap runs an array_map call: fn returns zero or more new records per
// input record (offset and timestamp deltas 0, as Fluvio's SDK does).
// Call it from //go:wasmexport array_map.
func ArrayMap(ptr, size, version int32, fn func(*Record) ([]KeyValue, error)) int32 {
	return call(ptr, size, func(in []byte) (int32, []byte) { return arrayMapBytes(in, version, fn) })
}

// Aggregate runs an aggregate call: fn folds each record into the
// accumulator and returns the new one; each output record is the input
// record with the new accumulator as value. The host keeps the accumulator
// between calls (its initial value comes from the consumer). Call it from
// //go:wasmexport aggregate.
func Aggregate(ptr, size, version int32, fn func(acc []byte, r *Record) ([]byte, error)) int32 {
	return call(ptr, size, func(in []byte) (int32, []byte) { return aggregateBytes(in, version, fn) })
}

// Init runs the init call with the stream's params, once before any
// record; an error fails the stream with its text as hint (for example
// "Missing param key"). Call it from a function exported as init:
//
//	//go:wasmexport init
//	func smInit(ptr, size, version int32) int32 { return smartmodule.Init(ptr, size, version, setup) }
func Init(ptr, size, version int32, fn func(Params) error) int32 {
	return call(ptr, size, func(in []byte) (int32, []byte) { return initBytes(in, version, fn) })
}

// LookBack runs the look_back call: fn sees the history records the
// consumer asked for (last N and/or max age) before the stream starts,
// typically to seed state. Offsets and timestamps are the records' deltas
// (Fluvio sends base 0). An error fails the stream. Call it from
// //go:wasmexport look_back.
func LookBack(ptr, size, version int32, fn func(*Record) error) int32 {
	return call(ptr, size, func(in []byte) (int32, []byte) { return lookBackBytes(in, version, fn) })
}

// call takes the input the host wrote into memory from alloc, runs do,
// and hands its output (if any) to the host.
func call(ptr, size int32, do func([]byte) (int32, []byte)) int32 {
	in, ok := takeInput(ptr, size)
	if !ok {
		return statusDecodeBaseInput
	}
	rc, out := do(in)
	if out != nil {
		emit(out)
	}
	recycleInput(in)
	return rc
}

// transform is the loop shared by every transform kind: step handles one
// record and returns an error to stop there.
func transform(in []byte, version int32, kind byte, aggregate bool, step func(o *output, r *Record, acc []byte) ([]byte, error)) (int32, []byte) {
	inp, err := decodeInput(in, version, aggregate)
	if err != nil {
		return statusDecodeBaseInput, nil
	}
	o := newOutput(len(inp.records))
	acc := inp.accumulator
	var rec Record
	var ferr error
	it := newRecords(&inp)
	for it.next(&rec) {
		next, err := step(o, &rec, acc)
		if err != nil {
			ferr = err
			break
		}
		acc = next
	}
	if it.err != nil {
		return statusDecodeRecords, nil
	}
	return int32(o.count), o.finish(kind, &rec, ferr, aggregate, version, acc)
}

// filterBytes is transform for a filter, with the loop written out: a
// filter's own work per record is often small, and a call less per
// record shows.
func filterBytes(in []byte, version int32, fn func(*Record) (bool, error)) (int32, []byte) {
	inp, err := decodeInput(in, version, false)
	if err != nil {
		return statusDecodeBaseInput, nil
	}
	o := newOutput(len(inp.records))
	var rec Record
	var ferr error
	it := newRecords(&inp)
	for it.next(&rec) {
		keep, err := fn(&rec)
		if err != nil {
			ferr = err
			break
		}
		if keep {
			o.buf = append(o.buf, rec.raw...)
			o.count++
		}
	}
	if it.err != nil {
		return statusDecodeRecords, nil
	}
	return int32(o.count), o.finish(kindFilter, &rec, ferr, false, version, nil)
}

func mapBytes(in []byte, version int32, fn func(*Record) (KeyValue, error)) (int32, []byte) {
	return transform(in, version, kindMap, false, func(o *output, r *Record, _ []byte) ([]byte, error) {
		kv, err := fn(r)
		if err == nil {
			o.buf = appendRecord(o.buf, r.attributes, r.timestampDelta, r.offsetDelta, kv.Key, kv.Value)
			o.count++
		}
		return nil, err
	})
}

func filterMapBytes(in []byte, version int32, fn func(*Record) (KeyValue, bool, error)) (int32, []byte) {
	return transform(in, version, kindFilterMap, false, func(o *output, r *Record, _ []byte) ([]byte, error) {
		kv, keep, err := fn(r)
		if err == nil && keep {
			o.buf = appendRecord(o.buf, r.attributes, r.timestampDelta, r.offsetDelta, kv.Key, kv.Value)
			o.count++
		}
		return nil, err
	})
}

func arrayMapBytes(in []byte, version int32, fn func(*Record) ([]KeyValue, error)) (int32, []byte) {
	return transform(in, version, kindArrayMap, false, func(o *output, r *Record, _ []byte) ([]byte, error) {
		kvs, err := fn(r)
		if err == nil {
			for _, kv := range kvs {
				o.buf = appendRecord(o.buf, 0, 0, 0, kv.Key, kv.Value)
				o.count++
			}
		}
		return nil, err
	})
}

func aggregateBytes(in []byte, version int32, fn func([]byte, *Record) ([]byte, error)) (int32, []byte) {
	return transform(in, version, kindAggregate, true, func(o *output, r *Record, acc []byte) ([]byte, error) {
		next, err := fn(acc, r)
		if err != nil {
			return acc, err
		}
		o.buf = appendRecord(o.buf, r.attributes, r.timestampDelta, r.offsetDelta, r.Key, next)
		o.count++
		return next, nil
	})
}

func initBytes(in []byte, version int32, fn func(Params) error) (int32, []byte) {
	r := &reader{b: in}
	n := r.u16()
	params := make(Params, n)
	for range n {
		k := r.str()
		params[k] = r.str()
	}
	if r.err != nil {
		return statusInitDecode, nil
	}
	if err := fn(params); err != nil {
		return statusInitError, appendString(nil, err.Error())
	}
	return 0, nil
}

func lookBackBytes(in []byte, version int32, fn func(*Record) error) (int32, []byte) {
	inp, err := decodeInput(in, version, false)
	if err != nil {
		return statusLookBackInput, nil
	}
	var out []byte
	var rec Record
	it := newRecords(&inp)
	for it.next(&rec) {
		if err := fn(&rec); err != nil {
			out = appendString(nil, err.Error())
			out = appendU64(out, uint64(rec.Offset))
			out = appendOptKey(out, rec.Key)
			out = appendVarBytes(out, rec.Value)
			break
		}
	}
	if it.err != nil {
		return statusLookBackRecords, nil
	}
	if out != nil {
		return statusLookBackError, out
	}
	return 0, nil
}
