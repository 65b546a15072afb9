package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// ClientVersion is what this library reports as client_version in
// ApiVersions (the real client sends its fluvio-socket crate version).
const ClientVersion = "0.14.9"

// ErrClosed is returned by calls on a closed connection.
var ErrClosed = errors.New("client: connection closed")

// socket is one multiplexed connection to an SC or an SPU: serial requests
// and streams share it, responses are routed by correlation id (spec §1.4).
type socket struct {
	addr     string
	clientID string
	nc       net.Conn

	wmu sync.Mutex
	bw  *bufio.Writer

	mu       sync.Mutex
	nextCorr int32
	pending  map[int32]*waiter
	err      error // set once the connection fails
	done     chan struct{}

	versions *protocol.ApiVersionsResponse
}

type waiter struct {
	ch     chan []byte // response bodies (without the correlation id)
	stream bool
}

// dialSocket connects, negotiates versions (ApiVersions with correlation id
// 1, as the Rust client does) and starts the reader.
func dialSocket(ctx context.Context, addr, clientID string) (*socket, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	s := &socket{addr: addr, clientID: clientID, nc: nc, bw: bufio.NewWriterSize(nc, 64<<10),
		pending: map[int32]*waiter{}, done: make(chan struct{})}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	req := &protocol.ApiVersionsRequest{ClientVersion: ClientVersion, ClientOS: runtime.GOOS, ClientArch: goArchToRust(runtime.GOARCH)}
	h := protocol.RequestHeader{APIKey: protocol.KeyApiVersions, APIVersion: 2, CorrelationID: 1, ClientID: clientID}
	if _, err := nc.Write(protocol.EncodeRequestFrame(nil, &h, req)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("send ApiVersions to %s: %w", addr, err)
	}
	payload, err := protocol.ReadFrame(nc, nil, protocol.MaxFrameSize)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("read ApiVersions from %s: %w", addr, err)
	}
	r := protocol.NewReader(payload)
	_ = r.Int32()
	var resp protocol.ApiVersionsResponse
	resp.Decode(r, 2)
	if err := r.Err(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("decode ApiVersions from %s: %w", addr, err)
	}
	if err := resp.ErrorCode.Err(); err != nil {
		nc.Close()
		return nil, fmt.Errorf("ApiVersions from %s: %w", addr, err)
	}
	_ = nc.SetDeadline(time.Time{})
	s.versions = &resp
	go s.readLoop()
	return s, nil
}

func goArchToRust(a string) string {
	switch a {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "x86"
	}
	return a
}

// version picks the api version for key given the client's range (spec §1.7).
// ok is false when the server does not advertise a compatible range.
func (s *socket) version(key protocol.APIKey, client protocol.VersionRange) (int16, bool) {
	server, found := s.versions.Lookup(key)
	if !found {
		return 0, false
	}
	return protocol.Negotiate(client, server)
}

func (s *socket) readLoop() {
	br := bufio.NewReaderSize(s.nc, 64<<10)
	var err error
	for {
		var payload []byte
		payload, err = protocol.ReadFrame(br, nil, protocol.MaxFrameSize)
		if err != nil {
			break
		}
		if len(payload) < 4 {
			err = fmt.Errorf("%w: response frame of %d bytes", protocol.ErrShortBuffer, len(payload))
			break
		}
		corr := int32(uint32(payload[0])<<24 | uint32(payload[1])<<16 | uint32(payload[2])<<8 | uint32(payload[3]))
		s.mu.Lock()
		w := s.pending[corr]
		if w != nil && !w.stream {
			delete(s.pending, corr)
		}
		s.mu.Unlock()
		if w == nil {
			continue // nobody waits: dropped, as the Rust client does
		}
		select {
		case w.ch <- payload[4:]:
		case <-s.done:
		}
	}
	s.fail(err)
}

// fail closes the socket with err and wakes every waiter.
func (s *socket) fail(err error) {
	if err == nil || errors.Is(err, io.EOF) {
		err = ErrClosed
	}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = err
	close(s.done)
	s.pending = map[int32]*waiter{}
	s.mu.Unlock()
	s.nc.Close()
}

