package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SC admin API framing shared by Create, Delete, List, Watch and Update
// (spec §2.6, §3; Rust: crates/fluvio-sc-schema/src/objects).

// ErrUnknownLabel means a TypeBuffer carried an object label this package
// does not know, or one the operation does not accept.
var ErrUnknownLabel = errors.New("protocol: unknown object label")

// SCDynObjVersion is the first api_version with the TypeBuffer layout
// (label, u32 length, payload). Every supported client speaks at least it;
// the classic layout below it is not implemented: decoding fails with an
// unsupported-version error and encoding appends nothing.
const SCDynObjVersion int16 = 11

// SCMaxVersion is the highest SC admin version whose layout this package
// knows (COMMON_VERSION at Fluvio HEAD).
const SCMaxVersion int16 = 19

// SCMessageVersions are the versions this package can encode and decode for
// each SC api key (what a server may advertise is SCVersions).
var SCMessageVersions = map[APIKey]VersionRange{
	KeyApiVersions: ApiVersionsVersions,
	KeyCreate:      {SCDynObjVersion, SCMaxVersion},
	KeyDelete:      {SCDynObjVersion, SCMaxVersion},
	KeyList:        {SCDynObjVersion, SCMaxVersion},
	KeyWatch:       {SCDynObjVersion, SCMaxVersion},
	KeyUpdate:      {SCDynObjVersion, SCMaxVersion},
}

// NewSCRequest returns an empty request body for an SC api key.
func NewSCRequest(key APIKey) (Message, bool) {
	switch key {
	case KeyApiVersions:
		return &ApiVersionsRequest{}, true
	case KeyCreate:
		return &CreateRequest{}, true
	case KeyDelete:
		return &DeleteRequest{}, true
	case KeyList:
		return &ListRequest{}, true
	case KeyWatch:
		return &WatchRequest{}, true
	case KeyUpdate:
		return &UpdateRequest{}, true
	}
	return nil, false
}

// NewSCResponse returns an empty response body for an SC api key.
func NewSCResponse(key APIKey) (Message, bool) {
	switch key {
	case KeyApiVersions:
		return &ApiVersionsResponse{}, true
	case KeyCreate, KeyDelete, KeyUpdate:
		return &Status{}, true
	case KeyList:
		return &ListResponse{}, true
	case KeyWatch:
		return &WatchResponse{}, true
	}
	return nil, false
}

// Which labels each operation accepts (spec §3.2).
var (
	scCreatable = map[string]bool{LabelTopic: true, LabelCustomSpu: true, LabelSpuGroup: true, LabelSmartModule: true, LabelTableFormat: true}
	scDeletable = scCreatable
	scUpdatable = scCreatable
	scListable  = map[string]bool{LabelTopic: true, LabelPartition: true, LabelSPU: true, LabelCustomSpu: true, LabelSpuGroup: true, LabelSmartModule: true, LabelTableFormat: true}
)

// scVersionOK fails r when version predates the TypeBuffer layout.
func scVersionOK(r *Reader, key APIKey, version int16) bool {
	if version < SCDynObjVersion {
		r.Fail(ErrUnsupportedVersion(key, version))
		return false
	}
	return true
}

// appendTypeBuffer appends label, a u32 length and the payload enc writes.
func appendTypeBuffer(dst []byte, label string, enc func([]byte) []byte) []byte {
	dst = AppendString(dst, label)
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = enc(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// readTypeBuffer reads a label and its length-prefixed payload, failing r on
// labels not in allowed. It returns a Reader over the payload alone.
func readTypeBuffer(r *Reader, op string, allowed map[string]bool) (string, *Reader) {
	label := r.String()
	n := r.Uint32()
	if r.Err() != nil {
		return "", nil
	}
	if !allowed[label] {
		r.Fail(fmt.Errorf("%w: %w %q for %s", ErrInvalid, ErrUnknownLabel, label, op))
		return "", nil
	}
	if int64(n) > int64(r.Remaining()) {
		r.Fail(fmt.Errorf("%w: %s payload of %d bytes, %d left", ErrTooLarge, label, n, r.Remaining()))
		return "", nil
	}
	return label, NewReader(r.Raw(int(n)))
}

// finishTypeBuffer moves a payload decode error into r with context.
func finishTypeBuffer(r, payload *Reader, op, label string) {
	if payload != nil && payload.Err() != nil {
		r.Fail(fmt.Errorf("decode %s %s: %w", op, label, payload.Err()))
	}
}

// Metadata is one stored object as List and Watch return it: its store key
// (for partitions "<topic>-<partition>"), spec and status. Spec and Status
// hold the types NewObject returns for the carrying label.
type Metadata struct {
	Name   string
	Spec   Message
	Status Message
}

// encode appends the object; nil Spec or Status encode as zero values.
func (m *Metadata) encode(dst []byte, label string, version int16) []byte {
	dst = AppendString(dst, m.Name)
	spec, status := m.Spec, m.Status
	if spec == nil || status == nil {
		zs, zst, _ := NewObject(label)
		if spec == nil {
			spec = zs
		}
		if status == nil {
			status = zst
		}
	}
	if spec != nil {
		dst = spec.Encode(dst, version)
	}
	if status != nil {
		dst = status.Encode(dst, version)
	}
	return dst
}

// decode reads an object of kind label.
func (m *Metadata) decode(r *Reader, label string, version int16) {
	spec, status, _ := NewObject(label)
	m.Name = r.String()
	spec.Decode(r, version)
	status.Decode(r, version)
	m.Spec, m.Status = spec, status
}

// metadataMinSize bounds a Metadata for allocation: a name length and at
// least one byte of spec.
const metadataMinSize = 3

func appendMetadataList(dst []byte, objs []Metadata, label string, version int16) []byte {
	dst = AppendArrayLen(dst, len(objs))
	for i := range objs {
		dst = objs[i].encode(dst, label, version)
	}
	return dst
}

func readMetadataList(r *Reader, label string, version int16) []Metadata {
	n := r.ArrayLen(metadataMinSize)
	if n == 0 {
		return nil
	}
	out := make([]Metadata, n)
	for i := range out {
		out[i].decode(r, label, version)
		if r.Err() != nil {
			return nil
		}
	}
	return out
}

// Status is the response of Create, Delete and Update: the object name and
// an error code, with an optional message the client prints.
type Status struct {
	Name         string
	ErrorCode    ErrorCode
	ErrorMessage *string
}

// NewStatusOK is the success Status for name.
func NewStatusOK(name string) *Status { return &Status{Name: name} }

// NewStatusError is a failed Status for name; msg may be empty.
func NewStatusError(name string, code ErrorCode, msg string) *Status {
	s := &Status{Name: name, ErrorCode: code}
	if msg != "" {
		s.ErrorMessage = &msg
	}
	return s
}

// Encode appends the status (not version-gated).
func (m *Status) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, m.Name)
	dst = m.ErrorCode.Encode(dst)
	return AppendOptString(dst, m.ErrorMessage)
}

// Decode reads the status.
func (m *Status) Decode(r *Reader, version int16) {
	*m = Status{Name: r.String()}
	m.ErrorCode.Decode(r)
	m.ErrorMessage = r.OptString()
}

// Err is nil on success, else an error with the code and message.
func (m *Status) Err() error {
	if m.ErrorCode.IsOK() {
		return nil
	}
	if m.ErrorMessage != nil {
		return fmt.Errorf("%s: %w: %s", m.Name, m.ErrorCode.Err(), *m.ErrorMessage)
	}
	return fmt.Errorf("%s: %w", m.Name, m.ErrorCode.Err())
}
