package controlplane

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Version is the control-plane message version this release speaks.
const Version int16 = 0

// Control-plane API keys (private range, never sent by public clients).
const (
	KeyRegister            protocol.APIKey = 3000
	KeyRegisterResponse    protocol.APIKey = 3001
	KeyUpdateSpus          protocol.APIKey = 3002
	KeyUpdateReplicas      protocol.APIKey = 3003
	KeyUpdateSmartModules  protocol.APIKey = 3004
	KeyReplicaStatusReport protocol.APIKey = 3005
)

// ErrUnknownKey is returned by Decode for an api key outside the control plane.
var ErrUnknownKey = errors.New("controlplane: unknown api key")

// Message is one control-plane message body.
type Message interface {
	protocol.Message
	// APIKey is the key the message travels under.
	APIKey() protocol.APIKey
}

// newMessage returns an empty message for key, or nil.
func newMessage(key protocol.APIKey) Message {
	switch key {
	case KeyRegister:
		return &Register{}
	case KeyRegisterResponse:
		return &RegisterResponse{}
	case KeyUpdateSpus:
		return &UpdateSpus{}
	case KeyUpdateReplicas:
		return &UpdateReplicas{}
	case KeyUpdateSmartModules:
		return &UpdateSmartModules{}
	case KeyReplicaStatusReport:
		return &ReplicaStatusReport{}
	}
	return nil
}

// Decode decodes one frame payload (header then body, without the length
// prefix). Byte slices in the result (wasm) are copies, not aliases of frame.
func Decode(frame []byte) (protocol.RequestHeader, Message, error) {
	var h protocol.RequestHeader
	r := protocol.NewReader(frame)
	h.Decode(r)
	if err := r.Err(); err != nil {
		return h, nil, fmt.Errorf("controlplane: decode header: %w", err)
	}
	m := newMessage(h.APIKey)
	if m == nil {
		return h, nil, fmt.Errorf("%w %d", ErrUnknownKey, h.APIKey)
	}
	if h.APIVersion < 0 || h.APIVersion > Version {
		return h, nil, fmt.Errorf("controlplane: %w", protocol.ErrUnsupportedVersion(h.APIKey, h.APIVersion))
	}
	m.Decode(r, h.APIVersion)
	if err := r.Err(); err != nil {
		return h, nil, fmt.Errorf("controlplane: decode key %d: %w", h.APIKey, err)
	}
	return h, m, nil
}

// Endpoint is a host and TCP port.
type Endpoint struct {
	Host string
	Port uint16
}

// String is host:port.
func (e Endpoint) String() string { return e.Host + ":" + strconv.Itoa(int(e.Port)) }

func (e *Endpoint) encode(dst []byte) []byte {
	dst = protocol.AppendString(dst, e.Host)
	return protocol.AppendUint16(dst, e.Port)
}

func (e *Endpoint) decode(r *protocol.Reader) {
	e.Host = r.String()
	e.Port = r.Uint16()
}

// Register is the first frame an SPU sends after dialing the SC.
type Register struct {
	// SpuID is the SPU's id (-i), e.g. 5001.
	SpuID int32
	// Public is where clients reach the SPU (advertised as the SPU object's
	// public_endpoint ingress hostname and port).
	Public Endpoint
	// Private is where follower SPUs reach it.
	Private Endpoint
	// Rack is the optional rack label used by replica assignment.
	Rack *string
	// BuildVersion is the SPU's build version, for logs.
	BuildVersion string
}

// APIKey implements Message.
func (*Register) APIKey() protocol.APIKey { return KeyRegister }

// Encode implements protocol.Message.
func (m *Register) Encode(dst []byte, _ int16) []byte {
	dst = protocol.AppendInt32(dst, m.SpuID)
	dst = m.Public.encode(dst)
	dst = m.Private.encode(dst)
	dst = protocol.AppendOptString(dst, m.Rack)
	return protocol.AppendString(dst, m.BuildVersion)
}

// Decode implements protocol.Message.
func (m *Register) Decode(r *protocol.Reader, _ int16) {
	m.SpuID = r.Int32()
	m.Public.decode(r)
	m.Private.decode(r)
	m.Rack = r.OptString()
	m.BuildVersion = r.String()
}

// RegisterResponse answers Register on the same correlation id.
type RegisterResponse struct {
	// Error is None on success.
	Error protocol.ErrorCode
	// Message explains a failure to a person.
	Message string
}

// APIKey implements Message.
func (*RegisterResponse) APIKey() protocol.APIKey { return KeyRegisterResponse }

