package protocol

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// SC admin objects: the specs and statuses carried by Create, List, Watch
// (spec §3.9; Rust: crates/fluvio-controlplane-metadata). Every type encodes
// at the api_version of the request that carries it; version-gated fields are
// marked // vN+ and keep their Rust default when absent.

// Object type labels (spec §3.2), the TypeBuffer discriminator.
const (
	LabelTopic       = "Topic"
	LabelPartition   = "Partition"
	LabelSPU         = "SPU"
	LabelCustomSpu   = "CustomSpu"
	LabelSpuGroup    = "SpuGroup"
	LabelSmartModule = "SmartModule"
	LabelTableFormat = "TableFormat"
)

// Labels lists every object label this package decodes.
var Labels = []string{LabelTopic, LabelPartition, LabelSPU, LabelCustomSpu, LabelSpuGroup, LabelSmartModule, LabelTableFormat}

// NewObject returns zero values of the spec and status types for label.
func NewObject(label string) (spec, status Message, ok bool) {
	switch label {
	case LabelTopic:
		return &TopicSpec{}, &TopicStatus{}, true
	case LabelPartition:
		return &PartitionSpec{}, &PartitionStatus{}, true
	case LabelSPU:
		return &SpuSpec{}, &SpuStatus{}, true
	case LabelCustomSpu:
		return &CustomSpuSpec{}, &SpuStatus{}, true
	case LabelSpuGroup:
		return &SpuGroupSpec{}, &SpuGroupStatus{}, true
	case LabelSmartModule:
		return &SmartModuleSpec{}, &SmartModuleStatus{}, true
	case LabelTableFormat:
		return &TableFormatSpec{}, &TableFormatStatus{}, true
	}
	return nil, nil, false
}

// ---- small codec helpers shared by the SC object types ----

// scTag reads a u8 enum tag and fails on tags above max.
func scTag(r *Reader, enum string, max uint8) uint8 {
	t := r.Uint8()
	if r.Err() == nil && t > max {
		r.Failf("unknown %s type %d", enum, t)
		return 0
	}
	return t
}

// scAppendOpt appends Option<T> for a primitive T.
func scAppendOpt[T any](dst []byte, v *T, enc func([]byte, T) []byte) []byte {
	if v == nil {
		return append(dst, 0)
	}
	return enc(append(dst, 1), *v)
}

// scReadOpt reads Option<T> for a primitive T.
func scReadOpt[T any](r *Reader, dec func() T) *T {
	if !r.Bool() {
		return nil
	}
	v := dec()
	if r.Err() != nil {
		return nil
	}
	return &v
}

// scAppendMsgOpt appends Option<T> for a struct T.
func scAppendMsgOpt[T any, P interface {
	*T
	Message
}](dst []byte, v P, version int16) []byte {
	if v == nil {
		return append(dst, 0)
	}
	return v.Encode(append(dst, 1), version)
}

// scReadMsgOpt reads Option<T> for a struct T.
func scReadMsgOpt[T any, P interface {
	*T
	Message
}](r *Reader, version int16) P {
	if !r.Bool() {
		return nil
	}
	v := P(new(T))
	v.Decode(r, version)
	if r.Err() != nil {
		return nil
	}
	return v
}

func scAppendInt32s(dst []byte, v []int32) []byte {
	dst = AppendArrayLen(dst, len(v))
	for _, x := range v {
		dst = AppendInt32(dst, x)
	}
	return dst
}

func scReadInt32s(r *Reader) []int32 {
	n := r.ArrayLen(4)
	if n == 0 {
		return nil
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = r.Int32()
	}
	return out
}

func scAppendStringMap(dst []byte, m map[string]string) []byte {
	dst = AppendMapLen(dst, len(m))
	for _, k := range sortedKeys(m) {
		dst = AppendString(dst, k)
		dst = AppendString(dst, m[k])
	}
	return dst
}

func scReadStringMap(r *Reader) map[string]string {
	n := r.MapLen(4)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := r.String()
		m[k] = r.String()
	}
	return m
}

