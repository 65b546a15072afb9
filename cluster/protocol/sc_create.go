package protocol

// Create (api key 1001): TypeBuffer{label, CreateRequest<S>} → Status
// (spec §3.5; Rust: fluvio-sc-schema/src/objects/create.rs).

// CreateRequest asks the SC to create an object. Spec holds the type
// NewObject returns for Label (e.g. *TopicSpec for LabelTopic).
type CreateRequest struct {
	Label   string
	Name    string
	DryRun  bool
	Timeout *uint32 // v7+, milliseconds; clients send nil
	Spec    Message
}

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *CreateRequest) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		dst = AppendString(dst, m.Name)
		dst = AppendBool(dst, m.DryRun)
		if version >= 7 {
			dst = scAppendOpt(dst, m.Timeout, AppendUint32)
		}
		spec := m.Spec
		if spec == nil {
			spec, _, _ = NewObject(m.Label)
		}
		if spec != nil {
			dst = spec.Encode(dst, version)
		}
		return dst
	})
}

// Decode reads the TypeBuffer at version; labels that cannot be created
// (Partition, SPU, unknown ones) are errors.
func (m *CreateRequest) Decode(r *Reader, version int16) {
	*m = CreateRequest{}
	if !scVersionOK(r, KeyCreate, version) {
		return
	}
	label, p := readTypeBuffer(r, "create", scCreatable)
	if p == nil {
		return
	}
	m.Label = label
	m.Name = p.String()
	m.DryRun = p.Bool()
	if version >= 7 {
		m.Timeout = scReadOpt(p, p.Uint32)
	}
	m.Spec, _, _ = NewObject(label)
	m.Spec.Decode(p, version)
	finishTypeBuffer(r, p, "create", label)
}
