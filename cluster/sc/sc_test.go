package sc

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

func u32(v uint32) *uint32 { return &v }
func u64(v uint64) *uint64 { return &v }

func TestApiVersions(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	resp := &protocol.ApiVersionsResponse{}
	recvInto(t, c.send(protocol.KeyApiVersions, 2, &protocol.ApiVersionsRequest{ClientVersion: "0.14.9", ClientOS: "linux", ClientArch: "x86_64"}), 2, resp)
	require.Equal(t, "0.11.11", resp.PlatformVersion)
	vr, ok := resp.Lookup(protocol.KeyWatch)
	require.True(t, ok)
	require.Equal(t, protocol.VersionRange{Min: 15, Max: 16}, vr)
	require.Len(t, resp.APIKeys, len(protocol.SCVersions))
}

func TestConsumerOffsetTopicAtStart(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	require.Empty(t, c.list(protocol.LabelTopic, false), "system topics are not listed by default")
	sys := c.list(protocol.LabelTopic, true)
	require.Equal(t, []string{ConsumerOffsetTopic}, names(sys))
	spec := sys[0].Spec.(*protocol.TopicSpec)
	require.True(t, spec.System)
	require.Equal(t, uint32(604800), spec.CleanupPolicy.Segment.TimeInSeconds)
	require.Equal(t, uint32(512000000), *spec.Storage.SegmentSize)
	require.Equal(t, uint64(2048000000), *spec.Storage.MaxPartitionSize)
	require.Equal(t, protocol.TopicPending, sys[0].Status.(*protocol.TopicStatus).Resolution)

	// Once an SPU is online the system topic is assigned to it and pushed.
	spu := connectSPU(t, s, 5001)
	up := next[*controlplane.UpdateReplicas](t, spu)
	for len(up.Replicas) == 0 {
		up = next[*controlplane.UpdateReplicas](t, spu)
	}
	require.Equal(t, controlplane.ReplicaKey{Topic: ConsumerOffsetTopic, Partition: 0}, up.Replicas[0].ReplicaKey)
	require.Equal(t, int32(5001), up.Replicas[0].Leader)
	require.Equal(t, controlplane.ReplicaConfig{Compression: protocol.TopicCompressionAny, RetentionSeconds: 604800,
		SegmentSize: 512000000, MaxPartitionSize: 2048000000, System: true}, up.Replicas[0].Config)
	parts := c.list(protocol.LabelPartition, false)
	require.Equal(t, []string{"consumer-offset-0"}, names(parts))
	require.Equal(t, protocol.TopicProvisioned, c.list(protocol.LabelTopic, true)[0].Status.(*protocol.TopicStatus).Resolution)
}