// sortedKeys returns m's keys in ascending order (BTreeMap order).
func sortedKeys[K ~string | ~uint32, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// scAppendDuration appends a Rust Duration: u64 seconds, u32 nanoseconds.
func scAppendDuration(dst []byte, d time.Duration) []byte {
	if d < 0 {
		d = 0
	}
	dst = AppendUint64(dst, uint64(d/time.Second))
	return AppendUint32(dst, uint32(d%time.Second))
}

func scReadDuration(r *Reader) time.Duration {
	secs := r.Uint64()
	nanos := r.Uint32()
	if r.Err() != nil {
		return 0
	}
	if secs > uint64(math.MaxInt64/int64(time.Second))-1 {
		r.Failf("duration of %d seconds out of range", secs)
		return 0
	}
	return time.Duration(secs)*time.Second + time.Duration(nanos)
}

// ---- Topic ----

// TopicSpec is a topic's desired state.
type TopicSpec struct {
	Replicas        ReplicaSpec
	CleanupPolicy   *CleanupPolicy       // v3+
	Storage         *TopicStorageConfig  // v4+
	CompressionType CompressionAlgorithm // v6+ (Any when absent)
	Deduplication   *Deduplication       // v12+
	System          bool                 // v13+
}

// NewComputedTopicSpec returns the spec `fluvio topic create` sends:
// computed replica assignment and compression Any.
func NewComputedTopicSpec(partitions, replicationFactor uint32) *TopicSpec {
	return &TopicSpec{
		Replicas:        ReplicaSpec{Kind: ReplicaComputed, Computed: TopicReplicaParam{Partitions: partitions, ReplicationFactor: replicationFactor}},
		CompressionType: TopicCompressionAny,
	}
}

// Partitions is the partition count the spec asks for.
func (m *TopicSpec) Partitions() uint32 {
	switch m.Replicas.Kind {
	case ReplicaAssigned:
		return uint32(len(m.Replicas.Assigned))
	case ReplicaComputed:
		return m.Replicas.Computed.Partitions
	case ReplicaMirror:
		return m.Replicas.Mirror.Partitions()
	}
	return 0
}

// Encode appends the spec at version.
func (m *TopicSpec) Encode(dst []byte, version int16) []byte {
	dst = m.Replicas.Encode(dst, version)
	if version >= 3 {
		dst = scAppendMsgOpt(dst, m.CleanupPolicy, version)
	}
	if version >= 4 {
		dst = scAppendMsgOpt(dst, m.Storage, version)
	}
	if version >= 6 {
		dst = AppendUint8(dst, uint8(m.CompressionType))
	}
	if version >= 12 {
		dst = scAppendMsgOpt(dst, m.Deduplication, version)
	}
	if version >= 13 {
		dst = AppendBool(dst, m.System)
	}
	return dst
}

// Decode reads the spec at version.
func (m *TopicSpec) Decode(r *Reader, version int16) {
	*m = TopicSpec{CompressionType: TopicCompressionAny}
	m.Replicas.Decode(r, version)
	if version >= 3 {
		m.CleanupPolicy = scReadMsgOpt[CleanupPolicy](r, version)
	}
	if version >= 4 {
		m.Storage = scReadMsgOpt[TopicStorageConfig](r, version)
	}
	if version >= 6 {
		m.CompressionType = CompressionAlgorithm(scTag(r, "CompressionAlgorithm", uint8(TopicCompressionZstd)))
	}
	if version >= 12 {
		m.Deduplication = scReadMsgOpt[Deduplication](r, version)
	}
	if version >= 13 {
		m.System = r.Bool()
	}
}

// ReplicaSpecKind is the ReplicaSpec variant tag.
type ReplicaSpecKind uint8

// ReplicaSpec variants.
const (
	ReplicaAssigned ReplicaSpecKind = 0 // explicit partition → SPU maps
	ReplicaComputed ReplicaSpecKind = 1 // partitions and replication factor
	ReplicaMirror   ReplicaSpecKind = 2 // mirror topic
)

// ReplicaSpec says how a topic's partitions are placed. Only the field
// matching Kind is encoded.
type ReplicaSpec struct {
	Kind     ReplicaSpecKind
	Assigned []PartitionMap // Kind == ReplicaAssigned
	Computed TopicReplicaParam
	Mirror   MirrorConfig
}

// Encode appends the tag and the variant.
func (m *ReplicaSpec) Encode(dst []byte, version int16) []byte {
	dst = AppendUint8(dst, uint8(m.Kind))
	switch m.Kind {
	case ReplicaAssigned:
		dst = AppendArrayLen(dst, len(m.Assigned))
		for i := range m.Assigned {
			dst = m.Assigned[i].Encode(dst, version)
		}
	case ReplicaComputed:
		dst = m.Computed.Encode(dst, version)
	case ReplicaMirror:
		dst = m.Mirror.Encode(dst, version)
	}
	return dst
}

// Decode reads the tag and the variant.
func (m *ReplicaSpec) Decode(r *Reader, version int16) {
	*m = ReplicaSpec{Kind: ReplicaSpecKind(scTag(r, "ReplicaSpec", uint8(ReplicaMirror)))}
	if r.Err() != nil {
		return
	}
	switch m.Kind {
	case ReplicaAssigned:
		if n := r.ArrayLen(8); n > 0 {
			m.Assigned = make([]PartitionMap, n)
			for i := range m.Assigned {
				m.Assigned[i].Decode(r, version)
			}
		}
	case ReplicaComputed:
		m.Computed.Decode(r, version)
	case ReplicaMirror:
		m.Mirror.Decode(r, version)
	}
}

// TopicReplicaParam is the computed replica assignment.
type TopicReplicaParam struct {
	Partitions           uint32
	ReplicationFactor    uint32
	IgnoreRackAssignment bool
}

// Encode appends the fields.
func (m *TopicReplicaParam) Encode(dst []byte, version int16) []byte {
	dst = AppendUint32(dst, m.Partitions)
	dst = AppendUint32(dst, m.ReplicationFactor)
	return AppendBool(dst, m.IgnoreRackAssignment)
}

// Decode reads the fields.
func (m *TopicReplicaParam) Decode(r *Reader, version int16) {
	m.Partitions = r.Uint32()
	m.ReplicationFactor = r.Uint32()
	m.IgnoreRackAssignment = r.Bool()
}

// PartitionMap assigns one partition to SPUs (the first is the leader).
type PartitionMap struct {
	ID       uint32
	Replicas []int32
	Mirror   *PartitionMirrorConfig // v14+
}

// Encode appends the map at version.
func (m *PartitionMap) Encode(dst []byte, version int16) []byte {
	dst = AppendUint32(dst, m.ID)
	dst = scAppendInt32s(dst, m.Replicas)
	if version >= 14 {
		dst = scAppendMsgOpt(dst, m.Mirror, version)
	}
	return dst
}

// Decode reads the map at version.
func (m *PartitionMap) Decode(r *Reader, version int16) {
	*m = PartitionMap{ID: r.Uint32(), Replicas: scReadInt32s(r)}
	if version >= 14 {
		m.Mirror = scReadMsgOpt[PartitionMirrorConfig](r, version)
	}
}

// CleanupPolicy is Fluvio's CleanupPolicy enum; its only variant is
// Segment (tag 0).
type CleanupPolicy struct {
	Segment SegmentBasedPolicy
}

// SegmentBasedPolicy deletes segments older than TimeInSeconds.
type SegmentBasedPolicy struct {
	TimeInSeconds uint32
}

// Encode appends tag 0 and the segment policy.
func (m *CleanupPolicy) Encode(dst []byte, version int16) []byte {
	return AppendUint32(AppendUint8(dst, 0), m.Segment.TimeInSeconds)
}

// Decode reads the policy.
func (m *CleanupPolicy) Decode(r *Reader, version int16) {
	scTag(r, "CleanupPolicy", 0)
	m.Segment.TimeInSeconds = r.Uint32()
}

// TopicStorageConfig bounds a partition's storage.
type TopicStorageConfig struct {
	SegmentSize      *uint32
	MaxPartitionSize *uint64
}

// Encode appends the fields.
func (m *TopicStorageConfig) Encode(dst []byte, version int16) []byte {
	dst = scAppendOpt(dst, m.SegmentSize, AppendUint32)
	return scAppendOpt(dst, m.MaxPartitionSize, AppendUint64)
}

// Decode reads the fields.
func (m *TopicStorageConfig) Decode(r *Reader, version int16) {
	m.SegmentSize = scReadOpt(r, r.Uint32)
	m.MaxPartitionSize = scReadOpt(r, r.Uint64)
}

// Deduplication drops records a SmartModule filter marks as duplicates
// within the bounds.
type Deduplication struct {
	Bounds DeduplicationBounds
	Filter DeduplicationFilter
}

// DeduplicationBounds limits the deduplication window.
type DeduplicationBounds struct {
	Count uint64
	Age   *time.Duration // Rust Duration: u64 seconds + u32 nanoseconds
}

// DeduplicationFilter names the SmartModule doing the filtering.
type DeduplicationFilter struct {
	Transform DeduplicationTransform
}

// DeduplicationTransform is a SmartModule reference with parameters.
type DeduplicationTransform struct {
	Uses string
	With map[string]string
}

// Encode appends the fields.
func (m *Deduplication) Encode(dst []byte, version int16) []byte {
	dst = AppendUint64(dst, m.Bounds.Count)
	dst = scAppendOpt(dst, m.Bounds.Age, scAppendDuration)
	dst = AppendString(dst, m.Filter.Transform.Uses)
	return scAppendStringMap(dst, m.Filter.Transform.With)
}

// Decode reads the fields.
func (m *Deduplication) Decode(r *Reader, version int16) {
	*m = Deduplication{}
	m.Bounds.Count = r.Uint64()
	m.Bounds.Age = scReadOpt(r, func() time.Duration { return scReadDuration(r) })
	m.Filter.Transform.Uses = r.String()
	m.Filter.Transform.With = scReadStringMap(r)
}

// TopicResolution is a topic's provisioning state.
type TopicResolution uint8

// TopicResolution values.
const (
	TopicInit                  TopicResolution = 0
	TopicPending               TopicResolution = 1
	TopicInsufficientResources TopicResolution = 2
	TopicInvalidConfig         TopicResolution = 3
	TopicProvisioned           TopicResolution = 4
	TopicDeleting              TopicResolution = 5
)

// TopicStatus is a topic's observed state.
type TopicStatus struct {
	Resolution TopicResolution
	// ReplicaMap maps partition id → SPU ids (leader first), encoded in
	// ascending partition order.
	ReplicaMap map[uint32][]int32
	MirrorMap  map[uint32]PartitionMirrorConfig // v14+
	Reason     string
}

// Encode appends the status at version.
func (m *TopicStatus) Encode(dst []byte, version int16) []byte {
	dst = AppendUint8(dst, uint8(m.Resolution))
	dst = AppendMapLen(dst, len(m.ReplicaMap))
	for _, k := range sortedKeys(m.ReplicaMap) {
		dst = AppendUint32(dst, k)
		dst = scAppendInt32s(dst, m.ReplicaMap[k])
	}
	if version >= 14 {
		dst = AppendMapLen(dst, len(m.MirrorMap))
		for _, k := range sortedKeys(m.MirrorMap) {
			v := m.MirrorMap[k]
			dst = AppendUint32(dst, k)
			dst = v.Encode(dst, version)
		}
	}
	return AppendString(dst, m.Reason)
}

// Decode reads the status at version.
func (m *TopicStatus) Decode(r *Reader, version int16) {
	*m = TopicStatus{Resolution: TopicResolution(scTag(r, "TopicResolution", uint8(TopicDeleting)))}
	if n := r.MapLen(8); n > 0 {
		m.ReplicaMap = make(map[uint32][]int32, n)
		for range n {
			k := r.Uint32()
			m.ReplicaMap[k] = scReadInt32s(r)
		}
	}
	if version >= 14 {
		if n := r.MapLen(9); n > 0 {
			m.MirrorMap = make(map[uint32]PartitionMirrorConfig, n)
			for range n {
				k := r.Uint32()
				var v PartitionMirrorConfig
				v.Decode(r, version)
				m.MirrorMap[k] = v
			}
		}
	}
	m.Reason = r.String()
}

// ---- Mirroring configuration (enough to round-trip) ----

// MirrorKind is the variant tag of MirrorConfig and PartitionMirrorConfig.
type MirrorKind uint8

// MirrorKind values.
const (
	MirrorRemote MirrorKind = 0
	MirrorHome   MirrorKind = 1
)

// MirrorConfig is the replica spec of a mirror topic. Only the field
// matching Kind is encoded.
type MirrorConfig struct {
	Kind   MirrorKind
	Remote RemoteMirrorConfig
	Home   HomeMirrorConfig
}

// Partitions is the number of partitions the mirror topic has.
func (m *MirrorConfig) Partitions() uint32 {
	if m.Kind == MirrorRemote {
		return uint32(len(m.Remote.HomeSpus))
	}
	return uint32(len(m.Home.Partitions))
}

// Encode appends the tag and variant at version.
func (m *MirrorConfig) Encode(dst []byte, version int16) []byte {
	dst = AppendUint8(dst, uint8(m.Kind))
	if m.Kind == MirrorRemote {
		return m.Remote.Encode(dst, version)
	}
	return m.Home.Encode(dst, version)
}

// Decode reads the tag and variant at version.
func (m *MirrorConfig) Decode(r *Reader, version int16) {
	*m = MirrorConfig{Kind: MirrorKind(scTag(r, "MirrorConfig", uint8(MirrorHome)))}
	if r.Err() != nil {
		return
	}
	if m.Kind == MirrorRemote {
		m.Remote.Decode(r, version)
	} else {
		m.Home.Decode(r, version)
	}
}

// RemoteMirrorConfig is the remote side of a mirror topic.
type RemoteMirrorConfig struct {
	HomeCluster string
	HomeSpus    []SpuMirrorConfig
	Target      bool // v18+ (HEAD only)
}

// SpuMirrorConfig is one home SPU of a remote mirror.
type SpuMirrorConfig struct {
	ID       int32
	Key      string
	Endpoint string
}

// Encode appends the fields at version.
func (m *RemoteMirrorConfig) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, m.HomeCluster)
	dst = AppendArrayLen(dst, len(m.HomeSpus))
	for _, s := range m.HomeSpus {
		dst = AppendInt32(dst, s.ID)
		dst = AppendString(dst, s.Key)
		dst = AppendString(dst, s.Endpoint)
	}
	if version >= 18 {
		dst = AppendBool(dst, m.Target)
	}
	return dst
}

