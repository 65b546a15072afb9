package spu

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/storage"
)

func TestApiVersionsAdvertisesSPURanges(t *testing.T) {
	s := startSPU(t, Config{})
	c := dial(t, s)
	resp := c.call(protocol.KeyApiVersions, 1, &protocol.ApiVersionsRequest{ClientVersion: "0.14.9", ClientOS: "linux", ClientArch: "x86_64"}).(*protocol.ApiVersionsResponse)
	require.Equal(t, "0.0.0", resp.PlatformVersion)
	for key, want := range protocol.SPUVersions {
		got, ok := resp.Lookup(key)
		require.True(t, ok, "key %d advertised", key)
		require.Equal(t, want, got)
	}
}

func TestProduce(t *testing.T) {
	s := startSPU(t, Config{})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	leadReplica(t, s, "gz", 0, protocol.TopicCompressionGzip)
	c := dial(t, s)

	req := produceReq("t", 0, batchOf(t, protocol.CompressionNone, "a", "b"), batchOf(t, protocol.CompressionZstd, "c"))
	req.Topics[0].Partitions = append(req.Topics[0].Partitions, protocol.PartitionProduceData{PartitionIndex: 7,
		Records: protocol.RecordSet{Batches: batchOf(t, protocol.CompressionNone, "x")}})
	req.Topics = append(req.Topics,
		protocol.TopicProduceData{Name: "gz", Partitions: []protocol.PartitionProduceData{
			{PartitionIndex: 0, Records: protocol.RecordSet{Batches: batchOf(t, protocol.CompressionLz4, "y")}},
			{PartitionIndex: 0, Records: protocol.RecordSet{Batches: batchOf(t, protocol.CompressionGzip, "z")}},
		}},
		protocol.TopicProduceData{Name: "empty"}, // a flush with nothing queued
	)
	resp := c.call(protocol.KeyProduce, v, req).(*protocol.ProduceResponse)
	require.Len(t, resp.Responses, 3)
	got := resp.Responses[0].Partitions
	require.Len(t, got, 3, "one entry per request entry, in order")
	require.True(t, got[0].ErrorCode.IsOK())
	require.Equal(t, int64(0), got[0].BaseOffset)
	require.True(t, got[1].ErrorCode.IsOK())
	require.Equal(t, int64(2), got[1].BaseOffset)
	require.Equal(t, uint32(7), got[2].PartitionIndex)
	require.Equal(t, protocol.NotLeaderForPartition, got[2].ErrorCode.Code)
	gz := resp.Responses[1].Partitions
	require.Equal(t, protocol.CompressionError, gz[0].ErrorCode.Code)
	require.True(t, gz[1].ErrorCode.IsOK())
	require.Equal(t, int64(0), gz[1].BaseOffset)
	require.Equal(t, "empty", resp.Responses[2].Name)
	require.Empty(t, resp.Responses[2].Partitions)

	log, ok := s.Replica(protocol.ReplicaKey{Topic: "t"})
	require.True(t, ok)
	require.Equal(t, int64(3), log.Offsets().LogEnd)
}

func TestProduceStorageErrorLeavesPartitionUsable(t *testing.T) {
	ffs := &storage.FaultFS{FS: storage.OSFS{}}
	s := startSPU(t, Config{Storage: storage.Config{FS: ffs}})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	ffs.FailNextWrite(storage.SegmentSuffix, 20, errors.New("disk full"))
	resp := c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "lost"))).(*protocol.ProduceResponse)
	require.Equal(t, protocol.StorageError, resp.Responses[0].Partitions[0].ErrorCode.Code)
	resp = c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "kept"))).(*protocol.ProduceResponse)
	require.True(t, resp.Responses[0].Partitions[0].ErrorCode.IsOK())
	require.Equal(t, int64(0), resp.Responses[0].Partitions[0].BaseOffset)
}

