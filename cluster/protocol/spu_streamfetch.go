package protocol

// StreamFetch (api key 1003 on the SPU), spec §4.5;
// fluvio-spu-schema server/stream_fetch.rs. One request opens a stream; the
// SPU answers with any number of StreamFetchResponse frames carrying the
// request's correlation id, paced by UpdateOffsets.

// StreamFetch version constants (spec §4.5).
const (
	StreamFetchWasmModuleVersion       int16 = 11 // legacy wasm_module, 11..=18
	StreamFetchSmartModuleVersion      int16 = 16 // legacy smartmodule and derivedstream, 16..=18
	StreamFetchGenericVersion          int16 = 17
	StreamFetchChainVersion            int16 = 18 // smartmodules chain; last version with legacy fields
	StreamFetchLookbackVersion         int16 = 20
	StreamFetchLookbackAgeVersion      int16 = 21
	StreamFetchTimestampVersion        int16 = 22
	StreamFetchOffsetManagementVersion int16 = 23 // consumer_id
)

// DefaultStreamFetchMaxBytes is the client's default max_bytes.
const DefaultStreamFetchMaxBytes = 1048890

// StreamFetchRequest opens a stream of records from one partition.
type StreamFetchRequest struct {
	Topic       string
	Partition   uint32
	FetchOffset int64
	// MaxBytes bounds one response's records (with SmartModules: the
	// transformed output).
	MaxBytes  int32
	Isolation Isolation
	// WasmModule is the legacy module field (v11..=18, sent empty).
	WasmModule []byte // v11..=18
	// SmartModule is the legacy single module (v16..=18).
	SmartModule *SmartModuleInvocation // v16..=18
	// DerivedStream is the legacy derived stream (v16..=18).
	DerivedStream *DerivedStreamInvocation // v16..=18
	// SmartModules is the chain applied in order (v18+).
	SmartModules []SmartModuleInvocation // v18+
	// ConsumerID names the consumer for offset management (v23+).
	ConsumerID *string // v23+
}

// DerivedStreamInvocation is the legacy derivedstream field.
type DerivedStreamInvocation struct {
	Stream string
	Params SmartModuleExtraParams
}

func inLegacyRange(version, lo int16) bool {
	return version >= lo && version <= StreamFetchChainVersion
}

// Encode appends the request body at version.
func (s *StreamFetchRequest) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, s.Topic)
	dst = AppendUint32(dst, s.Partition)
	dst = AppendInt64(dst, s.FetchOffset)
	dst = AppendInt32(dst, s.MaxBytes)
	dst = AppendUint8(dst, uint8(s.Isolation))
	if inLegacyRange(version, StreamFetchWasmModuleVersion) {
		dst = AppendBytes(dst, s.WasmModule)
	}
	if inLegacyRange(version, StreamFetchSmartModuleVersion) {
		if s.SmartModule == nil {
			dst = append(dst, 0)
		} else {
			dst = s.SmartModule.Encode(append(dst, 1), version)
		}
		if s.DerivedStream == nil {
			dst = append(dst, 0)
		} else {
			dst = AppendString(append(dst, 1), s.DerivedStream.Stream)
			dst = s.DerivedStream.Params.Encode(dst, version)
		}
	}
	if version >= StreamFetchChainVersion {
		dst = appendSmartModules(dst, s.SmartModules, version)
	}
	if version >= StreamFetchOffsetManagementVersion {
		dst = AppendOptString(dst, s.ConsumerID)
	}
	return dst
}

// Decode reads the request body at version. Byte fields alias r's buffer.
func (s *StreamFetchRequest) Decode(r *Reader, version int16) {
	*s = StreamFetchRequest{}
	s.Topic = r.String()
	s.Partition = r.Uint32()
	s.FetchOffset = r.Int64()
	s.MaxBytes = r.Int32()
	s.Isolation = readIsolation(r)
	if inLegacyRange(version, StreamFetchWasmModuleVersion) {
		s.WasmModule = r.Bytes()
	}
	if inLegacyRange(version, StreamFetchSmartModuleVersion) {
		if r.Bool() {
			s.SmartModule = &SmartModuleInvocation{}
			s.SmartModule.Decode(r, version)
		}
		if r.Bool() {
			ds := &DerivedStreamInvocation{Stream: r.String()}
			ds.Params.Decode(r, version)
			s.DerivedStream = ds
		}
	}
	if version >= StreamFetchChainVersion {
		s.SmartModules = readSmartModules(r, version)
	}
	if version >= StreamFetchOffsetManagementVersion {
		s.ConsumerID = r.OptString()
	}
}

// StreamFetchResponse is one frame of a stream.
type StreamFetchResponse struct {
	Topic string
	// StreamID is the per-connection stream counter starting at 1 (0 in a
	// "not leader" reply); UpdateOffsets refers to it as session_id.
	StreamID  uint32
	Partition FetchablePartitionResponse
}

// Encode appends the response body at version.
func (s *StreamFetchResponse) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, s.Topic)
	dst = AppendUint32(dst, s.StreamID)
	return s.Partition.Encode(dst, version)
}

// Decode reads the response body at version. Record bytes alias r's buffer.
func (s *StreamFetchResponse) Decode(r *Reader, version int16) {
	*s = StreamFetchResponse{}
	s.Topic = r.String()
	s.StreamID = r.Uint32()
	s.Partition.Decode(r, version)
}
