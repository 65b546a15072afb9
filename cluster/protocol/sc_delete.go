package protocol

// Delete (api key 1002): TypeBuffer{label, DeleteRequest<S>} → Status
// (spec §3.6; Rust: fluvio-sc-schema/src/objects/delete.rs).

// DeleteRequest asks the SC to delete an object by key.
type DeleteRequest struct {
	Label string
	// Key is the object name, for every label but CustomSpu.
	Key string
	// SpuKey is the key when Label is LabelCustomSpu.
	SpuKey CustomSpuKey
	// Force deletes system objects too. v13+
	Force bool
}

// KeyString is the deleted object's key as text.
func (m *DeleteRequest) KeyString() string {
	if m.Label == LabelCustomSpu {
		return m.SpuKey.String()
	}
	return m.Key
}

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *DeleteRequest) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		if m.Label == LabelCustomSpu {
			dst = m.SpuKey.Encode(dst, version)
		} else {
			dst = AppendString(dst, m.Key)
		}
		if version >= 13 {
			dst = AppendBool(dst, m.Force)
		}
		return dst
	})
}

// Decode reads the TypeBuffer at version; labels that cannot be deleted are
// errors.
func (m *DeleteRequest) Decode(r *Reader, version int16) {
	*m = DeleteRequest{}
	if !scVersionOK(r, KeyDelete, version) {
		return
	}
	label, p := readTypeBuffer(r, "delete", scDeletable)
	if p == nil {
		return
	}
	m.Label = label
	if label == LabelCustomSpu {
		m.SpuKey.Decode(p, version)
	} else {
		m.Key = p.String()
	}
	if version >= 13 {
		m.Force = p.Bool()
	}
	finishTypeBuffer(r, p, "delete", label)
}
