package spu

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// fakeSC accepts SPU control-plane connections on 127.0.0.1:0.
type fakeSC struct {
	t  *testing.T
	ln net.Listener
}

func newFakeSC(t *testing.T) *fakeSC {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return &fakeSC{t: t, ln: ln}
}

// accept takes one SPU connection and answers its Register.
func (f *fakeSC) accept() (*controlplane.Conn, *controlplane.Register) {
	f.t.Helper()
	nc, err := f.ln.Accept()
	require.NoError(f.t, err)
	c := controlplane.NewConn(nc, "sc")
	f.t.Cleanup(func() { c.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	env, err := c.Recv()
	require.NoError(f.t, err)
	reg, ok := env.Msg.(*controlplane.Register)
	require.True(f.t, ok)
	require.NoError(f.t, c.Reply(env.Header.CorrelationID, &controlplane.RegisterResponse{}))
	return c, reg
}

// status reads reports until one for key satisfies ok.
func status(t *testing.T, c *controlplane.Conn, key string, ok func(controlplane.ReplicaStatus) bool) controlplane.ReplicaStatus {
	t.Helper()
	for {
		env, err := c.Recv()
		require.NoError(t, err)
		rep, isRep := env.Msg.(*controlplane.ReplicaStatusReport)
		if !isRep {
			continue
		}
		for _, st := range rep.Replicas {
			if st.ReplicaKey.String() == key && ok(st) {
				return st
			}
		}
	}
}

func TestControlPlaneAssignsReplicasAndReceivesStatus(t *testing.T) {
	sc := newFakeSC(t)
	s := startSPU(t, Config{SCAddr: sc.ln.Addr().String(), AdvertiseHost: "127.0.0.1"})
	c, reg := sc.accept()
	require.Equal(t, testSPU, reg.SpuID)
	require.Equal(t, uint16(s.PublicAddr().(*net.TCPAddr).Port), reg.Public.Port)
	require.Equal(t, "127.0.0.1", reg.Public.Host)

	require.NoError(t, c.Send(&controlplane.UpdateReplicas{Full: true, Replicas: []controlplane.Replica{
		{ReplicaKey: controlplane.ReplicaKey{Topic: "t", Partition: 0}, Leader: testSPU, Replicas: []int32{testSPU},
			Config: controlplane.ReplicaConfig{Compression: protocol.TopicCompressionAny, SegmentSize: 1 << 20, RetentionSeconds: 3600}},
		{ReplicaKey: controlplane.ReplicaKey{Topic: "f", Partition: 0}, Leader: 5002, Replicas: []int32{5002, testSPU}},
	}}))
	status(t, c, "t-0", func(st controlplane.ReplicaStatus) bool { return st.LEO == 0 })

	cl := dial(t, s)
	resp := cl.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, "a", "b"))).(*protocol.ProduceResponse)
	require.True(t, resp.Responses[0].Partitions[0].ErrorCode.IsOK())
	st := status(t, c, "t-0", func(st controlplane.ReplicaStatus) bool { return st.LEO == 2 && st.HW == 2 })
	require.Positive(t, st.Size)

	// A follower replica is hosted but not served.
	resp = cl.call(protocol.KeyProduce, v, produceReq("f", 0, batchOf(t, 0, "x"))).(*protocol.ProduceResponse)
	require.Equal(t, protocol.NotLeaderForPartition, resp.Responses[0].Partitions[0].ErrorCode.Code)

	// Topic deleted: streams end with TopicDeleted and the data goes.
	corr := cl.send(protocol.KeyStreamFetch, v, streamReq("t", 0, 2))
	require.Eventually(t, func() bool { return openStreams(s) == 1 }, 5*time.Second, time.Millisecond)
	require.NoError(t, c.Send(&controlplane.UpdateReplicas{Removed: []controlplane.ReplicaKey{{Topic: "t", Partition: 0}}}))
	f := cl.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
	require.Equal(t, protocol.TopicDeleted, f.Partition.ErrorCode.Code)
	require.Eventually(t, func() bool {
		_, err := os.Stat(s.replicaDir(protocol.ReplicaKey{Topic: "t"}))
		return os.IsNotExist(err)
	}, 5*time.Second, time.Millisecond, "deleted topic's data removed")

	// The SC goes away: the SPU reconnects and registers again.
	c.Close()
	c2, reg2 := sc.accept()
	require.Equal(t, testSPU, reg2.SpuID)
	require.NoError(t, c2.Send(&controlplane.UpdateReplicas{Full: true}))
	require.Eventually(t, func() bool {
		_, ok := s.Replica(protocol.ReplicaKey{Topic: "f"})
		return !ok
	}, 5*time.Second, 5*time.Millisecond, "a full sync without the replica stops serving it")
}

func openStreams(s *Server) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for c := range s.conns {
		c.mu.Lock()
		n += len(c.streams)
		c.mu.Unlock()
	}
	return n
}
