package protocol

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func scPtr[T any](v T) *T { return &v }

// scDecodeExact decodes b into m at version and requires every byte consumed.
func scDecodeExact(t testing.TB, m Message, b []byte, version int16) {
	t.Helper()
	r := NewReader(b)
	m.Decode(r, version)
	require.NoError(t, r.Err())
	require.Zero(t, r.Remaining(), "trailing bytes")
}

func TestSCObjectsCapturedLayouts(t *testing.T) {
	tests := []struct {
		name string
		hex  string // spec bytes from spec §7.2/§7.3 at v16
		want Message
	}{
		{
			name: "SpuSpec 5001 at 127.0.0.1:19010",
			hex:  "00001389" + "01" + "4a42" + "00000001" + "01" + "00093132372e302e302e31" + "00" + "00" + "4a43" + "00093132372e302e302e31" + "00" + "00" + "00",
			want: &SpuSpec{
				ID: 5001, Type: SpuTypeCustom,
				PublicEndpoint:  IngressPort{Port: 19010, Ingress: []IngressAddr{{Hostname: scPtr("127.0.0.1")}}},
				PrivateEndpoint: Endpoint{Port: 19011, Host: "127.0.0.1"},
			},
		},
		{
			name: "PartitionSpec leader 5001",
			hex:  "00001389" + "00000001" + "00001389" + "00" + "00" + "04" + "00" + "00" + "00",
			want: &PartitionSpec{Leader: 5001, Replicas: []int32{5001}, CompressionType: TopicCompressionAny},
		},
		{
			name: "PartitionStatus online",
			hex:  "01" + "00001389" + "0000000000000000" + "0000000000000000" + "00000000" + "00000000" + "0000000000000000" + "00" + "0000000000000000",
			want: &PartitionStatus{Resolution: PartitionOnline, Leader: ReplicaStatus{SPU: 5001}},
		},
		{
			name: "TopicSpec computed 1x1",
			hex:  "01" + "00000001" + "00000001" + "00" + "00" + "00" + "04" + "00" + "00",
			want: NewComputedTopicSpec(1, 1),
		},
		{
			name: "TopicStatus provisioned",
			hex:  "04" + "0001" + "00000000" + "00000001" + "00001389" + "0000" + "0000",
			want: &TopicStatus{Resolution: TopicProvisioned, ReplicaMap: map[uint32][]int32{0: {5001}}},
		},
		{name: "SpuStatus online", hex: "00", want: &SpuStatus{Resolution: SpuStatusOnline}},
		{name: "SmartModuleStatus is empty", hex: "", want: &SmartModuleStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustHex(t, tt.hex)
			require.Equal(t, b, tt.want.Encode([]byte{}, 16))
			got := scNewLike(tt.want)
			scDecodeExact(t, got, b, 16)
			require.Equal(t, tt.want, got)
		})
	}
}

// scNewLike returns a fresh zero value of m's concrete type.
func scNewLike(m Message) Message {
	switch m.(type) {
	case *TopicSpec:
		return &TopicSpec{}
	case *TopicStatus:
		return &TopicStatus{}
	case *PartitionSpec:
		return &PartitionSpec{}
	case *PartitionStatus:
		return &PartitionStatus{}
	case *SpuSpec:
		return &SpuSpec{}
	case *SpuStatus:
		return &SpuStatus{}
	case *CustomSpuSpec:
		return &CustomSpuSpec{}
	case *CustomSpuKey:
		return &CustomSpuKey{}
	case *SpuGroupSpec:
		return &SpuGroupSpec{}
	case *SpuGroupStatus:
		return &SpuGroupStatus{}
	case *SmartModuleSpec:
		return &SmartModuleSpec{}
	case *SmartModuleStatus:
		return &SmartModuleStatus{}
	case *TableFormatSpec:
		return &TableFormatSpec{}
	case *TableFormatStatus:
		return &TableFormatStatus{}
	}
	panic("scNewLike: unhandled type")
}