// Decode reads the fields at version.
func (m *RemoteMirrorConfig) Decode(r *Reader, version int16) {
	*m = RemoteMirrorConfig{HomeCluster: r.String()}
	if n := r.ArrayLen(8); n > 0 {
		m.HomeSpus = make([]SpuMirrorConfig, n)
		for i := range m.HomeSpus {
			m.HomeSpus[i] = SpuMirrorConfig{ID: r.Int32(), Key: r.String(), Endpoint: r.String()}
		}
	}
	if version >= 18 {
		m.Target = r.Bool()
	}
}

// HomeMirrorConfig is the home side of a mirror topic. Below v18 it is
// just the partition list (v0.11.11 layout).
type HomeMirrorConfig struct {
	Partitions []HomePartitionConfig
	Source     bool // v18+ (HEAD only)
}

// Encode appends the fields at version.
func (m *HomeMirrorConfig) Encode(dst []byte, version int16) []byte {
	dst = AppendArrayLen(dst, len(m.Partitions))
	for i := range m.Partitions {
		dst = m.Partitions[i].Encode(dst, version)
	}
	if version >= 18 {
		dst = AppendBool(dst, m.Source)
	}
	return dst
}

// Decode reads the fields at version.
func (m *HomeMirrorConfig) Decode(r *Reader, version int16) {
	*m = HomeMirrorConfig{}
	if n := r.ArrayLen(4); n > 0 {
		m.Partitions = make([]HomePartitionConfig, n)
		for i := range m.Partitions {
			m.Partitions[i].Decode(r, version)
		}
	}
	if version >= 18 {
		m.Source = r.Bool()
	}
}

