package client

import (
	"bufio"
	"context"
	"encoding/binary"
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

	// Writes combine: a request is queued in wq and whoever finds no write
	// under way writes everything queued in one vectored write, so requests
	// started together by several goroutines share a syscall and nobody
	// hands its bytes to a writer goroutine.
	wmu     sync.Mutex
	wq      net.Buffers
	wspare  net.Buffers
	writing bool

	mu       sync.Mutex
	nextCorr int32
	pending  map[int32]*waiter
	err      error // set once the connection fails
	done     chan struct{}
	watching bool // watchDeadlines runs

	versions *protocol.ApiVersionsResponse
}

type waiter struct {
	ch     chan []byte // response bodies (without the correlation id)
	stream bool
	// fn, instead of ch, gets the response body on the read loop (the body
	// is valid during the call only) or the connection's error; deadline
	// (unix nanoseconds) fails it with errRequestTimeout.
	fn       func(body []byte, err error)
	deadline int64
	// onFrame, for a stream, sees each response body on the read loop
	// before it is queued on ch, with the number of slots ch will have free
	// once it is (a consumer acknowledges chunks there when the next one
	// will find room, so the SPU sends it while this one waits to be
	// decoded). It must not block.
	onFrame func(body []byte, spare int)
	// alloc, for a stream, gives the buffer each response frame is read
	// into (capacity n or more, or a smaller one the read grows).
	alloc func(n int) []byte
}

// errRequestTimeout fails a callback request that got no answer in time.
var errRequestTimeout = errors.New("client: request timed out")

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
	s := &socket{addr: addr, clientID: clientID, nc: nc, pending: map[int32]*waiter{}, done: make(chan struct{})}
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
	var buf []byte // reused for the answers callbacks take
	var err error
	for {
		var hdr []byte
		if hdr, err = br.Peek(4); err != nil {
			break
		}
		if n := int32(binary.BigEndian.Uint32(hdr)); n < 4 {
			err = fmt.Errorf("%w: response frame of %d bytes", protocol.ErrShortBuffer, n)
			break
		}
		if hdr, err = br.Peek(8); err != nil {
			err = unexpectedEOF(err)
			break
		}
		corr := int32(binary.BigEndian.Uint32(hdr[4:]))
		s.mu.Lock()
		w := s.pending[corr]
		if w != nil && !w.stream {
			delete(s.pending, corr)
		}
		s.mu.Unlock()
		if w != nil && w.fn != nil {
			var payload []byte
			if payload, err = protocol.ReadFrame(br, buf[:0], protocol.MaxFrameSize); err != nil {
				break
			}
			if cap(payload) <= 1<<20 {
				buf = payload[:0]
			}
			w.fn(payload[4:], nil)
			continue
		}
		var payload []byte
		var into []byte
		if n := int(binary.BigEndian.Uint32(hdr)); w != nil && w.alloc != nil {
			into = w.alloc(n)
		} else if w != nil && w.stream && n > 64<<10 {
			// Stream bodies are handed over, never reused here: a record
			// chunk's keys and values alias its frame. Read it in one
			// piece (a frame announced larger than 4 MiB grows as its
			// bytes arrive).
			into = make([]byte, 0, min(n, 4<<20))
		}
		if payload, err = protocol.ReadFrame(br, into, protocol.MaxFrameSize); err != nil {
			break
		}
		if w == nil {
			continue // nobody waits: dropped, as the Rust client does
		}
		if w.onFrame != nil {
			w.onFrame(payload[4:], cap(w.ch)-len(w.ch)-1)
		}
		select {
		case w.ch <- payload: // whole, for a stream; next skips the correlation id
		case <-s.done:
		}
	}
	s.fail(err)
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// watchDeadlines fails callback requests whose deadline passed; it runs
// while any callback request is pending.
func (s *socket) watchDeadlines() {
	t := time.NewTicker(deadlineTick)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			var expired []*waiter
			left := false
			s.mu.Lock()
			for corr, w := range s.pending {
				if w.fn == nil {
					continue
				}
				if w.deadline < now.UnixNano() {
					delete(s.pending, corr)
					expired = append(expired, w)
				} else {
					left = true
				}
			}
			if !left {
				s.watching = false
			}
			s.mu.Unlock()
			for _, w := range expired {
				w.fn(nil, fmt.Errorf("request to %s: %w", s.addr, errRequestTimeout))
			}
			if !left {
				return
			}
		}
	}
}