func TestCreateTopicValidation(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	connectSPU(t, s, 5001)
	eventually(t, func() bool { return len(s.Controller().onlineSPUs()) == 1 }, "spu online")
	require.NoError(t, c.createTopic("exists", protocol.NewComputedTopicSpec(1, 1), false).Err())

	withCleanup := func(secs uint32) *protocol.TopicSpec {
		s := protocol.NewComputedTopicSpec(1, 1)
		s.CleanupPolicy = &protocol.CleanupPolicy{Segment: protocol.SegmentBasedPolicy{TimeInSeconds: secs}}
		return s
	}
	withStorage := func(seg *uint32, maxp *uint64) *protocol.TopicSpec {
		s := protocol.NewComputedTopicSpec(1, 1)
		s.Storage = &protocol.TopicStorageConfig{SegmentSize: seg, MaxPartitionSize: maxp}
		return s
	}
	assigned := func(maps ...protocol.PartitionMap) *protocol.TopicSpec {
		return &protocol.TopicSpec{Replicas: protocol.ReplicaSpec{Kind: protocol.ReplicaAssigned, Assigned: maps}, CompressionType: protocol.TopicCompressionAny}
	}
	tests := []struct {
		name    string
		topic   string
		spec    *protocol.TopicSpec
		code    protocol.Code
		message string
	}{
		{"upper case name", "Bad", protocol.NewComputedTopicSpec(1, 1), protocol.TopicInvalidName, "invalid topic name"},
		{"leading dash", "-a", protocol.NewComputedTopicSpec(1, 1), protocol.TopicInvalidName, "invalid topic name"},
		{"trailing dash", "a-", protocol.NewComputedTopicSpec(1, 1), protocol.TopicInvalidName, ""},
		{"underscore", "a_b", protocol.NewComputedTopicSpec(1, 1), protocol.TopicInvalidName, ""},
		{"too long", string(bytes.Repeat([]byte("a"), 64)), protocol.NewComputedTopicSpec(1, 1), protocol.TopicInvalidName, ""},
		{"empty", "", protocol.NewComputedTopicSpec(1, 1), protocol.TopicInvalidName, ""},
		{"exists", "exists", protocol.NewComputedTopicSpec(1, 1), protocol.TopicAlreadyExists, "already exists"},
		{"retention below 10s", "r", withCleanup(9), protocol.TopicInvalidConfiguration, "retention"},
		{"segment below 1024", "s", withStorage(u32(1023), nil), protocol.TopicInvalidConfiguration, "segment size"},
		{"max partition below 2048", "m", withStorage(nil, u64(2047)), protocol.TopicInvalidConfiguration, "max partition size"},
		{"max partition below segment", "m2", withStorage(u32(4096), u64(4095)), protocol.TopicInvalidConfiguration, "smaller than the segment size"},
		{"replication above online SPUs", "rf", protocol.NewComputedTopicSpec(1, 2), protocol.TopicError, "replication factor 2 is greater than the 1 online SPU"},
		{"zero partitions", "zp", protocol.NewComputedTopicSpec(0, 1), protocol.TopicError, "partitions"},
		{"assigned to unknown SPU", "as", assigned(protocol.PartitionMap{ID: 0, Replicas: []int32{9}}), protocol.TopicError, "SPU 9"},
		{"assigned with gap", "as2", assigned(protocol.PartitionMap{ID: 1, Replicas: []int32{5001}}), protocol.TopicError, "partition ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := c.createTopic(tt.topic, tt.spec, false)
			require.Equal(t, tt.code, st.ErrorCode.Code, "status %+v", st)
			require.Equal(t, tt.topic, st.Name)
			if tt.message != "" {
				require.NotNil(t, st.ErrorMessage)
				require.Contains(t, *st.ErrorMessage, tt.message)
			}
		})
	}
	require.Equal(t, []string{"exists"}, names(c.list(protocol.LabelTopic, false)), "failed creates store nothing")

	// Dry run validates without storing.
	require.NoError(t, c.createTopic("dry", protocol.NewComputedTopicSpec(2, 1), true).Err())
	require.Equal(t, protocol.TopicInvalidName, c.createTopic("Dry", protocol.NewComputedTopicSpec(2, 1), true).ErrorCode.Code)
	require.Empty(t, c.list(protocol.LabelTopic, false, "dry"))

	// Explicit assignment.
	require.NoError(t, c.createTopic("manual", assigned(protocol.PartitionMap{ID: 0, Replicas: []int32{5001}}), false).Err())
	parts := c.list(protocol.LabelPartition, false, "manual")
	require.Equal(t, []string{"manual-0"}, names(parts))
}

func TestNoSPUOnline(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	st := c.createTopic("t", protocol.NewComputedTopicSpec(1, 1), false)
	require.Equal(t, protocol.TopicError, st.ErrorCode.Code)
	require.Contains(t, *st.ErrorMessage, "no SPU is online")
}

