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
func (m *DeleteRequest) KeyString() string { return objectKeyString(m.Label, m.Key, &m.SpuKey) }

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *DeleteRequest) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		dst = appendObjectKey(dst, m.Label, m.Key, &m.SpuKey, version)
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
	readObjectKey(p, label, &m.Key, &m.SpuKey, version)
	if version >= 13 {
		m.Force = p.Bool()
	}
	finishTypeBuffer(r, p, "delete", label)
}

// Delete and Update name their object the same way: a CustomSpu by its
// CustomSpuKey, every other kind by name.

func objectKeyString(label, key string, spu *CustomSpuKey) string {
	if label == LabelCustomSpu {
		return spu.String()
	}
	return key
}

func appendObjectKey(dst []byte, label, key string, spu *CustomSpuKey, version int16) []byte {
	if label == LabelCustomSpu {
		return spu.Encode(dst, version)
	}
	return AppendString(dst, key)
}

func readObjectKey(p *Reader, label string, key *string, spu *CustomSpuKey, version int16) {
	if label == LabelCustomSpu {
		spu.Decode(p, version)
	} else {
		*key = p.String()
	}
}