// scFullObjects returns every object type with every optional field set, for
// round trips at the highest version.
func scFullObjects() map[string]Message {
	age := 90 * time.Second
	return map[string]Message{
		"TopicSpec/assigned": &TopicSpec{
			Replicas: ReplicaSpec{Kind: ReplicaAssigned, Assigned: []PartitionMap{
				{ID: 0, Replicas: []int32{1, 2}},
				{ID: 1, Replicas: []int32{2, 1}, Mirror: &PartitionMirrorConfig{Kind: MirrorHome, Home: HomePartitionConfig{RemoteCluster: "edge", RemoteReplica: "t-1", Source: true}}},
			}},
			CleanupPolicy:   &CleanupPolicy{Segment: SegmentBasedPolicy{TimeInSeconds: 604800}},
			Storage:         &TopicStorageConfig{SegmentSize: scPtr(uint32(512000000)), MaxPartitionSize: scPtr(uint64(2048000000))},
			CompressionType: TopicCompressionZstd,
			Deduplication: &Deduplication{
				Bounds: DeduplicationBounds{Count: 100, Age: &age},
				Filter: DeduplicationFilter{Transform: DeduplicationTransform{Uses: "fluvio/dedup-filter@0.0.2", With: map[string]string{"b": "2", "a": "1"}}},
			},
			System: true,
		},
		"TopicSpec/mirror-remote": &TopicSpec{
			Replicas: ReplicaSpec{Kind: ReplicaMirror, Mirror: MirrorConfig{Kind: MirrorRemote, Remote: RemoteMirrorConfig{
				HomeCluster: "home", HomeSpus: []SpuMirrorConfig{{ID: 5001, Key: "k", Endpoint: "127.0.0.1:9010"}}, Target: true,
			}}},
			CompressionType: TopicCompressionAny,
		},
		"TopicSpec/mirror-home": &TopicSpec{
			Replicas: ReplicaSpec{Kind: ReplicaMirror, Mirror: MirrorConfig{Kind: MirrorHome, Home: HomeMirrorConfig{
				Partitions: []HomePartitionConfig{{RemoteCluster: "r1", RemoteReplica: "t-0"}}, Source: true,
			}}},
			CompressionType: TopicCompressionGzip,
		},
		"TopicStatus": &TopicStatus{
			Resolution: TopicInsufficientResources,
			ReplicaMap: map[uint32][]int32{2: {3}, 0: {1, 2}, 1: {2}},
			MirrorMap: map[uint32]PartitionMirrorConfig{
				1: {Kind: MirrorRemote, Remote: RemotePartitionConfig{HomeCluster: "h", HomeSpuKey: "k", HomeSpuID: 7, HomeSpuEndpoint: "e", Target: true}},
				0: {Kind: MirrorHome, Home: HomePartitionConfig{RemoteCluster: "r", RemoteReplica: "t-0"}},
			},
			Reason: "need 3 SPUs",
		},
		"PartitionSpec": &PartitionSpec{
			Leader: 1, Replicas: []int32{1, 2},
			CleanupPolicy:   &CleanupPolicy{Segment: SegmentBasedPolicy{TimeInSeconds: 60}},
			Storage:         &TopicStorageConfig{SegmentSize: scPtr(uint32(1024))},
			CompressionType: TopicCompressionLz4, System: true,
			Deduplication: &Deduplication{Bounds: DeduplicationBounds{Count: 1}, Filter: DeduplicationFilter{Transform: DeduplicationTransform{Uses: "x"}}},
			Mirror:        &PartitionMirrorConfig{Kind: MirrorRemote, Remote: RemotePartitionConfig{HomeCluster: "h", HomeSpuID: 1}},
		},
		"PartitionStatus": &PartitionStatus{
			Resolution: PartitionOutOfStorage, Leader: ReplicaStatus{SPU: 1, HW: 10, LEO: 12}, LSR: 2,
			Replicas: []ReplicaStatus{{SPU: 2, HW: 9, LEO: 11}, NewReplicaStatus()}, Size: 4096, IsBeingDeleted: true, BaseOffset: 5,
		},
		"SpuSpec": &SpuSpec{
			ID: 5002, Type: SpuTypeManaged,
			PublicEndpoint:      IngressPort{Port: 9010, Ingress: []IngressAddr{{IP: scPtr("10.0.0.1")}, {Hostname: scPtr("spu"), IP: scPtr("10.0.0.2")}}, Encryption: EncryptionSSL},
			PrivateEndpoint:     Endpoint{Port: 9011, Host: "spu.internal", Encryption: EncryptionSSL},
			Rack:                scPtr("r1"),
			PublicEndpointLocal: &Endpoint{Port: 9010, Host: "localhost"},
		},
		"SpuStatus":         &SpuStatus{Resolution: SpuStatusInit},
		"CustomSpuSpec":     &CustomSpuSpec{ID: 5003, PublicEndpoint: IngressPort{Port: 1}, PrivateEndpoint: Endpoint{Port: 2, Host: "h"}, Rack: scPtr("r"), PublicEndpointLocal: &Endpoint{Port: 3, Host: "l"}},
		"CustomSpuKey/name": &CustomSpuKey{Name: "custom-spu-1"},
		"CustomSpuKey/id":   &CustomSpuKey{ByID: true, ID: 5003},
		"SpuGroupSpec": &SpuGroupSpec{Replicas: 3, MinID: 100, SpuConfig: SpuConfig{
			Rack: scPtr("r"), Replication: &ReplicationConfig{InSyncReplicaMin: scPtr(uint16(2))},
			Storage: &SpuStorageConfig{LogDir: scPtr("/data"), Size: scPtr("10Gi")}, Env: []EnvVar{{Name: "RUST_LOG", Value: "info"}},
		}},
		"SpuGroupStatus": &SpuGroupStatus{Resolution: SpuGroupInvalid, Reason: scPtr("bad")},
		"SmartModuleSpec": &SmartModuleSpec{
			Meta: &SmartModuleMetadata{
				Package: SmartModulePackage{Name: "my-map", Group: "me", Version: "0.1.0", APIVersion: "0.1.0", Description: scPtr("d"), License: scPtr("MIT"), Visibility: SmartModulePublic, Repository: scPtr("https://x")},
				Params:  map[string]SmartModuleParam{"key": {Description: scPtr("k"), Optional: true}, "a": {}},
			},
			Summary: &SmartModuleWasmSummary{WasmLength: 4},
			Wasm:    SmartModuleSpecWasm{Format: WasmFormatText, Payload: []byte{0x1f, 0x8b, 0, 1}},
		},
		"SmartModuleStatus": &SmartModuleStatus{},
		"TableFormatSpec": &TableFormatSpec{
			Name: "tf", InputFormat: scPtr(DataFormatJSON),
			Columns: &[]TableFormatColumnConfig{{
				HeaderLabel: scPtr("H"), Width: scPtr("10"), Alignment: scPtr(AlignRight), KeyPath: "a.b", Format: scPtr("{}"),
				Display: scPtr(true), PrimaryKey: scPtr(false), HeaderBgColor: scPtr(ColorGreen), HeaderTextColor: scPtr(ColorYellow),
			}, {KeyPath: "c"}},
			SmartModule: scPtr("sm"),
		},
		"TableFormatStatus": &TableFormatStatus{Resolution: TableFormatStatusFailed, Reason: scPtr("x")},
	}
}