// Close closes the connection.
func (s *socket) Close() error {
	s.fail(ErrClosed)
	return nil
}

func (s *socket) closedErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *socket) register(stream bool, depth int) (int32, *waiter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, nil, s.err
	}
	s.nextCorr++
	w := &waiter{ch: make(chan []byte, depth), stream: stream}
	s.pending[s.nextCorr] = w
	return s.nextCorr, w, nil
}

func (s *socket) unregister(corr int32) {
	s.mu.Lock()
	delete(s.pending, corr)
	s.mu.Unlock()
}

func (s *socket) send(key protocol.APIKey, version int16, corr int32, req protocol.Message, clientID string) error {
	h := protocol.RequestHeader{APIKey: key, APIVersion: version, CorrelationID: corr, ClientID: clientID}
	frame := protocol.EncodeRequestFrame(nil, &h, req)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.bw.Write(frame); err != nil {
		s.fail(err)
		return err
	}
	if err := s.bw.Flush(); err != nil {
		s.fail(err)
		return err
	}
	return nil
}

// call sends a serial request at version and decodes the response into resp.
func (s *socket) call(ctx context.Context, key protocol.APIKey, version int16, req, resp protocol.Message) error {
	pc, err := s.start(key, version, req)
	if err != nil {
		return err
	}
	return pc.wait(ctx, resp)
}

// pendingCall is a serial request that was written and awaits its response.
type pendingCall struct {
	s       *socket
	key     protocol.APIKey
	version int16
	corr    int32
	w       *waiter
	resp    protocol.Message // what wait decoded into
}

// start writes a serial request; requests started in order reach the server
// in that order.
func (s *socket) start(key protocol.APIKey, version int16, req protocol.Message) (*pendingCall, error) {
	corr, w, err := s.register(false, 1)
	if err != nil {
		return nil, err
	}
	if err := s.send(key, version, corr, req, s.clientID); err != nil {
		s.unregister(corr)
		return nil, fmt.Errorf("send request %d to %s: %w", key, s.addr, err)
	}
	return &pendingCall{s: s, key: key, version: version, corr: corr, w: w}, nil
}

// wait decodes the response of a started request into resp.
func (pc *pendingCall) wait(ctx context.Context, resp protocol.Message) error {
	pc.resp = resp
	s, key, version, corr, w := pc.s, pc.key, pc.version, pc.corr, pc.w
	select {
	case body := <-w.ch:
		r := protocol.NewReader(body)
		resp.Decode(r, version)
		if err := r.Err(); err != nil {
			return fmt.Errorf("decode response %d from %s: %w", key, s.addr, err)
		}
		return nil
	case <-s.done:
		return fmt.Errorf("request %d to %s: %w", key, s.addr, s.closedErr())
	case <-ctx.Done():
		s.unregister(corr)
		return ctx.Err()
	}
}

// stream is a streaming request: any number of response frames carrying the
// request's correlation id.
type stream struct {
	s       *socket
	corr    int32
	version int16
	w       *waiter
}

// openStream sends req and returns the stream of its responses.
func (s *socket) openStream(key protocol.APIKey, version int16, req protocol.Message, depth int, clientID string) (*stream, error) {
	corr, w, err := s.register(true, depth)
	if err != nil {
		return nil, err
	}
	if err := s.send(key, version, corr, req, clientID); err != nil {
		s.unregister(corr)
		return nil, fmt.Errorf("send stream request %d to %s: %w", key, s.addr, err)
	}
	return &stream{s: s, corr: corr, version: version, w: w}, nil
}

// next waits for the next response body and decodes it into resp.
func (st *stream) next(ctx context.Context, resp protocol.Message) error {
	select {
	case body := <-st.w.ch:
		r := protocol.NewReader(body)
		resp.Decode(r, st.version)
		if err := r.Err(); err != nil {
			return fmt.Errorf("decode stream response from %s: %w", st.s.addr, err)
		}
		return nil
	case <-st.s.done:
		return st.s.closedErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops routing responses to this stream.
func (st *stream) close() { st.s.unregister(st.corr) }