func TestTopicLifecycleAndWatch(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	spu := connectSPU(t, s, 5001)
	spu2 := connectSPU(t, s, 5002)
	eventually(t, func() bool { return len(s.Controller().onlineSPUs()) == 2 }, "spus online")

	topics := c.send(protocol.KeyWatch, v, &protocol.WatchRequest{Label: protocol.LabelTopic})
	partitions := c.send(protocol.KeyWatch, v, &protocol.WatchRequest{Label: protocol.LabelPartition})
	w := &protocol.WatchResponse{}
	recvInto(t, topics, v, w)
	require.Equal(t, protocol.LabelTopic, w.Label)
	require.Equal(t, []string{ConsumerOffsetTopic}, names(w.All), "full sync includes system topics")
	require.Empty(t, w.Changes)
	recvInto(t, partitions, v, w)
	require.Equal(t, []string{"consumer-offset-0"}, names(w.All))

	// Create: an incremental Topic UPDATE, partitions spread over both SPUs.
	require.NoError(t, c.createTopic("orders", protocol.NewComputedTopicSpec(2, 2), false).Err())
	recvInto(t, topics, v, w)
	require.Empty(t, w.All)
	require.Len(t, w.Changes, 1)
	require.Equal(t, protocol.MsgUpdate, w.Changes[0].Op)
	require.Equal(t, "orders", w.Changes[0].Object.Name)
	ts := w.Changes[0].Object.Status.(*protocol.TopicStatus)
	require.Equal(t, protocol.TopicProvisioned, ts.Resolution)
	require.Len(t, ts.ReplicaMap, 2)
	require.NotEqual(t, ts.ReplicaMap[0][0], ts.ReplicaMap[1][0], "leaders round-robin")
	require.Greater(t, w.Epoch, int64(0))

	leaders := map[string]int32{}
	for len(leaders) < 2 {
		recvInto(t, partitions, v, w)
		for _, ch := range w.Changes {
			leaders[ch.Object.Name] = ch.Object.Spec.(*protocol.PartitionSpec).Leader
		}
	}
	require.ElementsMatch(t, []int32{5001, 5002}, []int32{leaders["orders-0"], leaders["orders-1"]})

	// Both SPUs host both partitions (replication 2).
	for _, f := range []*fakeSPU{spu, spu2} {
		got := map[string]bool{}
		for len(got) < 2 {
			up := next[*controlplane.UpdateReplicas](t, f)
			for _, r := range up.Replicas {
				if r.Topic == "orders" {
					got[r.String()] = true
					require.Len(t, r.Replicas, 2)
				}
			}
		}
	}

	// The leader's report makes the partition Online with its offsets.
	var leader *fakeSPU
	if leaders["orders-0"] == 5001 {
		leader = spu
	} else {
		leader = spu2
	}
	require.NoError(t, leader.conn.Send(&controlplane.ReplicaStatusReport{Replicas: []controlplane.ReplicaStatus{
		{ReplicaKey: controlplane.ReplicaKey{Topic: "orders", Partition: 0}, HW: 7, LEO: 9, Size: 1234, LogStart: 2}}}))
	for {
		recvInto(t, partitions, v, w)
		if len(w.Changes) == 1 && w.Changes[0].Object.Name == "orders-0" {
			ps := w.Changes[0].Object.Status.(*protocol.PartitionStatus)
			if ps.Resolution == protocol.PartitionOnline {
				require.Equal(t, int64(7), ps.Leader.HW)
				require.Equal(t, int64(9), ps.Leader.LEO)
				require.Equal(t, int64(1234), ps.Size)
				require.Equal(t, int64(2), ps.BaseOffset)
				break
			}
		}
	}

	// Add a partition.
	st := &protocol.Status{}
	c.call(protocol.KeyUpdate, &protocol.UpdateRequest{Label: protocol.LabelTopic, Key: "orders",
		TopicAction: protocol.UpdateTopicAction{Kind: protocol.UpdateAddPartition, Count: 1}}, st)
	require.NoError(t, st.Err())
	require.Equal(t, []string{"orders-0", "orders-1", "orders-2"}, names(c.list(protocol.LabelPartition, false, "orders")))
	require.Equal(t, uint32(3), c.list(protocol.LabelTopic, false, "orders")[0].Spec.(*protocol.TopicSpec).Partitions())

	// Delete: errors first, then a Topic DELETE change and Removed pushes.
	del := func(name string, force bool) *protocol.Status {
		st := &protocol.Status{}
		c.call(protocol.KeyDelete, &protocol.DeleteRequest{Label: protocol.LabelTopic, Key: name, Force: force}, st)
		return st
	}
	require.Equal(t, protocol.TopicNotFound, del("nope", false).ErrorCode.Code)
	sys := del(ConsumerOffsetTopic, false)
	require.Equal(t, protocol.SystemSpecDeletionAttempt, sys.ErrorCode.Code)
	require.Equal(t, "topic", sys.ErrorCode.Message)
	require.Equal(t, ConsumerOffsetTopic, sys.ErrorCode.Message2)
	require.NoError(t, del("orders", false).Err())
	for {
		recvInto(t, topics, v, w)
		if len(w.Changes) > 0 && w.Changes[len(w.Changes)-1].Op == protocol.MsgDelete {
			require.Equal(t, "orders", w.Changes[len(w.Changes)-1].Object.Name)
			break
		}
	}
	removed := map[string]bool{}
	for len(removed) < 3 {
		up := next[*controlplane.UpdateReplicas](t, spu)
		for _, k := range up.Removed {
			removed[k.String()] = true
		}
	}
	require.Empty(t, c.list(protocol.LabelPartition, false, "orders"))
}

