package protocol

// List (api key 1003): TypeBuffer{label, ListRequest<S>} →
// TypeBuffer{label, ListResponse<S>} (spec §3.7; Rust:
// fluvio-sc-schema/src/objects/list.rs).

// ListRequest asks for the objects of one kind.
type ListRequest struct {
	Label string
	// NameFilters match keys by substring; empty means all.
	NameFilters []string
	// Summary asks for SmartModules without their wasm. v10+
	Summary bool
	// System lists system topics instead of user topics. v13+
	System bool
}

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *ListRequest) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		dst = AppendArrayLen(dst, len(m.NameFilters))
		for _, f := range m.NameFilters {
			dst = AppendString(dst, f)
		}
		if version >= 10 {
			dst = AppendBool(dst, m.Summary)
		}
		if version >= 13 {
			dst = AppendBool(dst, m.System)
		}
		return dst
	})
}

// Decode reads the TypeBuffer at version.
func (m *ListRequest) Decode(r *Reader, version int16) {
	*m = ListRequest{}
	if !scVersionOK(r, KeyList, version) {
		return
	}
	label, p := readTypeBuffer(r, "list", scListable)
	if p == nil {
		return
	}
	m.Label = label
	if n := p.ArrayLen(2); n > 0 {
		m.NameFilters = make([]string, n)
		for i := range m.NameFilters {
			m.NameFilters[i] = p.String()
		}
	}
	if version >= 10 {
		m.Summary = p.Bool()
	}
	if version >= 13 {
		m.System = p.Bool()
	}
	finishTypeBuffer(r, p, "list", label)
}

// ListResponse carries the listed objects; Label must equal the request's.
type ListResponse struct {
	Label   string
	Objects []Metadata
}

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *ListResponse) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		return appendMetadataList(dst, m.Objects, m.Label, version)
	})
}

// Decode reads the TypeBuffer at version.
func (m *ListResponse) Decode(r *Reader, version int16) {
	*m = ListResponse{}
	if !scVersionOK(r, KeyList, version) {
		return
	}
	label, p := readTypeBuffer(r, "list response", scListable)
	if p == nil {
		return
	}
	m.Label = label
	m.Objects = readMetadataList(p, label, version)
	finishTypeBuffer(r, p, "list response", label)
}
