package protocol

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// SmartModule invocation as carried by Produce and StreamFetch requests
// (spec §4.5.2; fluvio-spu-schema server/smartmodule.rs and
// fluvio-smartmodule input.rs).

// Version gates of SmartModule fields (spec §4.5, §8.3).
const (
	SMLookbackVersion    int16 = 20 // SmartModuleExtraParams.lookback
	SMLookbackAgeVersion int16 = 21 // Lookback.age
	SMNameVersion        int16 = 25 // SmartModuleInvocation.name (HEAD)
)

// InvocationWasmType says where the module comes from.
type InvocationWasmType uint8

// SmartModuleInvocationWasm tags.
const (
	// WasmPredefined names a SmartModule registered on the SC.
	WasmPredefined InvocationWasmType = 0
	// WasmAdHoc carries the gzipped .wasm in the request.
	WasmAdHoc InvocationWasmType = 1
)

// SmartModuleInvocationWasm is Predefined(name) or
// AdHoc(gzipped wasm bytes).
type SmartModuleInvocationWasm struct {
	Type InvocationWasmType
	// Name of a Predefined module.
	Name string
	// AdHoc holds the module bytes, normally a gzip stream of the .wasm (the
	// SPU gunzips; see spec §4.5.2). Decoded bytes alias the input.
	AdHoc []byte
}

// PredefinedWasm refers to the SmartModule registered under name.
func PredefinedWasm(name string) SmartModuleInvocationWasm {
	return SmartModuleInvocationWasm{Type: WasmPredefined, Name: name}
}

// AdHocWasm carries module bytes (gzip) in the request.
func AdHocWasm(gzipped []byte) SmartModuleInvocationWasm {
	return SmartModuleInvocationWasm{Type: WasmAdHoc, AdHoc: gzipped}
}

// Encode appends the tag and the name or bytes.
func (w *SmartModuleInvocationWasm) Encode(dst []byte) []byte {
	dst = AppendUint8(dst, uint8(w.Type))
	if w.Type == WasmAdHoc {
		return AppendBytes(dst, w.AdHoc)
	}
	return AppendString(dst, w.Name)
}

// Decode reads the tag and its payload; an unknown tag is an error.
func (w *SmartModuleInvocationWasm) Decode(r *Reader) {
	*w = SmartModuleInvocationWasm{Type: InvocationWasmType(r.Uint8())}
	switch w.Type {
	case WasmPredefined:
		w.Name = r.String()
	case WasmAdHoc:
		w.AdHoc = r.Bytes()
	default:
		r.Failf("unknown SmartModuleInvocationWasm type %d", w.Type)
	}
}

// SmartModuleKindType is the request-side SmartModuleKind tag. It differs
// from the error-side numbering (SmartModuleKindError).
type SmartModuleKindType uint8

// Request-side SmartModuleKind tags.
const (
	SMKindFilter     SmartModuleKindType = 0
	SMKindMap        SmartModuleKindType = 1
	SMKindArrayMap   SmartModuleKindType = 2
	SMKindAggregate  SmartModuleKindType = 3 // {accumulator Vec<u8>}
	SMKindFilterMap  SmartModuleKindType = 4
	SMKindJoin       SmartModuleKindType = 5 // (topic String)
	SMKindJoinStream SmartModuleKindType = 6 // {topic String, derivedstream String}
	SMKindGeneric    SmartModuleKindType = 7 // (SmartModuleContextData)
)