// HomePartitionConfig is one home partition mirrored to a remote cluster.
type HomePartitionConfig struct {
	RemoteCluster string
	RemoteReplica string
	Source        bool // v18+ (HEAD only)
}

// Encode appends the fields at version.
func (m *HomePartitionConfig) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, m.RemoteCluster)
	dst = AppendString(dst, m.RemoteReplica)
	if version >= 18 {
		dst = AppendBool(dst, m.Source)
	}
	return dst
}

// Decode reads the fields at version.
func (m *HomePartitionConfig) Decode(r *Reader, version int16) {
	*m = HomePartitionConfig{RemoteCluster: r.String(), RemoteReplica: r.String()}
	if version >= 18 {
		m.Source = r.Bool()
	}
}

// RemotePartitionConfig is one remote partition fed from a home SPU.
type RemotePartitionConfig struct {
	HomeCluster     string
	HomeSpuKey      string
	HomeSpuID       int32
	HomeSpuEndpoint string
	Target          bool // v18+ (HEAD only)
}

// Encode appends the fields at version.
func (m *RemotePartitionConfig) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, m.HomeCluster)
	dst = AppendString(dst, m.HomeSpuKey)
	dst = AppendInt32(dst, m.HomeSpuID)
	dst = AppendString(dst, m.HomeSpuEndpoint)
	if version >= 18 {
		dst = AppendBool(dst, m.Target)
	}
	return dst
}

// Decode reads the fields at version.
func (m *RemotePartitionConfig) Decode(r *Reader, version int16) {
	*m = RemotePartitionConfig{HomeCluster: r.String(), HomeSpuKey: r.String(), HomeSpuID: r.Int32(), HomeSpuEndpoint: r.String()}
	if version >= 18 {
		m.Target = r.Bool()
	}
}

// PartitionMirrorConfig is a partition's mirroring role. Only the field
// matching Kind is encoded.
type PartitionMirrorConfig struct {
	Kind   MirrorKind
	Remote RemotePartitionConfig
	Home   HomePartitionConfig
}

// Encode appends the tag and variant at version.
func (m *PartitionMirrorConfig) Encode(dst []byte, version int16) []byte {
	dst = AppendUint8(dst, uint8(m.Kind))
	if m.Kind == MirrorRemote {
		return m.Remote.Encode(dst, version)
	}
	return m.Home.Encode(dst, version)
}

// Decode reads the tag and variant at version.
func (m *PartitionMirrorConfig) Decode(r *Reader, version int16) {
	*m = PartitionMirrorConfig{Kind: MirrorKind(scTag(r, "PartitionMirrorConfig", uint8(MirrorHome)))}
	if r.Err() != nil {
		return
	}
	if m.Kind == MirrorRemote {
		m.Remote.Decode(r, version)
	} else {
		m.Home.Decode(r, version)
	}
}

// ---- Partition ----

// PartitionSpec is a partition's desired state; the store key is
// "<topic>-<partition>".
type PartitionSpec struct {
	Leader          int32
	Replicas        []int32
	CleanupPolicy   *CleanupPolicy         // v4+
	Storage         *TopicStorageConfig    // v4+
	CompressionType CompressionAlgorithm   // v6+ (Any when absent)
	Deduplication   *Deduplication         // v12+
	System          bool                   // v13+
	Mirror          *PartitionMirrorConfig // v14+
}

// Encode appends the spec at version.
func (m *PartitionSpec) Encode(dst []byte, version int16) []byte {
	dst = AppendInt32(dst, m.Leader)
	dst = scAppendInt32s(dst, m.Replicas)
	if version >= 4 {
		dst = scAppendMsgOpt(dst, m.CleanupPolicy, version)
		dst = scAppendMsgOpt(dst, m.Storage, version)
	}
	if version >= 6 {
		dst = AppendUint8(dst, uint8(m.CompressionType))
	}
	if version >= 12 {
		dst = scAppendMsgOpt(dst, m.Deduplication, version)
	}
	if version >= 13 {
		dst = AppendBool(dst, m.System)
	}
	if version >= 14 {
		dst = scAppendMsgOpt(dst, m.Mirror, version)
	}
	return dst
}

// Decode reads the spec at version.
func (m *PartitionSpec) Decode(r *Reader, version int16) {
	*m = PartitionSpec{CompressionType: TopicCompressionAny, Leader: r.Int32(), Replicas: scReadInt32s(r)}
	if version >= 4 {
		m.CleanupPolicy = scReadMsgOpt[CleanupPolicy](r, version)
		m.Storage = scReadMsgOpt[TopicStorageConfig](r, version)
	}
	if version >= 6 {
		m.CompressionType = CompressionAlgorithm(scTag(r, "CompressionAlgorithm", uint8(TopicCompressionZstd)))
	}
	if version >= 12 {
		m.Deduplication = scReadMsgOpt[Deduplication](r, version)
	}
	if version >= 13 {
		m.System = r.Bool()
	}
	if version >= 14 {
		m.Mirror = scReadMsgOpt[PartitionMirrorConfig](r, version)
	}
}