// Encode implements protocol.Message.
func (m *RegisterResponse) Encode(dst []byte, _ int16) []byte {
	dst = m.Error.Encode(dst)
	return protocol.AppendString(dst, m.Message)
}

// Decode implements protocol.Message.
func (m *RegisterResponse) Decode(r *protocol.Reader, _ int16) {
	m.Error.Decode(r)
	m.Message = r.String()
}

// SpuInfo is one SPU as the SC knows it.
type SpuInfo struct {
	ID      int32
	Public  Endpoint
	Private Endpoint
	Rack    *string
	Online  bool
}

// minSpuInfo is the smallest encoding of a SpuInfo.
const minSpuInfo = 4 + 4 + 4 + 1 + 1

func (s *SpuInfo) encode(dst []byte) []byte {
	dst = protocol.AppendInt32(dst, s.ID)
	dst = s.Public.encode(dst)
	dst = s.Private.encode(dst)
	dst = protocol.AppendOptString(dst, s.Rack)
	return protocol.AppendBool(dst, s.Online)
}

func (s *SpuInfo) decode(r *protocol.Reader) {
	s.ID = r.Int32()
	s.Public.decode(r)
	s.Private.decode(r)
	s.Rack = r.OptString()
	s.Online = r.Bool()
}

// UpdateSpus pushes the SPU set (Full) or changes to it.
type UpdateSpus struct {
	Epoch   int64
	Full    bool
	Spus    []SpuInfo
	Removed []int32
}

// APIKey implements Message.
func (*UpdateSpus) APIKey() protocol.APIKey { return KeyUpdateSpus }

// Encode implements protocol.Message.
func (m *UpdateSpus) Encode(dst []byte, _ int16) []byte {
	dst = protocol.AppendInt64(dst, m.Epoch)
	dst = protocol.AppendBool(dst, m.Full)
	dst = appendList(dst, m.Spus, (*SpuInfo).encode)
	return appendList(dst, m.Removed, encInt32)
}

// Decode implements protocol.Message.
func (m *UpdateSpus) Decode(r *protocol.Reader, _ int16) {
	m.Epoch = r.Int64()
	m.Full = r.Bool()
	m.Spus = readList(r, minSpuInfo, (*SpuInfo).decode)
	m.Removed = readList(r, 4, decInt32)
}

// ReplicaKey names a partition replica.
type ReplicaKey struct {
	Topic     string
	Partition uint32
}

// String is "<topic>-<partition>", the Partition object name.
func (k ReplicaKey) String() string {
	return k.Topic + "-" + strconv.FormatUint(uint64(k.Partition), 10)
}

const minReplicaKey = 2 + 4

func (k *ReplicaKey) encode(dst []byte) []byte {
	dst = protocol.AppendString(dst, k.Topic)
	return protocol.AppendUint32(dst, k.Partition)
}

func (k *ReplicaKey) decode(r *protocol.Reader) {
	k.Topic = r.String()
	k.Partition = r.Uint32()
}

// Fluvio's topic defaults, filled in by the SC when a topic leaves them unset.
const (
	DefaultRetentionSeconds uint32 = 7 * 24 * 3600
	DefaultSegmentSize      uint32 = 1 << 30
	DefaultMaxPartitionSize uint64 = 100 << 30
)

// ReplicaConfig is the topic configuration a replica needs.
type ReplicaConfig struct {
	// Compression is the topic's compression setting (Any = keep what the
	// producer sent).
	Compression protocol.CompressionAlgorithm
	// RetentionSeconds: segments older than this are removed.
	RetentionSeconds uint32
	// SegmentSize: roll the active segment past this many bytes.
	SegmentSize uint32
	// MaxPartitionSize: remove the oldest segments past this size.
	MaxPartitionSize uint64
	// System marks internal topics (consumer-offset).
	System bool
}

func (c *ReplicaConfig) encode(dst []byte) []byte {
	dst = protocol.AppendUint8(dst, uint8(c.Compression))
	dst = protocol.AppendUint32(dst, c.RetentionSeconds)
	dst = protocol.AppendUint32(dst, c.SegmentSize)
	dst = protocol.AppendUint64(dst, c.MaxPartitionSize)
	return protocol.AppendBool(dst, c.System)
}

func (c *ReplicaConfig) decode(r *protocol.Reader) {
	c.Compression = protocol.CompressionAlgorithm(r.Uint8())
	if c.Compression > protocol.TopicCompressionZstd {
		r.Failf("unknown compression %d", c.Compression)
	}
	c.RetentionSeconds = r.Uint32()
	c.SegmentSize = r.Uint32()
	c.MaxPartitionSize = r.Uint64()
	c.System = r.Bool()
}