func TestProduceReadCommitted(t *testing.T) {
	t.Run("waits for the flush, then acknowledges", func(t *testing.T) {
		s := startSPU(t, Config{Storage: storage.Config{Flush: storage.FlushPolicy{Mode: storage.FlushInterval, Interval: time.Hour}}})
		leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
		c := dial(t, s)
		req := produceReq("t", 0, batchOf(t, 0, "a", "b"))
		req.Isolation = protocol.ReadCommitted
		resp := c.call(protocol.KeyProduce, v, req).(*protocol.ProduceResponse)
		require.True(t, resp.Responses[0].Partitions[0].ErrorCode.IsOK())
		log, _ := s.Replica(protocol.ReplicaKey{Topic: "t"})
		require.Equal(t, int64(2), log.Offsets().HighWatermark)
	})
	t.Run("times out when HW cannot move", func(t *testing.T) {
		s0 := startSPU(t, Config{})
		leadReplica(t, s0, "probe", 0, protocol.TopicCompressionAny)
		probe, _ := s0.Replica(protocol.ReplicaKey{Topic: "probe"})
		if _, err := probe.Append(batchOf(t, 0, "p")); err == nil && probe.Offsets().HighWatermark == probe.Offsets().LogEnd {
			t.Skip("storage moves HW with LEO at append (single replica): HW can only lag once replication exists")
		}
		ffs := &storage.FaultFS{FS: storage.OSFS{}}
		s := startSPU(t, Config{Storage: storage.Config{FS: ffs, Flush: storage.FlushPolicy{Mode: storage.FlushInterval, Interval: time.Hour}}})
		leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
		c := dial(t, s)
		ffs.FailNextSync(storage.SegmentSuffix, errors.New("sync failed"))
		req := produceReq("t", 0, batchOf(t, 0, "a"))
		req.Isolation, req.TimeoutMs = protocol.ReadCommitted, 200
		// The flusher retries on later kicks, so fail every sync for a while.
		go func() {
			for range 50 {
				ffs.FailNextSync(storage.SegmentSuffix, errors.New("sync failed"))
				time.Sleep(2 * time.Millisecond)
			}
		}()
		resp := c.call(protocol.KeyProduce, v, req).(*protocol.ProduceResponse)
		ec := resp.Responses[0].Partitions[0].ErrorCode
		require.Equal(t, protocol.RequestTimedOut, ec.Code)
		require.Equal(t, int64(200), ec.A)
	})
}

func TestFetchOffsets(t *testing.T) {
	s := startSPU(t, Config{})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "a", "b", "c")))
	resp := c.call(protocol.KeyFetchOffsets, v, &protocol.FetchOffsetsRequest{Topics: []protocol.FetchOffsetTopic{{
		Name: "t", Partitions: []protocol.FetchOffsetPartition{{PartitionIndex: 0}, {PartitionIndex: 1}},
	}}}).(*protocol.FetchOffsetsResponse)
	p := resp.Topics[0].Partitions
	require.True(t, p[0].ErrorCode.IsOK())
	require.Equal(t, int64(0), p[0].StartOffset)
	require.Equal(t, int64(3), p[0].LastStableOffset)
	require.Equal(t, protocol.PartitionNotLeader, p[1].ErrorCode.Code)
}

func TestStreamFetchFlowControl(t *testing.T) {
	s := startSPU(t, Config{})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	prod := dial(t, s)
	cons := dial(t, s)

	// Nothing to read: nothing is sent.
	corr := cons.send(protocol.KeyStreamFetch, v, streamReq("t", 0, 0))
	cons.noFrame(150 * time.Millisecond)

	// A produce wakes the stream (no polling: the wait is on the log's
	// change channel).
	prod.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, protocol.CompressionGzip, "a", "b", "c")))
	f := cons.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
	require.Equal(t, uint32(1), f.StreamID, "stream ids start at 1")
	require.Equal(t, int64(3), f.Partition.HighWatermark)
	offs, vals := values(t, f.Partition.Records.Batches)
	require.Equal(t, []int64{0, 1, 2}, offs)
	require.Equal(t, []string{"a", "b", "c"}, vals)

	// No acknowledgement yet: new data is held back.
	prod.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "d")))
	cons.noFrame(150 * time.Millisecond)

	// Acknowledge: the stream sends what arrived meanwhile.
	ack := cons.call(protocol.KeyUpdateOffsets, 0, &protocol.UpdateOffsetsRequest{Offsets: []protocol.OffsetUpdate{{Offset: 3, SessionID: 1}}}).(*protocol.UpdateOffsetsResponse)
	require.True(t, ack.Status[0].Error.IsOK())
	f = cons.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
	_, vals = values(t, f.Partition.Records.Batches)
	require.Equal(t, []string{"d"}, vals)

	// Acknowledge at the end: wait; a later produce wakes it up.
	cons.call(protocol.KeyUpdateOffsets, 0, &protocol.UpdateOffsetsRequest{Offsets: []protocol.OffsetUpdate{{Offset: 4, SessionID: 1}}})
	cons.noFrame(100 * time.Millisecond)
	prod.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "e")))
	f = cons.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
	offs, _ = values(t, f.Partition.Records.Batches)
	require.Equal(t, []int64{4}, offs)

	// Acknowledge behind: it resends from there at once.
	cons.call(protocol.KeyUpdateOffsets, 0, &protocol.UpdateOffsetsRequest{Offsets: []protocol.OffsetUpdate{{Offset: 1, SessionID: 1}}})
	f = cons.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
	offs, _ = values(t, f.Partition.Records.Batches)
	require.Equal(t, []int64{0, 1, 2, 3, 4}, offs, "from the batch containing offset 1")
	_ = vals

	// Unknown session.
	ack = cons.call(protocol.KeyUpdateOffsets, 0, &protocol.UpdateOffsetsRequest{Offsets: []protocol.OffsetUpdate{{Offset: 1, SessionID: 99}}}).(*protocol.UpdateOffsetsResponse)
	require.Equal(t, protocol.FetchSessionNotFoud, ack.Status[0].Error.Code)
}