// PartitionResolution is a partition's leadership state.
type PartitionResolution uint8

// PartitionResolution values.
const (
	PartitionOffline             PartitionResolution = 0
	PartitionOnline              PartitionResolution = 1
	PartitionLeaderOffline       PartitionResolution = 2
	PartitionElectionLeaderFound PartitionResolution = 3
	// PartitionOutOfStorage exists from v19 (HEAD); it is encoded as
	// PartitionOffline below v19.
	PartitionOutOfStorage PartitionResolution = 4
)

// Partition status sizes with special meaning.
const (
	PartitionSizeError        int64 = -1
	PartitionSizeNotSupported int64 = -2
)

// PartitionStatus is a partition's observed state.
type PartitionStatus struct {
	Resolution     PartitionResolution
	Leader         ReplicaStatus
	LSR            uint32 // live replica count
	Replicas       []ReplicaStatus
	Size           int64 // v5+ (PartitionSizeNotSupported when absent)
	IsBeingDeleted bool
	BaseOffset     int64 // v16+
}

// Encode appends the status at version.
//
// Why rewrite OutOfStorage below v19? The v0.11.11 client cannot decode tag
// 4 and would drop the whole watch frame; Offline is the closest state it
// knows.
func (m *PartitionStatus) Encode(dst []byte, version int16) []byte {
	res := m.Resolution
	if res == PartitionOutOfStorage && version < 19 {
		res = PartitionOffline
	}
	dst = AppendUint8(dst, uint8(res))
	dst = m.Leader.Encode(dst, version)
	dst = AppendUint32(dst, m.LSR)
	dst = AppendArrayLen(dst, len(m.Replicas))
	for i := range m.Replicas {
		dst = m.Replicas[i].Encode(dst, version)
	}
	if version >= 5 {
		dst = AppendInt64(dst, m.Size)
	}
	dst = AppendBool(dst, m.IsBeingDeleted)
	if version >= 16 {
		dst = AppendInt64(dst, m.BaseOffset)
	}
	return dst
}

// Decode reads the status at version. Tag 4 (OutOfStorage) is accepted at
// every version, like the HEAD decoder.
func (m *PartitionStatus) Decode(r *Reader, version int16) {
	*m = PartitionStatus{Size: PartitionSizeNotSupported}
	m.Resolution = PartitionResolution(scTag(r, "PartitionResolution", uint8(PartitionOutOfStorage)))
	m.Leader.Decode(r, version)
	m.LSR = r.Uint32()
	if n := r.ArrayLen(20); n > 0 {
		m.Replicas = make([]ReplicaStatus, n)
		for i := range m.Replicas {
			m.Replicas[i].Decode(r, version)
		}
	}
	if version >= 5 {
		m.Size = r.Int64()
	}
	m.IsBeingDeleted = r.Bool()
	if version >= 16 {
		m.BaseOffset = r.Int64()
	}
}

// ReplicaStatus is one replica's offsets. Fluvio's default is all -1
// (NewReplicaStatus); the Go zero value is all 0.
type ReplicaStatus struct {
	SPU int32
	HW  int64
	LEO int64
}

// NewReplicaStatus returns Fluvio's default ReplicaStatus (-1, -1, -1).
func NewReplicaStatus() ReplicaStatus { return ReplicaStatus{SPU: -1, HW: -1, LEO: -1} }

// Encode appends the fields.
func (m *ReplicaStatus) Encode(dst []byte, version int16) []byte {
	dst = AppendInt32(dst, m.SPU)
	dst = AppendInt64(dst, m.HW)
	return AppendInt64(dst, m.LEO)
}

// Decode reads the fields.
func (m *ReplicaStatus) Decode(r *Reader, version int16) {
	*m = ReplicaStatus{SPU: r.Int32(), HW: r.Int64(), LEO: r.Int64()}
}

// ---- SPU ----

// SpuType says whether an SPU is managed by an SPU group or custom.
type SpuType uint8

// SpuType values.
const (
	SpuTypeManaged SpuType = 0
	SpuTypeCustom  SpuType = 1
)

// Encryption is an endpoint's transport security.
type Encryption uint8

// Encryption values.
const (
	EncryptionPlaintext Encryption = 0
	EncryptionSSL       Encryption = 1
)

// SpuSpec is a registered SPU. Clients route by ID and connect to
// PublicEndpoint.
type SpuSpec struct {
	ID                  int32
	Type                SpuType
	PublicEndpoint      IngressPort
	PrivateEndpoint     Endpoint
	Rack                *string
	PublicEndpointLocal *Endpoint // v1+
}

// Encode appends the spec at version.
func (m *SpuSpec) Encode(dst []byte, version int16) []byte {
	dst = AppendInt32(dst, m.ID)
	dst = AppendUint8(dst, uint8(m.Type))
	dst = m.PublicEndpoint.Encode(dst, version)
	dst = m.PrivateEndpoint.Encode(dst, version)
	dst = AppendOptString(dst, m.Rack)
	if version >= 1 {
		dst = scAppendMsgOpt(dst, m.PublicEndpointLocal, version)
	}
	return dst
}

// Decode reads the spec at version.
func (m *SpuSpec) Decode(r *Reader, version int16) {
	*m = SpuSpec{ID: r.Int32(), Type: SpuType(scTag(r, "SpuType", uint8(SpuTypeCustom)))}
	m.PublicEndpoint.Decode(r, version)
	m.PrivateEndpoint.Decode(r, version)
	m.Rack = r.OptString()
	if version >= 1 {
		m.PublicEndpointLocal = scReadMsgOpt[Endpoint](r, version)
	}
}

// IngressPort is an SPU's public port and the addresses it is reachable at.
type IngressPort struct {
	Port       uint16
	Ingress    []IngressAddr
	Encryption Encryption
}

// IngressAddr is a hostname and/or IP address.
type IngressAddr struct {
	Hostname *string
	IP       *string
}

