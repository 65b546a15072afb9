package sc

import (
	"bufio"
	"context"
	"net"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

const v = protocol.SCCommonVersion // the version real v0.11.11 clients speak

// startSC runs a server on 127.0.0.1:0 with metadata in dir ("" = memory).
func startSC(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := NewServer(Config{PublicAddr: "127.0.0.1:0", PrivateAddr: "127.0.0.1:0", MetadataDir: dir, PlatformVersion: "0.11.11", TopicWait: -1})
	require.NoError(t, err)
	s.Start()
	t.Cleanup(func() { s.Close() })
	return s
}

// rawClient speaks raw frames to the public port; a reader goroutine
// routes response frames to per-correlation-id channels.
type rawClient struct {
	t    *testing.T
	nc   net.Conn
	mu   sync.Mutex
	corr int32
	subs map[int32]chan []byte
}

func dialSC(t *testing.T, s *Server) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", s.PublicAddr().String())
	require.NoError(t, err)
	c := &rawClient{t: t, nc: nc, subs: map[int32]chan []byte{}}
	t.Cleanup(func() { nc.Close() })
	go func() {
		br := bufio.NewReader(nc)
		for {
			f, err := protocol.ReadFrame(br, nil, protocol.MaxFrameSize)
			if err != nil {
				c.mu.Lock()
				for _, ch := range c.subs {
					close(ch)
				}
				c.subs = map[int32]chan []byte{}
				c.mu.Unlock()
				return
			}
			r := protocol.NewReader(f)
			corr := r.Int32()
			c.mu.Lock()
			ch := c.subs[corr]
			c.mu.Unlock()
			if ch != nil {
				ch <- f[4:]
			}
		}
	}()
	return c
}

// send writes a request and returns the channel its responses arrive on.
func (c *rawClient) send(key protocol.APIKey, version int16, body protocol.Message) chan []byte {
	c.mu.Lock()
	c.corr++
	corr := c.corr
	ch := make(chan []byte, 64)
	c.subs[corr] = ch
	c.mu.Unlock()
	h := protocol.RequestHeader{APIKey: key, APIVersion: version, CorrelationID: corr, ClientID: "fluvio"}
	_, err := c.nc.Write(protocol.EncodeRequestFrame(nil, &h, body))
	require.NoError(c.t, err)
	return ch
}

func recvInto(t *testing.T, ch chan []byte, version int16, resp protocol.Message) {
	t.Helper()
	select {
	case b, ok := <-ch:
		require.True(t, ok, "connection closed")
		r := protocol.NewReader(b)
		resp.Decode(r, version)
		require.NoError(t, r.Err())
	case <-time.After(5 * time.Second):
		t.Fatal("no response within 5s")
	}
}

func (c *rawClient) call(key protocol.APIKey, req, resp protocol.Message) {
	c.t.Helper()
	recvInto(c.t, c.send(key, v, req), v, resp)
}

func (c *rawClient) createTopic(name string, spec *protocol.TopicSpec, dryRun bool) *protocol.Status {
	st := &protocol.Status{}
	c.call(protocol.KeyCreate, &protocol.CreateRequest{Label: protocol.LabelTopic, Name: name, DryRun: dryRun, Spec: spec}, st)
	return st
}

func (c *rawClient) list(label string, system bool, filters ...string) []protocol.Metadata {
	resp := &protocol.ListResponse{}
	c.call(protocol.KeyList, &protocol.ListRequest{Label: label, NameFilters: filters, System: system}, resp)
	require.Equal(c.t, label, resp.Label)
	return resp.Objects
}

func names(ms []protocol.Metadata) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

// fakeSPU is an SPU on the control plane that records what the SC pushes.
type fakeSPU struct {
	t    *testing.T
	id   int32
	conn *controlplane.Conn
	in   chan controlplane.Message
}

func connectSPU(t *testing.T, s *Server, id int32) *fakeSPU {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := controlplane.Dial(ctx, s.PrivateAddr().String(), &controlplane.Register{
		SpuID: id, Public: controlplane.Endpoint{Host: "localhost", Port: uint16(9000 + id%1000)}, Private: controlplane.Endpoint{Host: "0.0.0.0", Port: 1}})
	require.NoError(t, err)
	f := &fakeSPU{t: t, id: id, conn: conn, in: make(chan controlplane.Message, 256)}
	t.Cleanup(func() { conn.Close() })
	go func() {
		defer close(f.in)
		for {
			env, err := conn.Recv()
			if err != nil {
				return
			}
			f.in <- env.Msg
		}
	}()
	return f
}

// next returns the next pushed message of type T, skipping others.
func next[T controlplane.Message](t *testing.T, f *fakeSPU) T {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-f.in:
			require.True(t, ok, "control plane connection closed")
			if x, ok := m.(T); ok {
				return x
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T pushed within 5s", zero)
			return zero
		}
	}
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

// allocBytes reports the heap bytes allocated while f runs (read from
// runtime/metrics, which does not stop the world like ReadMemStats).
func allocBytes(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	f()
	metrics.Read(sample)
	return sample[0].Value.Uint64() - before
}