func TestStreamFetchMaxBytesAndConcurrentStreams(t *testing.T) {
	s := startSPU(t, Config{})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	leadReplica(t, s, "u", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	b := batchOf(t, 0, "0123456789")
	for range 5 {
		c.call(protocol.KeyProduce, v, produceReq("t", 0, append([]byte(nil), b...)))
	}
	c.call(protocol.KeyProduce, v, produceReq("u", 0, batchOf(t, 0, "u0")))
	req := streamReq("t", 0, 2)
	req.MaxBytes = int32(2*len(b) + 5)
	c1 := c.send(protocol.KeyStreamFetch, v, req)
	c2 := c.send(protocol.KeyStreamFetch, v, streamReq("u", 0, 0))
	seen := map[int32]*protocol.StreamFetchResponse{}
	for range 2 {
		corr, body, err := c.recv(5 * time.Second)
		require.NoError(t, err)
		m, err := protocol.DecodeSPUResponse(protocol.KeyStreamFetch, v, body)
		require.NoError(t, err)
		seen[corr] = m.(*protocol.StreamFetchResponse)
	}
	offs, _ := values(t, seen[c1].Partition.Records.Batches)
	require.Equal(t, []int64{2, 3}, offs, "two whole batches fit in max_bytes")
	_, vals := values(t, seen[c2].Partition.Records.Batches)
	require.Equal(t, []string{"u0"}, vals)
	require.NotEqual(t, seen[c1].StreamID, seen[c2].StreamID)
}

func TestStreamFetchNotLeaderAndSmartModulesDisabled(t *testing.T) {
	s := startSPU(t, Config{})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	f := c.call(protocol.KeyStreamFetch, v, streamReq("nope", 0, 0)).(*protocol.StreamFetchResponse)
	require.Equal(t, uint32(0), f.StreamID)
	require.Equal(t, protocol.NotLeaderForPartition, f.Partition.ErrorCode.Code)

	req := streamReq("t", 0, 0)
	req.SmartModules = []protocol.SmartModuleInvocation{{Wasm: protocol.PredefinedWasm("filter")}}
	f = c.call(protocol.KeyStreamFetch, v, req).(*protocol.StreamFetchResponse)
	require.Equal(t, protocol.SmartModuleChainInitError, f.Partition.ErrorCode.Code)
	require.Contains(t, f.Partition.ErrorCode.Message, "not enabled")
}

func TestConnectionKilledMidStream(t *testing.T) {
	s := startSPU(t, Config{})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "a")))
	corr := c.send(protocol.KeyStreamFetch, v, streamReq("t", 0, 0))
	c.expect(corr, protocol.KeyStreamFetch, v)
	c.send(protocol.KeyStreamFetch, v, streamReq("t", 0, 1)) // a waiting stream
	c.nc.Close()

	require.Eventually(t, func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return len(s.conns) == 0
	}, 5*time.Second, 5*time.Millisecond, "connection and its streams cleaned up")

	// Everyone else is still served.
	c2 := dial(t, s)
	resp := c2.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "b"))).(*protocol.ProduceResponse)
	require.Equal(t, int64(1), resp.Responses[0].Partitions[0].BaseOffset)
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	s := startSPU(t, Config{MaxFrameSize: 1 << 20})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	good := dial(t, s)
	tests := []struct {
		name  string
		frame []byte
	}{
		{"oversized frame", []byte{0x7f, 0xff, 0xff, 0xff}},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xfe}},
		{"unknown api key", protocol.EncodeRequestFrame(nil, &protocol.RequestHeader{APIKey: 4242, CorrelationID: 1}, &protocol.UpdateOffsetsRequest{})},
		{"unsupported version", protocol.EncodeRequestFrame(nil, &protocol.RequestHeader{APIKey: protocol.KeyFetchOffsets, APIVersion: 3, CorrelationID: 1}, &protocol.FetchOffsetsRequest{})},
		{"truncated header", []byte{0, 0, 0, 3, 0, 0, 0}},
		{"malformed body", append([]byte{0, 0, 0, 14}, protocol.AppendInt32((&protocol.RequestHeader{APIKey: protocol.KeyProduce, APIVersion: v, CorrelationID: 1}).Encode(nil), 0x7fffffff)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := dial(t, s)
			_, err := bad.nc.Write(tt.frame)
			require.NoError(t, err)
			bad.closed()
			resp := good.call(protocol.KeyFetchOffsets, v, &protocol.FetchOffsetsRequest{Topics: []protocol.FetchOffsetTopic{{
				Name: "t", Partitions: []protocol.FetchOffsetPartition{{PartitionIndex: 0}}}}}).(*protocol.FetchOffsetsResponse)
			require.True(t, resp.Topics[0].Partitions[0].ErrorCode.IsOK())
		})
	}
}