func (k SmartModuleKindType) String() string {
	names := [...]string{"filter", "map", "array_map", "aggregate", "filter_map", "join", "join_stream", "smartmodule"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// SmartModuleContextType is the SmartModuleContextData tag of a Generic
// kind.
type SmartModuleContextType uint8

// SmartModuleContextData tags.
const (
	SMContextNone       SmartModuleContextType = 0
	SMContextAggregate  SmartModuleContextType = 1 // {accumulator Vec<u8>}
	SMContextJoin       SmartModuleContextType = 2 // (topic String)
	SMContextJoinStream SmartModuleContextType = 3 // {topic String, derivedstream String}
)

// SmartModuleKind is the request-side SmartModuleKind enum, flattened: Type
// selects the variant and only the fields that variant carries are encoded.
type SmartModuleKind struct {
	Type SmartModuleKindType
	// Context is the SmartModuleContextData variant of a Generic kind.
	Context SmartModuleContextType
	// Accumulator is the initial accumulator of Aggregate and
	// Generic(Aggregate). Decoded bytes alias the input.
	Accumulator []byte
	// Topic is the joined topic of Join, JoinStream and their Generic forms.
	Topic string
	// DerivedStream is the derived stream of JoinStream and
	// Generic(JoinStream).
	DerivedStream string
}

// Encode appends the tag and the variant's fields.
func (k *SmartModuleKind) Encode(dst []byte) []byte {
	dst = AppendUint8(dst, uint8(k.Type))
	switch k.Type {
	case SMKindAggregate:
		dst = AppendBytes(dst, k.Accumulator)
	case SMKindJoin:
		dst = AppendString(dst, k.Topic)
	case SMKindJoinStream:
		dst = AppendString(dst, k.Topic)
		dst = AppendString(dst, k.DerivedStream)
	case SMKindGeneric:
		dst = AppendUint8(dst, uint8(k.Context))
		switch k.Context {
		case SMContextAggregate:
			dst = AppendBytes(dst, k.Accumulator)
		case SMContextJoin:
			dst = AppendString(dst, k.Topic)
		case SMContextJoinStream:
			dst = AppendString(dst, k.Topic)
			dst = AppendString(dst, k.DerivedStream)
		}
	}
	return dst
}

// Decode reads the tag and the variant's fields; unknown tags are errors.
func (k *SmartModuleKind) Decode(r *Reader) {
	*k = SmartModuleKind{Type: SmartModuleKindType(r.Uint8())}
	switch k.Type {
	case SMKindFilter, SMKindMap, SMKindArrayMap, SMKindFilterMap:
	case SMKindAggregate:
		k.Accumulator = r.Bytes()
	case SMKindJoin:
		k.Topic = r.String()
	case SMKindJoinStream:
		k.Topic = r.String()
		k.DerivedStream = r.String()
	case SMKindGeneric:
		k.Context = SmartModuleContextType(r.Uint8())
		switch k.Context {
		case SMContextNone:
		case SMContextAggregate:
			k.Accumulator = r.Bytes()
		case SMContextJoin:
			k.Topic = r.String()
		case SMContextJoinStream:
			k.Topic = r.String()
			k.DerivedStream = r.String()
		default:
			r.Failf("unknown SmartModuleContextData type %d", k.Context)
		}
	default:
		r.Failf("unknown SmartModuleKind type %d", k.Type)
	}
}

// Lookback asks the SPU to feed the module past records before the stream
// starts (v20+).
type Lookback struct {
	// Last is how many records back to start.
	Last uint64
	// Age limits the lookback to records younger than this (v21+). On the
	// wire it is a Duration: u64 seconds + u32 nanoseconds.
	Age *time.Duration // v21+
}

// SmartModuleExtraParams are the user parameters given to a module.
type SmartModuleExtraParams struct {
	// Params is a BTreeMap<String,String>; it is encoded in ascending key
	// order. Decoding an empty map leaves it nil.
	Params map[string]string
	// Lookback is encoded from v20.
	Lookback *Lookback // v20+
}

// Encode appends the params at version.
func (p *SmartModuleExtraParams) Encode(dst []byte, version int16) []byte {
	dst = AppendMapLen(dst, len(p.Params))
	keys := make([]string, 0, len(p.Params))
	for k := range p.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = AppendString(dst, k)
		dst = AppendString(dst, p.Params[k])
	}
	if version >= SMLookbackVersion {
		if p.Lookback == nil {
			dst = append(dst, 0)
		} else {
			dst = append(dst, 1)
			dst = AppendUint64(dst, p.Lookback.Last)
			if version >= SMLookbackAgeVersion {
				dst = appendOptDuration(dst, p.Lookback.Age)
			}
		}
	}
	return dst
}

// Decode reads the params at version.
func (p *SmartModuleExtraParams) Decode(r *Reader, version int16) {
	*p = SmartModuleExtraParams{}
	if n := r.MapLen(4); n > 0 {
		p.Params = make(map[string]string, n)
		for range n {
			k := r.String()
			p.Params[k] = r.String()
		}
	}
	if version >= SMLookbackVersion && r.Bool() {
		lb := &Lookback{Last: r.Uint64()}
		if version >= SMLookbackAgeVersion {
			lb.Age = readOptDuration(r)
		}
		p.Lookback = lb
	}
	if r.Err() != nil {
		*p = SmartModuleExtraParams{}
	}
}

const maxDurationSecs = math.MaxInt64 / int64(time.Second)

// appendOptDuration appends Option<Duration>. Negative durations encode as
// zero (Rust durations are unsigned).
func appendOptDuration(dst []byte, d *time.Duration) []byte {
	if d == nil {
		return append(dst, 0)
	}
	v := max(*d, 0)
	dst = append(dst, 1)
	dst = AppendUint64(dst, uint64(v/time.Second))
	return AppendUint32(dst, uint32(v%time.Second))
}

// readOptDuration reads Option<Duration>; durations beyond what
// time.Duration holds, or with 1e9 or more nanoseconds, are invalid.
func readOptDuration(r *Reader) *time.Duration {
	if !r.Bool() {
		return nil
	}
	secs, nanos := r.Uint64(), r.Uint32()
	if r.Err() != nil {
		return nil
	}
	if nanos >= uint32(time.Second) || secs > uint64(maxDurationSecs) ||
		(secs == uint64(maxDurationSecs) && int64(nanos) > math.MaxInt64%int64(time.Second)) {
		r.Failf("duration %ds %dns out of range", secs, nanos)
		return nil
	}
	d := time.Duration(secs)*time.Second + time.Duration(nanos)
	return &d
}

// SmartModuleInvocation is one SmartModule of a chain: which module, how it
// is invoked and with which parameters.
type SmartModuleInvocation struct {
	Wasm   SmartModuleInvocationWasm
	Kind   SmartModuleKind
	Params SmartModuleExtraParams
	// Name is the module's display name, sent by HEAD clients (v25+).
	Name *string // v25+
}

// Encode appends the invocation at version.
func (s *SmartModuleInvocation) Encode(dst []byte, version int16) []byte {
	dst = s.Wasm.Encode(dst)
	dst = s.Kind.Encode(dst)
	dst = s.Params.Encode(dst, version)
	if version >= SMNameVersion {
		dst = AppendOptString(dst, s.Name)
	}
	return dst
}

// Decode reads the invocation at version.
func (s *SmartModuleInvocation) Decode(r *Reader, version int16) {
	*s = SmartModuleInvocation{}
	s.Wasm.Decode(r)
	s.Kind.Decode(r)
	s.Params.Decode(r, version)
	if version >= SMNameVersion {
		s.Name = r.OptString()
	}
}

// smartModuleInvocationMinSize is the smallest encoding of an invocation
// (wasm tag + empty name, kind tag, empty map), for bounding counts.
const smartModuleInvocationMinSize = 6

func appendSmartModules(dst []byte, sms []SmartModuleInvocation, version int16) []byte {
	dst = AppendArrayLen(dst, len(sms))
	for i := range sms {
		dst = sms[i].Encode(dst, version)
	}
	return dst
}

func readSmartModules(r *Reader, version int16) []SmartModuleInvocation {
	n := r.ArrayLen(smartModuleInvocationMinSize)
	if n == 0 {
		return nil
	}
	sms := make([]SmartModuleInvocation, n)
	for i := range sms {
		sms[i].Decode(r, version)
		if r.Err() != nil {
			return nil
		}
	}
	return sms
}
