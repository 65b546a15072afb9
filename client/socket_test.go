package client

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// fakeSPU answers ApiVersions, then hands each request frame (header
// decoded, body raw) to serve, which may answer with reply.
func fakeSPU(t *testing.T, serve func(nc net.Conn, h protocol.RequestHeader, body []byte, reply func(corr int32, body []byte))) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				var wmu sync.Mutex
				reply := func(corr int32, body []byte) {
					frame, start := protocol.BeginFrame(nil)
					frame = protocol.AppendInt32(frame, corr)
					frame = protocol.FinishFrame(append(frame, body...), start)
					wmu.Lock()
					defer wmu.Unlock()
					_, _ = nc.Write(frame)
				}
				for {
					payload, err := protocol.ReadFrame(nc, nil, protocol.MaxFrameSize)
					if err != nil {
						return
					}
					r := protocol.NewReader(payload)
					var h protocol.RequestHeader
					h.Decode(r)
					if h.APIKey == protocol.KeyApiVersions {
						wmu.Lock()
						_, _ = nc.Write(protocol.EncodeResponseFrame(nil, h.CorrelationID, h.APIVersion, protocol.NewApiVersionsResponse(protocol.SPUVersions, "0.0.0")))
						wmu.Unlock()
						continue
					}
					serve(nc, h, payload[r.Offset():], reply)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func dialT(t *testing.T, addr string) *socket {
	t.Helper()
	s, err := dialSocket(context.Background(), addr, "test")
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

type answer struct {
	body string
	err  error
}

// Requests started from many goroutines at once are written whole (the
// combined writes keep each frame intact) and every answer reaches its
// own callback, whatever order the server answers in.
func TestStartFuncRoutesAnswers(t *testing.T) {
	var mu sync.Mutex
	var held []func()
	addr := fakeSPU(t, func(_ net.Conn, h protocol.RequestHeader, body []byte, reply func(int32, []byte)) {
		b := append([]byte(nil), body...)
		mu.Lock()
		defer mu.Unlock()
		held = append(held, func() { reply(h.CorrelationID, b) })
		if len(held) == 8 { // answer in reverse order, 8 at a time
			for i := len(held) - 1; i >= 0; i-- {
				held[i]()
			}
			held = nil
		}
	})
	s := dialT(t, addr)
	const n = 64
	got := make([]chan answer, n)
	var wg sync.WaitGroup
	for i := range n {
		got[i] = make(chan answer, 1)
		wg.Go(func() {
			payload := []byte{byte(i), 'x', 'y'}
			err := s.startFunc(time.Minute, func(corr int32) [][]byte {
				h := protocol.RequestHeader{APIKey: protocol.KeyProduce, APIVersion: 8, CorrelationID: corr, ClientID: "test"}
				head, start := protocol.BeginFrame(nil)
				head = h.Encode(head)
				// the frame in three buffers, as a producer writes it
				head = protocol.FinishFrame(append(head, payload...), start)
				cut := len(head) - len(payload)
				return [][]byte{head[:cut], head[cut : cut+1], head[cut+1:]}
			}, func(body []byte, err error) {
				got[i] <- answer{string(body), err}
			})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	for i := range n {
		select {
		case a := <-got[i]:
			require.NoError(t, a.err)
			require.Equal(t, string([]byte{byte(i), 'x', 'y'}), a.body, "request %d", i)
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer for request %d", i)
		}
	}
}

func startNoop(t *testing.T, s *socket, timeout time.Duration) chan answer {
	t.Helper()
	ch := make(chan answer, 2)
	err := s.startFunc(timeout, func(corr int32) [][]byte {
		h := protocol.RequestHeader{APIKey: protocol.KeyProduce, APIVersion: 8, CorrelationID: corr, ClientID: "test"}
		return [][]byte{protocol.EncodeRequestFrame(nil, &h, &protocol.ProduceRequest{})}
	}, func(body []byte, err error) { ch <- answer{string(body), err} })
	require.NoError(t, err)
	return ch
}

// A request nobody answers fails with errRequestTimeout once its deadline
// passes, exactly once; the connection stays usable.
func TestStartFuncDeadline(t *testing.T) {
	addr := fakeSPU(t, func(_ net.Conn, h protocol.RequestHeader, body []byte, reply func(int32, []byte)) {
		if h.CorrelationID%2 == 0 {
			reply(h.CorrelationID, []byte("ok"))
		}
	})
	s := dialT(t, addr)
	start := time.Now()
	silent := startNoop(t, s, 100*time.Millisecond) // corr 1: never answered
	a := <-silent
	require.ErrorIs(t, a.err, errRequestTimeout)
	require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	answered := startNoop(t, s, time.Minute) // corr 2
	require.Equal(t, answer{body: "ok"}, <-answered)
	select {
	case a := <-silent:
		t.Fatalf("callback ran twice: %+v", a)
	case <-time.After(2 * deadlineTick):
	}
	s.mu.Lock()
	watching := s.watching
	s.mu.Unlock()
	require.False(t, watching, "the deadline watcher stops when nothing is pending")
}

// When the connection fails, every pending callback gets the error.
func TestStartFuncConnectionLost(t *testing.T) {
	var seen sync.WaitGroup
	seen.Add(3)
	addr := fakeSPU(t, func(nc net.Conn, _ protocol.RequestHeader, _ []byte, _ func(int32, []byte)) {
		seen.Done()
	})
	s := dialT(t, addr)
	chs := []chan answer{startNoop(t, s, time.Minute), startNoop(t, s, time.Minute), startNoop(t, s, time.Minute)}
	seen.Wait()
	s.nc.Close() // as if the peer went away
	for _, ch := range chs {
		a := <-ch
		require.Error(t, a.err)
	}
	require.Error(t, s.startFunc(time.Minute, func(int32) [][]byte { return nil }, func([]byte, error) {}), "a failed socket refuses new requests")
}