// Encode appends the fields.
func (m *IngressPort) Encode(dst []byte, version int16) []byte {
	dst = AppendUint16(dst, m.Port)
	dst = AppendArrayLen(dst, len(m.Ingress))
	for _, a := range m.Ingress {
		dst = AppendOptString(dst, a.Hostname)
		dst = AppendOptString(dst, a.IP)
	}
	return AppendUint8(dst, uint8(m.Encryption))
}

// Decode reads the fields.
func (m *IngressPort) Decode(r *Reader, version int16) {
	*m = IngressPort{Port: r.Uint16()}
	if n := r.ArrayLen(2); n > 0 {
		m.Ingress = make([]IngressAddr, n)
		for i := range m.Ingress {
			m.Ingress[i] = IngressAddr{Hostname: r.OptString(), IP: r.OptString()}
		}
	}
	m.Encryption = Encryption(scTag(r, "EncryptionEnum", uint8(EncryptionSSL)))
}

// Endpoint is a host and port.
type Endpoint struct {
	Port       uint16
	Host       string
	Encryption Encryption
}

// Encode appends the fields.
func (m *Endpoint) Encode(dst []byte, version int16) []byte {
	dst = AppendUint16(dst, m.Port)
	dst = AppendString(dst, m.Host)
	return AppendUint8(dst, uint8(m.Encryption))
}

// Decode reads the fields.
func (m *Endpoint) Decode(r *Reader, version int16) {
	*m = Endpoint{Port: r.Uint16(), Host: r.String()}
	m.Encryption = Encryption(scTag(r, "EncryptionEnum", uint8(EncryptionSSL)))
}

// SpuResolution is an SPU's liveness.
type SpuResolution uint8

// SpuResolution values.
const (
	SpuStatusOnline  SpuResolution = 0
	SpuStatusOffline SpuResolution = 1
	SpuStatusInit    SpuResolution = 2
)

// SpuStatus is an SPU's (or custom SPU's) observed state.
type SpuStatus struct {
	Resolution SpuResolution
}

// Encode appends the status.
func (m *SpuStatus) Encode(dst []byte, version int16) []byte {
	return AppendUint8(dst, uint8(m.Resolution))
}

// Decode reads the status.
func (m *SpuStatus) Decode(r *Reader, version int16) {
	m.Resolution = SpuResolution(scTag(r, "SpuStatusResolution", uint8(SpuStatusInit)))
}

// CustomSpuSpec registers an SPU that is not part of an SPU group.
type CustomSpuSpec struct {
	ID                  int32
	PublicEndpoint      IngressPort
	PrivateEndpoint     Endpoint
	Rack                *string
	PublicEndpointLocal *Endpoint // not version-gated, unlike SpuSpec
}

// Encode appends the spec.
func (m *CustomSpuSpec) Encode(dst []byte, version int16) []byte {
	dst = AppendInt32(dst, m.ID)
	dst = m.PublicEndpoint.Encode(dst, version)
	dst = m.PrivateEndpoint.Encode(dst, version)
	dst = AppendOptString(dst, m.Rack)
	return scAppendMsgOpt(dst, m.PublicEndpointLocal, version)
}

// Decode reads the spec.
func (m *CustomSpuSpec) Decode(r *Reader, version int16) {
	*m = CustomSpuSpec{ID: r.Int32()}
	m.PublicEndpoint.Decode(r, version)
	m.PrivateEndpoint.Decode(r, version)
	m.Rack = r.OptString()
	m.PublicEndpointLocal = scReadMsgOpt[Endpoint](r, version)
}

// CustomSpuKey identifies a custom SPU by name or by id (hand-written codec:
// the String "Name" or "Id", then a String or an i32).
type CustomSpuKey struct {
	ByID bool
	Name string // when !ByID
	ID   int32  // when ByID
}

// Encode appends the discriminator and the key.
func (m *CustomSpuKey) Encode(dst []byte, version int16) []byte {
	if m.ByID {
		return AppendInt32(AppendString(dst, "Id"), m.ID)
	}
	return AppendString(AppendString(dst, "Name"), m.Name)
}

// Decode reads the discriminator and the key.
func (m *CustomSpuKey) Decode(r *Reader, version int16) {
	*m = CustomSpuKey{}
	switch d := r.String(); {
	case r.Err() != nil:
	case d == "Name":
		m.Name = r.String()
	case d == "Id":
		m.ByID = true
		m.ID = r.Int32()
	default:
		r.Failf("unknown CustomSpuKey kind %q", d)
	}
}

// String is the key as text (the name, or the id in decimal).
func (m CustomSpuKey) String() string {
	if m.ByID {
		return strconv.Itoa(int(m.ID))
	}
	return m.Name
}

// ---- SPU group ----

// SpuGroupSpec asks for Replicas managed SPUs with ids from MinID.
type SpuGroupSpec struct {
	Replicas  uint16
	MinID     int32
	SpuConfig SpuConfig
}

// SpuConfig is the configuration of an SPU group's SPUs.
type SpuConfig struct {
	Rack        *string
	Replication *ReplicationConfig
	Storage     *SpuStorageConfig
	Env         []EnvVar
}

// ReplicationConfig tunes replication.
type ReplicationConfig struct {
	InSyncReplicaMin *uint16
}

// SpuStorageConfig is where and how much an SPU stores.
type SpuStorageConfig struct {
	LogDir *string
	Size   *string
}

// EnvVar is one environment variable of an SPU process.
type EnvVar struct {
	Name  string
	Value string
}

// Encode appends the spec.
func (m *SpuGroupSpec) Encode(dst []byte, version int16) []byte {
	dst = AppendUint16(dst, m.Replicas)
	dst = AppendInt32(dst, m.MinID)
	c := &m.SpuConfig
	dst = AppendOptString(dst, c.Rack)
	if c.Replication == nil {
		dst = append(dst, 0)
	} else {
		dst = scAppendOpt(append(dst, 1), c.Replication.InSyncReplicaMin, AppendUint16)
	}
	if c.Storage == nil {
		dst = append(dst, 0)
	} else {
		dst = AppendOptString(append(dst, 1), c.Storage.LogDir)
		dst = AppendOptString(dst, c.Storage.Size)
	}
	dst = AppendArrayLen(dst, len(c.Env))
	for _, e := range c.Env {
		dst = AppendString(dst, e.Name)
		dst = AppendString(dst, e.Value)
	}
	return dst
}