// Replica is one partition replica hosted by the receiving SPU.
type Replica struct {
	ReplicaKey
	// Leader is the SPU id of the leader; the receiver leads when it equals
	// its own id, otherwise it follows.
	Leader int32
	// Replicas lists every SPU holding the partition, leader first.
	Replicas []int32
	Config   ReplicaConfig
}

const minReplica = minReplicaKey + 4 + 4 + 1 + 4 + 4 + 8 + 1

func (p *Replica) encode(dst []byte) []byte {
	dst = p.ReplicaKey.encode(dst)
	dst = protocol.AppendInt32(dst, p.Leader)
	dst = appendList(dst, p.Replicas, encInt32)
	return p.Config.encode(dst)
}

func (p *Replica) decode(r *protocol.Reader) {
	p.ReplicaKey.decode(r)
	p.Leader = r.Int32()
	p.Replicas = readList(r, 4, decInt32)
	p.Config.decode(r)
}

// IsLeader reports whether spu leads this replica.
func (p *Replica) IsLeader(spu int32) bool { return p.Leader == spu }

// UpdateReplicas pushes the replicas the receiving SPU hosts.
type UpdateReplicas struct {
	Epoch    int64
	Full     bool
	Replicas []Replica
	// Removed replicas: stop serving and delete their data.
	Removed []ReplicaKey
}

// APIKey implements Message.
func (*UpdateReplicas) APIKey() protocol.APIKey { return KeyUpdateReplicas }

// Encode implements protocol.Message.
func (m *UpdateReplicas) Encode(dst []byte, _ int16) []byte {
	dst = protocol.AppendInt64(dst, m.Epoch)
	dst = protocol.AppendBool(dst, m.Full)
	dst = appendList(dst, m.Replicas, (*Replica).encode)
	return appendList(dst, m.Removed, (*ReplicaKey).encode)
}

// Decode implements protocol.Message.
func (m *UpdateReplicas) Decode(r *protocol.Reader, _ int16) {
	m.Epoch = r.Int64()
	m.Full = r.Bool()
	m.Replicas = readList(r, minReplica, (*Replica).decode)
	m.Removed = readList(r, minReplicaKey, (*ReplicaKey).decode)
}

// SmartModulePackage is the package metadata of a SmartModule published
// from a package (name, group, semver version, SmartModule api version).
type SmartModulePackage struct {
	Name       string
	Group      string
	Version    string
	APIVersion string
}

// SmartModuleParam is one declared parameter.
type SmartModuleParam struct {
	Name        string
	Description *string
	Optional    bool
}

// WasmFormat tells how SmartModule.Wasm is encoded before gzip.
type WasmFormat uint8

// Wasm formats (SmartModuleWasmFormat).
const (
	WasmBinary WasmFormat = 0
	WasmText   WasmFormat = 1
)

// SmartModule is one SmartModule object.
type SmartModule struct {
	// Name is the SC store key (for package SmartModules the CLI uses
	// "name-group-version").
	Name string
	// Package is set for SmartModules created from a package.
	Package *SmartModulePackage
	Params  []SmartModuleParam
	Format  WasmFormat
	// Wasm is the gzip-compressed module, as stored.
	Wasm []byte
}

const minSmartModule = 2 + 1 + 4 + 1 + 4

func (s *SmartModule) encode(dst []byte) []byte {
	dst = protocol.AppendString(dst, s.Name)
	dst = protocol.AppendBool(dst, s.Package != nil)
	if p := s.Package; p != nil {
		dst = protocol.AppendString(dst, p.Name)
		dst = protocol.AppendString(dst, p.Group)
		dst = protocol.AppendString(dst, p.Version)
		dst = protocol.AppendString(dst, p.APIVersion)
	}
	dst = protocol.AppendArrayLen(dst, len(s.Params))
	for i := range s.Params {
		dst = protocol.AppendString(dst, s.Params[i].Name)
		dst = protocol.AppendOptString(dst, s.Params[i].Description)
		dst = protocol.AppendBool(dst, s.Params[i].Optional)
	}
	dst = protocol.AppendUint8(dst, uint8(s.Format))
	return protocol.AppendBytes(dst, s.Wasm)
}