func TestSCObjectsRoundTripAtHead(t *testing.T) {
	for name, m := range scFullObjects() {
		t.Run(name, func(t *testing.T) {
			b := m.Encode(nil, 19)
			got := scNewLike(m)
			scDecodeExact(t, got, b, 19)
			require.Equal(t, m, got)
			require.Equal(t, b, got.Encode(nil, 19))
		})
	}
}

func TestSCObjectsVersionGates(t *testing.T) {
	full := scFullObjects()
	spec := full["TopicSpec/assigned"].(*TopicSpec)
	// At v2 only the replica spec is present; gated fields take their defaults.
	var got TopicSpec
	scDecodeExact(t, &got, spec.Encode(nil, 2), 2)
	require.Equal(t, TopicSpec{Replicas: ReplicaSpec{Kind: ReplicaAssigned, Assigned: []PartitionMap{
		{ID: 0, Replicas: []int32{1, 2}}, {ID: 1, Replicas: []int32{2, 1}},
	}}, CompressionType: TopicCompressionAny}, got)

	// v17 drops HEAD-only mirror booleans; v18 keeps them.
	remote := full["TopicSpec/mirror-remote"].(*TopicSpec)
	require.Len(t, remote.Encode(nil, 18), len(remote.Encode(nil, 17))+1)

	// Below v19 OutOfStorage is sent as Offline, and visibility is absent.
	ps := full["PartitionStatus"].(*PartitionStatus)
	var gotPS PartitionStatus
	scDecodeExact(t, &gotPS, ps.Encode(nil, 16), 16)
	require.Equal(t, PartitionOffline, gotPS.Resolution)
	scDecodeExact(t, &gotPS, ps.Encode(nil, 4), 4)
	require.Equal(t, PartitionSizeNotSupported, gotPS.Size)
	require.Zero(t, gotPS.BaseOffset)

	sm := full["SmartModuleSpec"].(*SmartModuleSpec)
	var gotSM SmartModuleSpec
	scDecodeExact(t, &gotSM, sm.Encode(nil, 16), 16)
	require.Equal(t, SmartModulePrivate, gotSM.Meta.Package.Visibility)
	require.Len(t, sm.Encode(nil, 19), len(sm.Encode(nil, 16))+1)

	// SpuSpec.public_endpoint_local appears from v1; CustomSpuSpec's is never gated.
	spu := full["SpuSpec"].(*SpuSpec)
	var gotSpu SpuSpec
	scDecodeExact(t, &gotSpu, spu.Encode(nil, 0), 0)
	require.Nil(t, gotSpu.PublicEndpointLocal)
	cs := full["CustomSpuSpec"].(*CustomSpuSpec)
	require.Equal(t, cs.Encode(nil, 0), cs.Encode(nil, 16))
}

