package protocol

// Update (api key 1006): TypeBuffer{label, UpdateRequest<S>} → Status
// (spec §3.8; Rust: fluvio-sc-schema/src/objects/update.rs,
// fluvio-controlplane-metadata/src/topic/update.rs).

// UpdateTopicActionKind is the UpdateTopicAction tag.
type UpdateTopicActionKind uint8

// UpdateTopicAction variants.
const (
	UpdateAddPartition UpdateTopicActionKind = 0
	UpdateAddMirror    UpdateTopicActionKind = 1
)

// UpdateTopicAction changes a topic: add partitions or add a mirror.
type UpdateTopicAction struct {
	Kind UpdateTopicActionKind
	// Count of partitions to add (AddPartition).
	Count uint32
	// RemoteCluster to mirror to (AddMirror).
	RemoteCluster string
	// HomeToMirror (AddMirror) exists only at Fluvio HEAD, without a version
	// gate. See Encode and Decode.
	HomeToMirror bool
}

// Encode appends the tag and variant.
//
// Why write HomeToMirror only from v17? HEAD added the field without a
// version gate, so no version is right for both: v0.11.11 (max 16) cannot
// read it and HEAD always expects it. Writing it above 16 keeps every
// v0.11.11 exchange exact; Decode accepts both shapes.
func (m *UpdateTopicAction) Encode(dst []byte, version int16) []byte {
	dst = AppendUint8(dst, uint8(m.Kind))
	if m.Kind == UpdateAddPartition {
		return AppendUint32(dst, m.Count)
	}
	dst = AppendString(dst, m.RemoteCluster)
	if version > SCCommonVersion {
		dst = AppendBool(dst, m.HomeToMirror)
	}
	return dst
}

// Decode reads the tag and variant. r must end with the action (it does
// inside an UpdateRequest payload): one byte left after RemoteCluster is
// HEAD's HomeToMirror.
func (m *UpdateTopicAction) Decode(r *Reader, version int16) {
	*m = UpdateTopicAction{Kind: UpdateTopicActionKind(scTag(r, "UpdateTopicAction", uint8(UpdateAddMirror)))}
	if r.Err() != nil {
		return
	}
	if m.Kind == UpdateAddPartition {
		m.Count = r.Uint32()
		return
	}
	m.RemoteCluster = r.String()
	if version > SCCommonVersion || r.Remaining() == 1 {
		m.HomeToMirror = r.Bool()
	}
}

// UpdateRequest changes an existing object. Topic updates carry
// TopicAction; other kinds carry a String Action.
type UpdateRequest struct {
	Label string
	// Key is the object name, for every label but CustomSpu.
	Key string
	// SpuKey is the key when Label is LabelCustomSpu.
	SpuKey CustomSpuKey
	// TopicAction is the action when Label is LabelTopic.
	TopicAction UpdateTopicAction
	// Action is the action for the other labels.
	Action string
}

// KeyString is the updated object's key as text.
func (m *UpdateRequest) KeyString() string { return objectKeyString(m.Label, m.Key, &m.SpuKey) }

// Encode appends the TypeBuffer at version (nothing below v11).
func (m *UpdateRequest) Encode(dst []byte, version int16) []byte {
	if version < SCDynObjVersion {
		return dst
	}
	return appendTypeBuffer(dst, m.Label, func(dst []byte) []byte {
		dst = appendObjectKey(dst, m.Label, m.Key, &m.SpuKey, version)
		if m.Label == LabelTopic {
			return m.TopicAction.Encode(dst, version)
		}
		return AppendString(dst, m.Action)
	})
}

// Decode reads the TypeBuffer at version; labels that cannot be updated are
// errors.
func (m *UpdateRequest) Decode(r *Reader, version int16) {
	*m = UpdateRequest{}
	if !scVersionOK(r, KeyUpdate, version) {
		return
	}
	label, p := readTypeBuffer(r, "update", scUpdatable)
	if p == nil {
		return
	}
	m.Label = label
	readObjectKey(p, label, &m.Key, &m.SpuKey, version)
	if label == LabelTopic {
		m.TopicAction.Decode(p, version)
	} else {
		m.Action = p.String()
	}
	finishTypeBuffer(r, p, "update", label)
}
