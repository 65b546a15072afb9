package spu

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// oneBatch is a SmartModule chain stand-in: each Process passes the first
// stored batch through unchanged, so every frame carries one batch, and
// counts its calls.
type oneBatch struct {
	stateless bool
	calls     atomic.Int32
}

func (m *oneBatch) NewTransform(context.Context, *Server, TransformRequest) (Transform, protocol.ErrorCode) {
	return m, protocol.ErrorCode{}
}

func (m *oneBatch) Check([]byte) int { return 0 }

func (m *oneBatch) Finish(out []byte) ([]byte, error) { return out, nil }

func (m *oneBatch) Process(_ context.Context, batches []byte, _ int) ([]byte, int64, protocol.ErrorCode) {
	m.calls.Add(1)
	raw, h, _, err := protocol.NextBatch(batches)
	if err != nil || raw == nil {
		return nil, -1, protocol.NewErrorMessage(protocol.Other, "no batch")
	}
	return raw, h.LastOffset() + 1, protocol.ErrorCode{}
}

func (m *oneBatch) Produce(context.Context, []byte) ([]byte, protocol.ErrorCode) {
	return nil, protocol.ErrorCode{}
}
func (m *oneBatch) Stateless() bool { return m.stateless }
func (m *oneBatch) Close()          {}

// A SmartModule stream computes what follows a frame before the frame is
// acknowledged (when its chain is stateless), but sends nothing before the
// acknowledgement, and starts over from an acknowledged offset other than
// the one it ran ahead from.
func TestTransformedStreamRunsAheadButWaitsForAcks(t *testing.T) {
	for _, stateless := range []bool{true, false} {
		t.Run(map[bool]string{true: "stateless", false: "aggregate"}[stateless], func(t *testing.T) {
			sm := &oneBatch{stateless: stateless}
			s := startSPU(t, Config{SmartModules: sm})
			leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
			c := dial(t, s)
			for _, val := range []string{"a", "b", "c"} {
				c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, 0, val)))
			}
			req := streamReq("t", 0, 0)
			req.SmartModules = []protocol.SmartModuleInvocation{{Wasm: protocol.PredefinedWasm("one-batch")}}
			corr := c.send(protocol.KeyStreamFetch, v, req)
			frame := func() (int64, []string) {
				f := c.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
				require.True(t, f.Partition.ErrorCode.IsOK(), "%v", f.Partition.ErrorCode.Err())
				_, vals := values(t, f.Partition.Records.Batches)
				return f.Partition.NextFilterOffset, vals
			}
			ack := func(off int64) {
				r := c.call(protocol.KeyUpdateOffsets, 0, &protocol.UpdateOffsetsRequest{Offsets: []protocol.OffsetUpdate{{Offset: off, SessionID: 1}}}).(*protocol.UpdateOffsetsResponse)
				require.True(t, r.Status[0].Error.IsOK())
			}

			next, vals := frame()
			require.Equal(t, int64(1), next)
			require.Equal(t, []string{"a"}, vals)
			c.noFrame(150 * time.Millisecond) // nothing before the acknowledgement
			if stateless {
				require.Equal(t, int32(2), sm.calls.Load(), "the next batch is transformed ahead")
			} else {
				require.Equal(t, int32(1), sm.calls.Load(), "an aggregate chain waits for the acknowledgement")
			}

			ack(1)
			next, vals = frame()
			require.Equal(t, int64(2), next)
			require.Equal(t, []string{"b"}, vals)

			// Acknowledge behind what was sent: what was run ahead (c) is
			// dropped and the stream goes on from offset 0.
			ack(0)
			next, vals = frame()
			require.Equal(t, int64(1), next)
			require.Equal(t, []string{"a"}, vals)
			ack(1)
			_, vals = frame()
			require.Equal(t, []string{"b"}, vals)
			ack(2)
			_, vals = frame()
			require.Equal(t, []string{"c"}, vals)

			// At the end of the log, an acknowledgement behind is served
			// at once, without waiting for new records.
			ack(1)
			_, vals = frame()
			require.Equal(t, []string{"b"}, vals)
		})
	}
}

// payloadKeeper is a SmartModules stand-in that reads the request's ad
// hoc module bytes and initial accumulator only once released, as a slow
// chain build would.
type payloadKeeper struct {
	release chan struct{}
	got     chan [2][]byte
}

func (p *payloadKeeper) NewTransform(_ context.Context, _ *Server, req TransformRequest) (Transform, protocol.ErrorCode) {
	<-p.release
	inv := &req.SmartModules[0]
	p.got <- [2][]byte{bytes.Clone(inv.Wasm.AdHoc), bytes.Clone(inv.Kind.Accumulator)}
	return nil, protocol.NewErrorMessage(protocol.SmartModuleInvalid, "test")
}

// The module bytes and initial accumulator of a StreamFetch stay intact
// while the stream builds its chain, whatever the client sends meanwhile
// on the connection (the request is read from the connection's buffer,
// which the next requests reuse).
func TestAdHocModuleOutlivesTheReadBuffer(t *testing.T) {
	pk := &payloadKeeper{release: make(chan struct{}), got: make(chan [2][]byte, 1)}
	s := startSPU(t, Config{SmartModules: pk})
	leadReplica(t, s, "t", 0, protocol.TopicCompressionAny)
	c := dial(t, s)
	module := bytes.Repeat([]byte("module!"), 3000)
	req := streamReq("t", 0, 0)
	acc := []byte("the initial accumulator")
	req.SmartModules = []protocol.SmartModuleInvocation{{Wasm: protocol.AdHocWasm(module),
		Kind: protocol.SmartModuleKind{Type: protocol.SMKindAggregate, Accumulator: acc}}}
	corr := c.send(protocol.KeyStreamFetch, v, req)
	// Produce requests that together pass through the whole read buffer.
	value := strings.Repeat("p", 60<<10)
	for range 10 {
		r := c.call(protocol.KeyProduce, v, produceReq("t", 0, batchOf(t, protocol.CompressionNone, value))).(*protocol.ProduceResponse)
		require.True(t, r.Responses[0].Partitions[0].ErrorCode.IsOK())
	}
	close(pk.release)
	got := <-pk.got
	require.True(t, bytes.Equal(module, got[0]), "module bytes changed")
	require.Equal(t, string(acc), string(got[1]))
	f := c.expect(corr, protocol.KeyStreamFetch, v).(*protocol.StreamFetchResponse)
	require.Equal(t, protocol.SmartModuleInvalid, f.Partition.ErrorCode.Code)
}