// Decode reads the spec.
func (m *SpuGroupSpec) Decode(r *Reader, version int16) {
	*m = SpuGroupSpec{Replicas: r.Uint16(), MinID: r.Int32()}
	c := &m.SpuConfig
	c.Rack = r.OptString()
	if r.Bool() {
		c.Replication = &ReplicationConfig{InSyncReplicaMin: scReadOpt(r, r.Uint16)}
	}
	if r.Bool() {
		c.Storage = &SpuStorageConfig{LogDir: r.OptString(), Size: r.OptString()}
	}
	if n := r.ArrayLen(4); n > 0 {
		c.Env = make([]EnvVar, n)
		for i := range c.Env {
			c.Env[i] = EnvVar{Name: r.String(), Value: r.String()}
		}
	}
}

// SpuGroupResolution is an SPU group's state.
type SpuGroupResolution uint8

// SpuGroupResolution values.
const (
	SpuGroupInit     SpuGroupResolution = 0
	SpuGroupInvalid  SpuGroupResolution = 1
	SpuGroupReserved SpuGroupResolution = 2
)

// SpuGroupStatus is an SPU group's observed state.
type SpuGroupStatus struct {
	Resolution SpuGroupResolution
	Reason     *string
}

// Encode appends the status.
func (m *SpuGroupStatus) Encode(dst []byte, version int16) []byte {
	return AppendOptString(AppendUint8(dst, uint8(m.Resolution)), m.Reason)
}

// Decode reads the status.
func (m *SpuGroupStatus) Decode(r *Reader, version int16) {
	*m = SpuGroupStatus{Resolution: SpuGroupResolution(scTag(r, "SpuGroupStatusResolution", uint8(SpuGroupReserved)))}
	m.Reason = r.OptString()
}

// ---- SmartModule ----

// smartModuleV2Format is the first version with the metadata layout of
// SmartModuleSpec; older versions used a legacy layout we do not speak.
const smartModuleV2Format = 10

// SmartModuleSpec is a stored SmartModule (hand-written codec, spec §3.9).
type SmartModuleSpec struct {
	Meta    *SmartModuleMetadata
	Summary *SmartModuleWasmSummary // filled by the SC in summary lists
	Wasm    SmartModuleSpecWasm
}

// SmartModuleWasmSummary describes wasm stripped from a summary.
type SmartModuleWasmSummary struct {
	WasmLength uint32
}

// SmartModuleWasmFormat is the wasm encoding.
type SmartModuleWasmFormat uint8

// SmartModuleWasmFormat values.
const (
	WasmFormatBinary SmartModuleWasmFormat = 0
	WasmFormatText   SmartModuleWasmFormat = 1
)

// SmartModuleSpecWasm is the module; Payload is the gzip-compressed .wasm.
type SmartModuleSpecWasm struct {
	Format  SmartModuleWasmFormat
	Payload []byte
}

// Encode appends the spec at version; below v10 (legacy layout) it appends
// nothing, as no supported client uses it.
func (m *SmartModuleSpec) Encode(dst []byte, version int16) []byte {
	if version < smartModuleV2Format {
		return dst
	}
	dst = scAppendMsgOpt(dst, m.Meta, version)
	if m.Summary == nil {
		dst = append(dst, 0)
	} else {
		dst = AppendUint32(append(dst, 1), m.Summary.WasmLength)
	}
	dst = AppendUint8(dst, uint8(m.Wasm.Format))
	return AppendBytes(dst, m.Wasm.Payload)
}

// Decode reads the spec at version; versions below 10 are an error. The
// payload is copied so the spec outlives the frame buffer.
func (m *SmartModuleSpec) Decode(r *Reader, version int16) {
	*m = SmartModuleSpec{}
	if version < smartModuleV2Format {
		r.Fail(ErrUnsupportedVersion(KeyCreate, version))
		return
	}
	m.Meta = scReadMsgOpt[SmartModuleMetadata](r, version)
	m.Summary = scReadOpt(r, func() SmartModuleWasmSummary { return SmartModuleWasmSummary{WasmLength: r.Uint32()} })
	m.Wasm.Format = SmartModuleWasmFormat(scTag(r, "SmartModuleWasmFormat", uint8(WasmFormatText)))
	if b := r.Bytes(); len(b) > 0 {
		m.Wasm.Payload = append([]byte(nil), b...)
	}
}

// SmartModuleMetadata is a SmartModule's package and parameters.
type SmartModuleMetadata struct {
	Package SmartModulePackage
	Params  map[string]SmartModuleParam // BTreeMap, ascending keys
}

// SmartModuleParam declares one parameter.
type SmartModuleParam struct {
	Description *string
	Optional    bool
}

// Encode appends the metadata at version.
func (m *SmartModuleMetadata) Encode(dst []byte, version int16) []byte {
	dst = m.Package.Encode(dst, version)
	dst = AppendMapLen(dst, len(m.Params))
	for _, k := range sortedKeys(m.Params) {
		p := m.Params[k]
		dst = AppendString(dst, k)
		dst = AppendOptString(dst, p.Description)
		dst = AppendBool(dst, p.Optional)
	}
	return dst
}

// Decode reads the metadata at version.
func (m *SmartModuleMetadata) Decode(r *Reader, version int16) {
	*m = SmartModuleMetadata{}
	m.Package.Decode(r, version)
	if n := r.MapLen(4); n > 0 {
		m.Params = make(map[string]SmartModuleParam, n)
		for range n {
			k := r.String()
			m.Params[k] = SmartModuleParam{Description: r.OptString(), Optional: r.Bool()}
		}
	}
}

// SmartModuleVisibility says whether a Hub package is public.
type SmartModuleVisibility uint8

// SmartModuleVisibility values.
const (
	SmartModulePrivate SmartModuleVisibility = 0
	SmartModulePublic  SmartModuleVisibility = 1
)

// SmartModulePackage identifies a packaged SmartModule. Version and
// APIVersion must be semver strings: the Rust decoder rejects others, and so
// does Decode.
type SmartModulePackage struct {
	Name        string
	Group       string
	Version     string
	APIVersion  string
	Description *string
	License     *string
	Visibility  SmartModuleVisibility // v19+
	Repository  *string
}