func TestSCObjectsRejectInvalid(t *testing.T) {
	tests := []struct {
		name    string
		m       Message
		hex     string
		version int16
	}{
		{"ReplicaSpec tag 3", &TopicSpec{}, "03", 16},
		{"CompressionAlgorithm 6", &TopicSpec{}, "01" + "00000001" + "00000001" + "00" + "00" + "00" + "06" + "00" + "00", 16},
		{"CleanupPolicy tag 1", &TopicSpec{}, "01" + "00000001" + "00000001" + "00" + "01" + "01" + "00000000", 16},
		{"TopicResolution 6", &TopicStatus{}, "06" + "0000" + "0000" + "0000", 16},
		{"PartitionResolution 5", &PartitionStatus{}, "05", 16},
		{"SpuType 2", &SpuSpec{}, "00000001" + "02", 16},
		{"Encryption 2", &SpuSpec{}, "00000001" + "00" + "0001" + "00000000" + "02", 16},
		{"bool 2", &SpuStatus{}, "03", 16},
		{"CustomSpuKey kind", &CustomSpuKey{}, "0003" + "466f6f" + "00000001", 16},
		{"SmartModule legacy layout", &SmartModuleSpec{}, "00", 9},
		{"SmartModule bad semver", &SmartModuleSpec{}, "01" + "0001" + "61" + "0000" + "0003" + "312e30" + "0005" + "302e312e30", 16},
		{"replica map count beyond frame", &TopicStatus{}, "04" + "ffff" + "00000000", 16},
		{"replicas count beyond frame", &PartitionSpec{}, "00000001" + "7fffffff", 16},
		{"truncated", &SpuSpec{}, "000013", 16},
		{"duration overflow", &TopicSpec{}, "01" + "00000001" + "00000001" + "00" + "00" + "00" + "04" + "01" + "0000000000000001" + "01" + "ffffffffffffffff" + "00000000", 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(mustHex(t, tt.hex))
			tt.m.Decode(r, tt.version)
			require.Error(t, r.Err())
		})
	}
}

func TestNewObject(t *testing.T) {
	for _, label := range Labels {
		spec, status, ok := NewObject(label)
		require.True(t, ok, label)
		require.NotNil(t, spec)
		require.NotNil(t, status)
	}
	spec, _, ok := NewObject(LabelCustomSpu)
	require.True(t, ok)
	require.IsType(t, &CustomSpuSpec{}, spec)
	_, _, ok = NewObject("Mirror")
	require.False(t, ok)
	_, _, ok = NewObject("topic")
	require.False(t, ok, "labels are case-sensitive")
}

func TestCustomSpuKeyString(t *testing.T) {
	require.Equal(t, "5003", CustomSpuKey{ByID: true, ID: 5003}.String())
	require.Equal(t, "c1", CustomSpuKey{Name: "c1"}.String())
	require.Equal(t, mustHex(t, "00044e616d65"+"00026331"), (&CustomSpuKey{Name: "c1"}).Encode(nil, 16))
	require.Equal(t, mustHex(t, "00024964"+"0000138b"), (&CustomSpuKey{ByID: true, ID: 5003}).Encode(nil, 16))
}