func TestConsumerOffsets(t *testing.T) {
	dir := t.TempDir()
	start := func() (*Server, *client) {
		s := startSPU(t, Config{DataDir: dir})
		leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
		leadReplica(t, s, ConsumerOffsetTopic, 0, protocol.TopicCompressionAny)
		return s, dial(t, s)
	}
	s, c := start()
	c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "a", "b", "c")))
	req := streamReq("t", 0, 0)
	id := "reader"
	req.ConsumerID = &id
	corr := c.send(protocol.KeyStreamFetch, v, req)
	f := c.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
	up := c.call(protocol.KeyUpdateConsumerOffset, 23, &protocol.UpdateConsumerOffsetRequest{Offset: 1, SessionID: f.StreamID}).(*protocol.UpdateConsumerOffsetResponse)
	require.True(t, up.ErrorCode.IsOK())

	list := c.call(protocol.KeyFetchConsumerOffsets, 25, &protocol.FetchConsumerOffsetsRequest{}).(*protocol.FetchConsumerOffsetsResponse)
	require.Len(t, list.Consumers, 1)
	require.Equal(t, "reader", list.Consumers[0].ConsumerID)
	require.Equal(t, int64(1), list.Consumers[0].Offset)

	// Offsets survive a restart.
	require.NoError(t, s.Close())
	s, c = start()
	fo := c.call(protocol.KeyFetchOffsets, v, &protocol.FetchOffsetsRequest{ConsumerID: &id, Topics: []protocol.FetchOffsetTopic{{
		Name: "t", Partitions: []protocol.FetchOffsetPartition{{PartitionIndex: 0}}}}}).(*protocol.FetchOffsetsResponse)
	require.Equal(t, int64(2), fo.Topics[0].Partitions[0].StartOffset, "stored offset + 1")

	del := c.call(protocol.KeyDeleteConsumerOffset, 23, &protocol.DeleteConsumerOffsetRequest{ConsumerID: id, ReplicaID: protocol.ReplicaKey{Topic: "t"}}).(*protocol.DeleteConsumerOffsetResponse)
	require.True(t, del.ErrorCode.IsOK())
	list = c.call(protocol.KeyFetchConsumerOffsets, 23, &protocol.FetchConsumerOffsetsRequest{}).(*protocol.FetchConsumerOffsetsResponse)
	require.Empty(t, list.Consumers)
	_ = s
}

func TestGracefulShutdownKeepsAcknowledgedData(t *testing.T) {
	dir := t.TempDir()
	s := startSPU(t, Config{DataDir: dir, Storage: storage.Config{Flush: storage.FlushPolicy{Mode: storage.FlushInterval, Interval: time.Hour}}})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	for i := range 10 {
		resp := c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "r"))).(*protocol.ProduceResponse)
		require.Equal(t, int64(i), resp.Responses[0].Partitions[0].BaseOffset)
	}
	require.NoError(t, s.Close())
	lg, err := storage.Open(s.replicaDir(protocol.ReplicaKey{Topic: "t"}), storage.Config{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer lg.Close()
	require.Equal(t, int64(10), lg.Offsets().LogEnd)
	require.Equal(t, int64(10), lg.CheckpointHighWatermark(), "HW checkpointed at shutdown")
}

func TestFetchOneShot(t *testing.T) {
	s := startSPU(t, Config{})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "a", "b")))
	resp := c.call(protocol.KeyFetch, v, &protocol.FetchRequest{Topics: []protocol.FetchableTopic{{Name: "t",
		FetchPartitions: []protocol.FetchPartition{{FetchOffset: 0, MaxBytes: 1 << 20}, {FetchOffset: 9, MaxBytes: 1 << 20}}}}}).(*protocol.FetchResponse)
	_, vals := values(t, resp.Topics[0].Partitions[0].Records.Batches)
	require.Equal(t, []string{"a", "b"}, vals)
	require.Equal(t, protocol.OffsetOutOfRange, resp.Topics[0].Partitions[1].ErrorCode.Code)
}

var _ = context.Background
var _ net.Conn