// semverRe is SemVer 2.0.0 as the Rust semver crate parses it.
var semverRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// Encode appends the package at version.
func (m *SmartModulePackage) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, m.Name)
	dst = AppendString(dst, m.Group)
	dst = AppendString(dst, m.Version)
	dst = AppendString(dst, m.APIVersion)
	dst = AppendOptString(dst, m.Description)
	dst = AppendOptString(dst, m.License)
	if version >= 19 {
		dst = AppendUint8(dst, uint8(m.Visibility))
	}
	return AppendOptString(dst, m.Repository)
}

// Decode reads the package at version.
func (m *SmartModulePackage) Decode(r *Reader, version int16) {
	*m = SmartModulePackage{Name: r.String(), Group: r.String(), Version: r.String(), APIVersion: r.String()}
	if r.Err() == nil {
		for _, v := range []string{m.Version, m.APIVersion} {
			if !semverRe.MatchString(v) {
				r.Failf("SmartModule package version %q is not semver", v)
				return
			}
		}
	}
	m.Description = r.OptString()
	m.License = r.OptString()
	if version >= 19 {
		m.Visibility = SmartModuleVisibility(scTag(r, "SmartModuleVisibility", uint8(SmartModulePublic)))
	}
	m.Repository = r.OptString()
}

// SmartModuleStatus is empty: it encodes to 0 bytes.
type SmartModuleStatus struct{}

// Encode appends nothing.
func (m *SmartModuleStatus) Encode(dst []byte, version int16) []byte { return dst }

// Decode reads nothing.
func (m *SmartModuleStatus) Decode(r *Reader, version int16) {}

// ---- TableFormat ----

// DataFormat is a table format's input format; JSON is the only one.
type DataFormat uint8

// DataFormatJSON is the JSON input format.
const DataFormatJSON DataFormat = 0

// TableFormatAlignment is a column's alignment.
type TableFormatAlignment uint8

// TableFormatAlignment values.
const (
	AlignLeft   TableFormatAlignment = 0
	AlignRight  TableFormatAlignment = 1
	AlignCenter TableFormatAlignment = 2
)

// Color is a header color.
type Color uint8

// Color values.
const (
	ColorBlue   Color = 0
	ColorYellow Color = 1
	ColorGreen  Color = 2
)

// TableFormatSpec describes how `fluvio consume --output full-table`
// renders JSON records.
type TableFormatSpec struct {
	Name        string
	InputFormat *DataFormat
	Columns     *[]TableFormatColumnConfig // Option<Vec<…>>
	SmartModule *string
}

// TableFormatColumnConfig is one column.
type TableFormatColumnConfig struct {
	HeaderLabel     *string
	Width           *string
	Alignment       *TableFormatAlignment
	KeyPath         string
	Format          *string
	Display         *bool
	PrimaryKey      *bool
	HeaderBgColor   *Color
	HeaderTextColor *Color
}

func appendEnum8[T ~uint8](dst []byte, v T) []byte { return append(dst, uint8(v)) }

// Encode appends the spec.
func (m *TableFormatSpec) Encode(dst []byte, version int16) []byte {
	dst = AppendString(dst, m.Name)
	dst = scAppendOpt(dst, m.InputFormat, appendEnum8)
	if m.Columns == nil {
		dst = append(dst, 0)
	} else {
		cols := *m.Columns
		dst = AppendArrayLen(append(dst, 1), len(cols))
		for _, c := range cols {
			dst = AppendOptString(dst, c.HeaderLabel)
			dst = AppendOptString(dst, c.Width)
			dst = scAppendOpt(dst, c.Alignment, appendEnum8)
			dst = AppendString(dst, c.KeyPath)
			dst = AppendOptString(dst, c.Format)
			dst = scAppendOpt(dst, c.Display, AppendBool)
			dst = scAppendOpt(dst, c.PrimaryKey, AppendBool)
			dst = scAppendOpt(dst, c.HeaderBgColor, appendEnum8)
			dst = scAppendOpt(dst, c.HeaderTextColor, appendEnum8)
		}
	}
	return AppendOptString(dst, m.SmartModule)
}

// Decode reads the spec.
func (m *TableFormatSpec) Decode(r *Reader, version int16) {
	*m = TableFormatSpec{Name: r.String()}
	m.InputFormat = scReadOpt(r, func() DataFormat { return DataFormat(scTag(r, "DataFormat", uint8(DataFormatJSON))) })
	if r.Bool() {
		cols := make([]TableFormatColumnConfig, r.ArrayLen(10))
		color := func() Color { return Color(scTag(r, "Color", uint8(ColorGreen))) }
		for i := range cols {
			c := &cols[i]
			c.HeaderLabel = r.OptString()
			c.Width = r.OptString()
			c.Alignment = scReadOpt(r, func() TableFormatAlignment {
				return TableFormatAlignment(scTag(r, "TableFormatAlignment", uint8(AlignCenter)))
			})
			c.KeyPath = r.String()
			c.Format = r.OptString()
			c.Display = scReadOpt(r, r.Bool)
			c.PrimaryKey = scReadOpt(r, r.Bool)
			c.HeaderBgColor = scReadOpt(r, color)
			c.HeaderTextColor = scReadOpt(r, color)
		}
		m.Columns = &cols
	}
	m.SmartModule = r.OptString()
}

// TableFormatResolution is a table format's state.
type TableFormatResolution uint8

// TableFormatResolution values.
const (
	TableFormatStatusInit    TableFormatResolution = 0
	TableFormatStatusInvalid TableFormatResolution = 1
	TableFormatStatusRunning TableFormatResolution = 2
	TableFormatStatusPending TableFormatResolution = 3
	TableFormatStatusFailed  TableFormatResolution = 4
)

// TableFormatStatus is a table format's observed state.
type TableFormatStatus struct {
	Resolution TableFormatResolution
	Reason     *string
}

// Encode appends the status.
func (m *TableFormatStatus) Encode(dst []byte, version int16) []byte {
	return AppendOptString(AppendUint8(dst, uint8(m.Resolution)), m.Reason)
}

// Decode reads the status.
func (m *TableFormatStatus) Decode(r *Reader, version int16) {
	*m = TableFormatStatus{Resolution: TableFormatResolution(scTag(r, "TableFormatStatusResolution", uint8(TableFormatStatusFailed)))}
	m.Reason = r.OptString()
}