// deadlineTick is how often callback deadlines are checked.
const deadlineTick = 250 * time.Millisecond

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
	var fns []*waiter
	for _, w := range s.pending {
		if w.fn != nil {
			fns = append(fns, w)
		}
	}
	s.pending = map[int32]*waiter{}
	s.mu.Unlock()
	s.nc.Close()
	for _, w := range fns {
		w.fn(nil, fmt.Errorf("request to %s: %w", s.addr, err))
	}
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

func (s *socket) register(stream bool, depth int, onFrame func([]byte, int), alloc func(int) []byte) (int32, *waiter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, nil, s.err
	}
	s.nextCorr++
	w := &waiter{ch: make(chan []byte, depth), stream: stream, onFrame: onFrame, alloc: alloc}
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
	return s.write(protocol.EncodeRequestFrame(nil, &h, req))
}

// write queues the frame made of bufs and, unless another goroutine is
// writing (it then writes these too, in order), writes everything queued.
// bufs must stay unchanged until the answer arrives or the socket fails. A
// write error fails the socket, which every waiter sees.
func (s *socket) write(bufs ...[]byte) error {
	s.wmu.Lock()
	s.wq = append(s.wq, bufs...)
	if s.writing {
		s.wmu.Unlock()
		return nil
	}
	s.writing = true
	for len(s.wq) > 0 {
		q := s.wq
		s.wq = s.wspare[:0]
		s.wmu.Unlock()
		all := q
		_, err := all.WriteTo(s.nc)
		clear(q)
		s.wmu.Lock()
		s.wspare = q[:0]
		if err != nil {
			s.wq = nil
			s.writing = false
			s.wmu.Unlock()
			s.fail(err)
			return err
		}
	}
	s.writing = false
	s.wmu.Unlock()
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
	corr, w, err := s.register(false, 1, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := s.send(key, version, corr, req, s.clientID); err != nil {
		s.unregister(corr)
		return nil, fmt.Errorf("send request %d to %s: %w", key, s.addr, err)
	}
	return &pendingCall{s: s, key: key, version: version, corr: corr, w: w}, nil
}

// startFunc writes a request made by frame (given the correlation id, it
// returns the frame's buffers, unchanged until answered) and calls fn with
// the answer's body on the read loop, or with the error that failed the
// request: the connection's, or errRequestTimeout after timeout. fn runs
// exactly once unless startFunc returns an error.
func (s *socket) startFunc(timeout time.Duration, frame func(corr int32) [][]byte, fn func(body []byte, err error)) error {
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
	s.nextCorr++
	corr := s.nextCorr
	s.pending[corr] = &waiter{fn: fn, deadline: time.Now().Add(timeout).UnixNano()}
	watch := !s.watching
	s.watching = true
	s.mu.Unlock()
	if watch {
		go s.watchDeadlines()
	}
	// A failed write fails the socket, which calls fn.
	_ = s.write(frame(corr)...)
	return nil
}

// wait decodes the response of a started request into resp.
func (pc *pendingCall) wait(ctx context.Context, resp protocol.Message) error {
	pc.resp = resp
	s, key, version, corr, w := pc.s, pc.key, pc.version, pc.corr, pc.w
	select {
	case frame := <-w.ch:
		r := protocol.NewReader(frame[4:])
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
	frame   []byte // the whole frame next decoded last
}

// openStream sends req and returns the stream of its responses.
// onFrame, when not nil, sees every response body on the read loop first
// (see waiter.onFrame).
func (s *socket) openStream(key protocol.APIKey, version int16, req protocol.Message, depth int, clientID string, onFrame func(body []byte, spare int), alloc func(n int) []byte) (*stream, error) {
	corr, w, err := s.register(true, depth, onFrame, alloc)
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
	case frame := <-st.w.ch:
		st.frame = frame
		r := protocol.NewReader(frame[4:])
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
