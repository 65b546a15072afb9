package protocol

// Watch (api key 1004): TypeBuffer{label, WatchRequest<S>} → a stream of
// TypeBuffer{label, WatchResponse<S>} on the request's correlation id
// (spec §3.4; Rust: fluvio-sc-schema/src/objects/watch.rs).

// WatchRequest subscribes to the objects of one kind.
type WatchRequest struct {
	Label string
	// Epoch is always 0 from clients; the real SC ignores it.
	Epoch int64
	// Summary strips SmartModule wasm. v10+
	Summary bool
}

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *WatchRequest) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		dst = AppendInt64(dst, m.Epoch)
		if version >= 10 {
			dst = AppendBool(dst, m.Summary)
		}
		return dst
	})
}

// Decode reads the TypeBuffer at version.
func (m *WatchRequest) Decode(r *Reader, version int16) {
	*m = WatchRequest{}
	if !scVersionOK(r, KeyWatch, version) {
		return
	}
	label, p := readTypeBuffer(r, "watch", scListable)
	if p == nil {
		return
	}
	m.Label = label
	m.Epoch = p.Int64()
	if version >= 10 {
		m.Summary = p.Bool()
	}
	finishTypeBuffer(r, p, "watch", label)
}

// MsgType says whether a watch change upserts or removes an object.
type MsgType uint8

// MsgType values.
const (
	MsgUpdate MsgType = 0
	MsgDelete MsgType = 1
)

// MetadataChange is one incremental watch change. A delete carries the last
// known object; clients use only its name.
type MetadataChange struct {
	Op     MsgType
	Object Metadata
}

// WatchResponse is one frame of a watch stream: the first is a full sync
// (All holds every object, Changes is empty), later ones carry Changes only.
// Clients ignore frames where both are empty.
type WatchResponse struct {
	Label   string
	Epoch   int64
	Changes []MetadataChange
	All     []Metadata
}

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *WatchResponse) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		dst = AppendInt64(dst, m.Epoch)
		dst = AppendArrayLen(dst, len(m.Changes))
		for i := range m.Changes {
			dst = AppendUint8(dst, uint8(m.Changes[i].Op))
			dst = m.Changes[i].Object.encode(dst, m.Label, version)
		}
		return appendMetadataList(dst, m.All, m.Label, version)
	})
}

// Decode reads the TypeBuffer at version.
func (m *WatchResponse) Decode(r *Reader, version int16) {
	*m = WatchResponse{}
	if !scVersionOK(r, KeyWatch, version) {
		return
	}
	label, p := readTypeBuffer(r, "watch response", scListable)
	if p == nil {
		return
	}
	m.Label = label
	m.Epoch = p.Int64()
	if n := p.ArrayLen(1 + metadataMinSize); n > 0 {
		m.Changes = make([]MetadataChange, n)
		for i := range m.Changes {
			m.Changes[i].Op = MsgType(scTag(p, "MsgType", uint8(MsgDelete)))
			m.Changes[i].Object.decode(p, label, version)
			if p.Err() != nil {
				m.Changes = nil
				break
			}
		}
	}
	m.All = readMetadataList(p, label, version)
	finishTypeBuffer(r, p, "watch response", label)
}