func (s *SmartModule) decode(r *protocol.Reader) {
	s.Name = r.String()
	if r.Bool() {
		s.Package = &SmartModulePackage{
			Name:       r.String(),
			Group:      r.String(),
			Version:    r.String(),
			APIVersion: r.String(),
		}
	}
	if n := r.ArrayLen(2 + 1 + 1); n > 0 {
		s.Params = make([]SmartModuleParam, n)
		for i := range s.Params {
			s.Params[i].Name = r.String()
			s.Params[i].Description = r.OptString()
			s.Params[i].Optional = r.Bool()
		}
	}
	s.Format = WasmFormat(r.Uint8())
	if s.Format > WasmText {
		r.Failf("unknown wasm format %d", s.Format)
	}
	if b := r.Bytes(); len(b) > 0 {
		s.Wasm = append([]byte(nil), b...)
	}
}

// UpdateSmartModules pushes SmartModule objects.
type UpdateSmartModules struct {
	Epoch   int64
	Full    bool
	Modules []SmartModule
	// Removed are store keys of deleted SmartModules.
	Removed []string
}

// APIKey implements Message.
func (*UpdateSmartModules) APIKey() protocol.APIKey { return KeyUpdateSmartModules }

// Encode implements protocol.Message.
func (m *UpdateSmartModules) Encode(dst []byte, _ int16) []byte {
	dst = protocol.AppendInt64(dst, m.Epoch)
	dst = protocol.AppendBool(dst, m.Full)
	dst = appendList(dst, m.Modules, (*SmartModule).encode)
	return appendList(dst, m.Removed, encString)
}

// Decode implements protocol.Message.
func (m *UpdateSmartModules) Decode(r *protocol.Reader, _ int16) {
	m.Epoch = r.Int64()
	m.Full = r.Bool()
	m.Modules = readList(r, minSmartModule, (*SmartModule).decode)
	m.Removed = readList(r, 2, decString)
}

// ReplicaStatus is one replica's state as its SPU sees it.
type ReplicaStatus struct {
	ReplicaKey
	// HW is the high watermark (next offset visible to ReadCommitted).
	HW int64
	// LEO is the log end offset (next offset to be written).
	LEO int64
	// Size is the log size in bytes (-1 unknown).
	Size int64
	// LogStart is the first offset still stored.
	LogStart int64
}

const minReplicaStatus = minReplicaKey + 32

// ReplicaStatusReport carries replica states from an SPU to the SC.
type ReplicaStatusReport struct {
	Replicas []ReplicaStatus
}

// APIKey implements Message.
func (*ReplicaStatusReport) APIKey() protocol.APIKey { return KeyReplicaStatusReport }

// Encode implements protocol.Message.
func (m *ReplicaStatusReport) Encode(dst []byte, _ int16) []byte {
	return appendList(dst, m.Replicas, (*ReplicaStatus).encode)
}

func (s *ReplicaStatus) encode(dst []byte) []byte {
	dst = s.ReplicaKey.encode(dst)
	dst = protocol.AppendInt64(dst, s.HW)
	dst = protocol.AppendInt64(dst, s.LEO)
	dst = protocol.AppendInt64(dst, s.Size)
	return protocol.AppendInt64(dst, s.LogStart)
}

func (s *ReplicaStatus) decode(r *protocol.Reader) {
	s.ReplicaKey.decode(r)
	s.HW = r.Int64()
	s.LEO = r.Int64()
	s.Size = r.Int64()
	s.LogStart = r.Int64()
}

// Decode implements protocol.Message.
func (m *ReplicaStatusReport) Decode(r *protocol.Reader, _ int16) {
	m.Replicas = readList(r, minReplicaStatus, (*ReplicaStatus).decode)
}

// appendList appends a length-prefixed array, each element with enc.
func appendList[T any](dst []byte, items []T, enc func(*T, []byte) []byte) []byte {
	dst = protocol.AppendArrayLen(dst, len(items))
	for i := range items {
		dst = enc(&items[i], dst)
	}
	return dst
}

// readList reads a length-prefixed array whose elements take at least
// minSize bytes each, so a count larger than the bytes left allocates
// nothing; nil when empty.
func readList[T any](r *protocol.Reader, minSize int, dec func(*T, *protocol.Reader)) []T {
	n := r.ArrayLen(minSize)
	if n <= 0 {
		return nil
	}
	items := make([]T, n)
	for i := range items {
		dec(&items[i], r)
	}
	return items
}

func encInt32(v *int32, dst []byte) []byte    { return protocol.AppendInt32(dst, *v) }
func decInt32(v *int32, r *protocol.Reader)   { *v = r.Int32() }
func encString(v *string, dst []byte) []byte  { return protocol.AppendString(dst, *v) }
func decString(v *string, r *protocol.Reader) { *v = r.String() }