func TestListFilters(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	connectSPU(t, s, 5001)
	eventually(t, func() bool { return len(s.Controller().onlineSPUs()) == 1 }, "spu online")
	for _, n := range []string{"alpha", "beta", "alphabet"} {
		require.NoError(t, c.createTopic(n, protocol.NewComputedTopicSpec(1, 1), false).Err())
	}
	require.Equal(t, []string{"alpha", "alphabet", "beta"}, names(c.list(protocol.LabelTopic, false)))
	require.Equal(t, []string{"alpha", "alphabet"}, names(c.list(protocol.LabelTopic, false, "lph")))
	require.Equal(t, []string{"alphabet", "beta"}, names(c.list(protocol.LabelTopic, false, "bet")))
	require.Equal(t, []string{"alpha", "alphabet", "beta"}, names(c.list(protocol.LabelTopic, false, "beta", "alpha")))
	require.Empty(t, c.list(protocol.LabelTopic, false, "offset"))
	require.Equal(t, []string{ConsumerOffsetTopic}, names(c.list(protocol.LabelTopic, true, "offset")))
}

func TestSPURegistration(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	spus := c.send(protocol.KeyWatch, v, &protocol.WatchRequest{Label: protocol.LabelSPU})
	w := &protocol.WatchResponse{}
	recvInto(t, spus, v, w)
	require.Empty(t, w.All)

	spu := connectSPU(t, s, 5001)
	recvInto(t, spus, v, w)
	var obj protocol.Metadata
	for _, ch := range w.Changes {
		obj = ch.Object
	}
	for obj.Status.(*protocol.SpuStatus).Resolution != protocol.SpuStatusOnline {
		recvInto(t, spus, v, w)
		obj = w.Changes[len(w.Changes)-1].Object
	}
	require.Equal(t, "custom-spu-5001", obj.Name, "auto-registered as a custom SPU")
	spec := obj.Spec.(*protocol.SpuSpec)
	require.Equal(t, int32(5001), spec.ID)
	require.Equal(t, protocol.SpuTypeCustom, spec.Type)
	require.Equal(t, "localhost", *spec.PublicEndpoint.Ingress[0].Hostname)
	require.Equal(t, uint16(9001), spec.PublicEndpoint.Port)
	require.Equal(t, "127.0.0.1", spec.PrivateEndpoint.Host, "unspecified host replaced by the connection's address")
	require.Equal(t, []string{"custom-spu-5001"}, names(c.list(protocol.LabelCustomSpu, false)))

	// The SPU learns the SPU set first.
	us := next[*controlplane.UpdateSpus](t, spu)
	require.True(t, us.Full)

	// A second connection with the same id is refused.
	_, err := controlplane.Dial(t.Context(), s.PrivateAddr().String(), &controlplane.Register{SpuID: 5001})
	require.ErrorIs(t, err, controlplane.ErrRegisterRejected)
	require.Contains(t, err.Error(), "already connected")

	// Dropping the connection makes it Offline.
	spu.conn.Close()
	for {
		recvInto(t, spus, v, w)
		if len(w.Changes) > 0 && w.Changes[len(w.Changes)-1].Object.Status.(*protocol.SpuStatus).Resolution == protocol.SpuStatusOffline {
			break
		}
	}

	// A custom SPU registered through the admin API keeps its name.
	cs := &protocol.CustomSpuSpec{ID: 5002, PublicEndpoint: protocol.IngressPort{Port: 9020}, PrivateEndpoint: protocol.Endpoint{Port: 9021, Host: "localhost"}}
	st := &protocol.Status{}
	c.call(protocol.KeyCreate, &protocol.CreateRequest{Label: protocol.LabelCustomSpu, Name: "edge", Spec: cs}, st)
	require.NoError(t, st.Err())
	c.call(protocol.KeyCreate, &protocol.CreateRequest{Label: protocol.LabelCustomSpu, Name: "edge", Spec: cs}, st)
	require.Equal(t, protocol.SpuAlreadyExists, st.ErrorCode.Code)
	connectSPU(t, s, 5002)
	eventually(t, func() bool {
		o := s.Controller().Store().Get(protocol.LabelSPU, "edge")
		return o != nil && o.Status.(*protocol.SpuStatus).Resolution == protocol.SpuStatusOnline
	}, "edge online")
	c.call(protocol.KeyDelete, &protocol.DeleteRequest{Label: protocol.LabelCustomSpu, SpuKey: protocol.CustomSpuKey{ByID: true, ID: 5002}}, st)
	require.NoError(t, st.Err())
	require.Nil(t, s.Controller().Store().Get(protocol.LabelSPU, "edge"))
	c.call(protocol.KeyDelete, &protocol.DeleteRequest{Label: protocol.LabelCustomSpu, SpuKey: protocol.CustomSpuKey{Name: "edge"}}, st)
	require.Equal(t, protocol.SpuNotFound, st.ErrorCode.Code)
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func TestSmartModules(t *testing.T) {
	s := startSC(t, "")
	c := dialSC(t, s)
	spu := connectSPU(t, s, 5001)
	full := next[*controlplane.UpdateSmartModules](t, spu)
	require.True(t, full.Full)
	require.Empty(t, full.Modules)

	wasm := gz(t, []byte("\x00asm\x01\x00\x00\x00"))
	spec := &protocol.SmartModuleSpec{
		Meta: &protocol.SmartModuleMetadata{Package: protocol.SmartModulePackage{Name: "filter", Group: "acme", Version: "0.1.0", APIVersion: "0.1.0"}},
		Wasm: protocol.SmartModuleSpecWasm{Payload: wasm},
	}
	st := &protocol.Status{}
	c.call(protocol.KeyCreate, &protocol.CreateRequest{Label: protocol.LabelSmartModule, Name: "filter-acme-0.1.0", Spec: spec}, st)
	require.NoError(t, st.Err())
	bad := &protocol.SmartModuleSpec{Wasm: protocol.SmartModuleSpecWasm{Payload: []byte("\x00asm")}}
	c.call(protocol.KeyCreate, &protocol.CreateRequest{Label: protocol.LabelSmartModule, Name: "raw", Spec: bad}, st)
	require.Equal(t, protocol.SmartModuleInvalid, st.ErrorCode.Code)

	up := next[*controlplane.UpdateSmartModules](t, spu)
	require.Len(t, up.Modules, 1)
	require.Equal(t, "filter-acme-0.1.0", up.Modules[0].Name)
	require.Equal(t, "filter", up.Modules[0].Package.Name)
	require.Equal(t, wasm, up.Modules[0].Wasm)

	resp := &protocol.ListResponse{}
	c.call(protocol.KeyList, &protocol.ListRequest{Label: protocol.LabelSmartModule, Summary: true}, resp)
	require.Len(t, resp.Objects, 1)
	sum := resp.Objects[0].Spec.(*protocol.SmartModuleSpec)
	require.Empty(t, sum.Wasm.Payload)
	require.Equal(t, uint32(len(wasm)), sum.Summary.WasmLength)
	c.call(protocol.KeyList, &protocol.ListRequest{Label: protocol.LabelSmartModule}, resp)
	require.Equal(t, wasm, resp.Objects[0].Spec.(*protocol.SmartModuleSpec).Wasm.Payload)

	c.call(protocol.KeyDelete, &protocol.DeleteRequest{Label: protocol.LabelSmartModule, Key: "filter-acme-0.1.0"}, st)
	require.NoError(t, st.Err())
	up = next[*controlplane.UpdateSmartModules](t, spu)
	require.Equal(t, []string{"filter-acme-0.1.0"}, up.Removed)
	c.call(protocol.KeyDelete, &protocol.DeleteRequest{Label: protocol.LabelSmartModule, Key: "filter-acme-0.1.0"}, st)
	require.Equal(t, protocol.SmartModuleNotFound, st.ErrorCode.Code)
}

func TestPersistenceAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := startSC(t, dir)
	c := dialSC(t, s)
	connectSPU(t, s, 5001)
	eventually(t, func() bool { return len(s.Controller().onlineSPUs()) == 1 }, "spu online")
	require.NoError(t, c.createTopic("kept", protocol.NewComputedTopicSpec(3, 1), false).Err())
	st := &protocol.Status{}
	c.call(protocol.KeyCreate, &protocol.CreateRequest{Label: protocol.LabelSmartModule, Name: "sm",
		Spec: &protocol.SmartModuleSpec{Wasm: protocol.SmartModuleSpecWasm{Payload: gz(t, []byte("x"))}}}, st)
	require.NoError(t, st.Err())
	epoch := s.Controller().Store().Epoch()
	require.NoError(t, s.Close())

	s2 := startSC(t, dir)
	c2 := dialSC(t, s2)
	require.Equal(t, []string{"kept"}, names(c2.list(protocol.LabelTopic, false)))
	require.Equal(t, []string{ConsumerOffsetTopic}, names(c2.list(protocol.LabelTopic, true)), "system topic not duplicated")
	require.Equal(t, []string{"consumer-offset-0", "kept-0", "kept-1", "kept-2"}, names(c2.list(protocol.LabelPartition, false)))
	require.Equal(t, []string{"sm"}, names(c2.list(protocol.LabelSmartModule, false)))
	spus := c2.list(protocol.LabelSPU, false)
	require.Equal(t, []string{"custom-spu-5001"}, names(spus))
	require.Equal(t, protocol.SpuStatusOffline, spus[0].Status.(*protocol.SpuStatus).Resolution, "SPUs start offline")
	require.GreaterOrEqual(t, s2.Controller().Store().Epoch(), epoch, "epoch continues")
	// The reloaded SPU keeps its partitions when it reconnects.
	spu := connectSPU(t, s2, 5001)
	up := next[*controlplane.UpdateReplicas](t, spu)
	require.True(t, up.Full)
	require.Len(t, up.Replicas, 4)
}

func TestBadFramesIsolated(t *testing.T) {
	s := startSC(t, "")
	good := dialSC(t, s)

	tests := []struct {
		name  string
		frame []byte
	}{
		{"oversized length", binary.BigEndian.AppendUint32(nil, 0x7fffffff)},
		{"negative length", binary.BigEndian.AppendUint32(nil, 0xffffffff)},
		{"truncated header", []byte{0, 0, 0, 3, 0x03, 0xe9, 0}},
		{"unknown key", protocol.EncodeRequestFrame(nil, &protocol.RequestHeader{APIKey: 4242, APIVersion: 0, CorrelationID: 1}, &protocol.Status{})},
		{"watch with unsupported version", protocol.EncodeRequestFrame(nil, &protocol.RequestHeader{APIKey: protocol.KeyWatch, APIVersion: 3, CorrelationID: 1}, &protocol.WatchRequest{Label: "SPU"})},
		{"list garbage body", append(protocol.EncodeRequestFrame(nil, &protocol.RequestHeader{APIKey: protocol.KeyList, APIVersion: v, CorrelationID: 1}, &protocol.Status{}), 1, 2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", s.PublicAddr().String())
			require.NoError(t, err)
			defer nc.Close()
			if tt.name == "list garbage body" {
				binary.BigEndian.PutUint32(tt.frame, uint32(len(tt.frame)-4))
			}
			_, err = nc.Write(tt.frame)
			require.NoError(t, err)
			_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = nc.Read(make([]byte, 1))
			require.Error(t, err, "server closes the connection")
			// The other connection still works.
			require.Equal(t, []string{ConsumerOffsetTopic}, names(good.list(protocol.LabelTopic, true)))
		})
	}

	// A Create with a garbage body gets an error Status, and the connection stays.
	c := dialSC(t, s)
	h := protocol.RequestHeader{APIKey: protocol.KeyCreate, APIVersion: v, CorrelationID: 99, ClientID: "x"}
	ch := make(chan []byte, 1)
	c.mu.Lock()
	c.subs[99] = ch
	c.mu.Unlock()
	frame := protocol.EncodeRequestFrame(nil, &h, &protocol.CreateRequest{Label: "Bogus", Name: "x", Spec: &protocol.TopicSpec{}})
	_, err := c.nc.Write(frame)
	require.NoError(t, err)
	st := &protocol.Status{}
	recvInto(t, ch, v, st)
	require.Equal(t, protocol.InvalidCreateRequest, st.ErrorCode.Code)
	require.Equal(t, []string{ConsumerOffsetTopic}, names(c.list(protocol.LabelTopic, true)))
}
