package spu

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// conn is one client connection.
type conn struct {
	s   *Server
	nc  net.Conn
	ctx context.Context
	end context.CancelFunc

	wmu  sync.Mutex // one writer at a time on the socket
	wbuf []byte     // replies held back by reply, then the frame being written
	werr error

	mu         sync.Mutex
	streams    map[uint32]*stream
	nextStream uint32
	wg         sync.WaitGroup // streams and waiting produces
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{s: s, nc: nc, ctx: ctx, end: cancel, streams: map[uint32]*stream{}}
}

// close ends the connection: the read loop fails and streams stop.
func (c *conn) close() {
	c.end()
	c.nc.Close()
}

func (c *conn) serve() {
	log := c.s.log.With("remote", c.nc.RemoteAddr().String())
	defer func() {
		c.close()
		c.wg.Wait()
	}()
	fr := &frameReader{rd: c.nc, limit: c.s.cfg.MaxFrameSize, pool: &c.s.bigFrames}
	held := 0 // request bytes answered since the last write
	for {
		frame, err := fr.next()
		if err != nil {
			c.flushReplies()
			if errors.Is(err, protocol.ErrTooLarge) {
				log.Warn("closing connection: frame too large", "err", err)
			} else if !errors.Is(err, io.EOF) && c.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				log.Debug("connection ended", "err", err)
			}
			return
		}
		if err := c.handle(frame); err != nil {
			c.flushReplies()
			log.Warn("closing connection: bad request", "err", err)
			return
		}
		// Answers wait while more requests are already here, so a
		// pipelining client gets them in one write; but not for long,
		// or a client waiting for them to send more would stall.
		held += len(frame)
		if !fr.buffered() || held >= maxHeldRequestBytes {
			held = 0
			if err := c.flushReplies(); err != nil {
				return
			}
		}
	}
}

// frameReader reads request frames into one buffer and returns them in
// place: one read brings in what the client has sent (often several
// frames), and a produced batch goes from this buffer to storage without
// another copy. A frame stays valid until the next call to next.
type frameReader struct {
	rd    io.Reader
	limit int
	buf   []byte // buffered bytes are buf[r:w]
	r, w  int
	big   []byte // reused for frames larger than buf
	bigs  int    // frames read on their own so far
	// pool holds the buffers of one-off large frames, shared by the
	// server's connections: the Go client opens a connection per
	// SmartModule stream, whose request carries the module (a Go one is
	// 0.8 MB gzipped), and allocating, clearing and growing a buffer for
	// each was a tenth of such a stream's start. lent is the last frame
	// read into one, returned to the pool once the next frame is asked
	// for (the caller is done with it then).
	pool *sync.Pool
	lent []byte
}

// maxPooledFrame bounds the frame buffers the pool keeps.
const maxPooledFrame = 4 << 20

// A connection's read buffer starts at frameBufMin and grows to
// frameBufSize once a frame does not fit or a read fills it (a busy
// producer); larger frames are read on their own (ReadFrame's growth
// rules), into a buffer kept from the second such frame on. Why not start
// big? Many connections carry little: a consumer's acknowledgements, or
// the one SmartModule stream of the connection the Go client gives it,
// whose only large frame is the request carrying the module.
const (
	frameBufMin  = 16 << 10
	frameBufSize = 256 << 10
)

func (f *frameReader) next() ([]byte, error) {
	if f.lent != nil {
		b := f.lent
		f.pool.Put(&b)
		f.lent = nil
	}
	if f.buf == nil {
		f.buf = make([]byte, frameBufMin)
	}
	if err := f.fill(4); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(f.buf[f.r:]))
	if n < 0 || int(n) > f.limit {
		return nil, fmt.Errorf("%w: frame of %d bytes (limit %d)", protocol.ErrTooLarge, n, f.limit)
	}
	total := 4 + int(n)
	if total > len(f.buf) && total <= frameBufSize {
		f.grow()
	}
	if total > len(f.buf) {
		rest := io.MultiReader(bytes.NewReader(f.buf[f.r:f.w]), f.rd)
		f.r, f.w = 0, 0
		dst := f.big
		if dst == nil {
			dst = f.pooled(int(n))
		}
		frame, err := protocol.ReadFrame(rest, dst[:0], f.limit)
		if err != nil {
			return nil, err
		}
		f.bigs++
		switch {
		case f.bigs > 1 && cap(frame) <= 1<<20:
			f.big = frame[:0]
		case f.pool != nil && cap(frame) <= maxPooledFrame:
			f.big, f.lent = nil, frame[:0] // a one-off's buffer is the server's
		default:
			f.big = nil // do not pin a huge frame's buffer
		}
		return frame, nil
	}
	if err := f.fill(total); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	frame := f.buf[f.r+4 : f.r+total : f.r+total]
	f.r += total
	return frame, nil
}

// pooled returns a buffer of the pool that holds n bytes, if one is
// there (ReadFrame then reads into it at once).
func (f *frameReader) pooled(n int) []byte {
	if f.pool == nil {
		return nil
	}
	p, _ := f.pool.Get().(*[]byte)
	if p == nil {
		return nil
	}
	if cap(*p) < n {
		f.pool.Put(p)
		return nil
	}
	return (*p)[:0]
}

// fill buffers at least n bytes (n <= len(buf)), reading what is there.
func (f *frameReader) fill(n int) error {
	if f.w-f.r >= n {
		return nil
	}
	if f.r+n > len(f.buf) {
		f.w = copy(f.buf, f.buf[f.r:f.w])
		f.r = 0
	}
	for f.w-f.r < n {
		m, err := f.rd.Read(f.buf[f.w:])
		f.w += m
		full := f.w == len(f.buf)
		if f.w-f.r >= n {
			if full {
				f.grow() // more is likely waiting
			}
			return nil
		}
		if err != nil {
			if err == io.EOF && f.w > f.r {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// grow moves the buffered bytes to a buffer of frameBufSize.
func (f *frameReader) grow() {
	if len(f.buf) >= frameBufSize {
		return
	}
	buf := make([]byte, frameBufSize)
	f.w = copy(buf, f.buf[f.r:f.w])
	f.r, f.buf = 0, buf
}

// buffered reports whether a whole frame is already buffered.
func (f *frameReader) buffered() bool {
	if f.w-f.r < 4 {
		return false
	}
	n := int(int32(binary.BigEndian.Uint32(f.buf[f.r:])))
	return n >= 0 && f.w-f.r >= 4+n
}

// handle dispatches one request frame. An error closes the connection: the
// frame could not be understood well enough to answer it.
func (c *conn) handle(frame []byte) error {
	r := protocol.NewReader(frame)
	var h protocol.RequestHeader
	h.Decode(r)
	if err := r.Err(); err != nil {
		return err
	}
	body := frame[r.Offset():]
	if h.APIKey == protocol.KeyApiVersions {
		// Answer any version: the client has not negotiated yet.
		var req protocol.ApiVersionsRequest
		req.Decode(protocol.NewReader(body), h.APIVersion)
		resp := protocol.NewApiVersionsResponse(protocol.SPUVersions, PlatformVersion)
		return c.reply(h.CorrelationID, h.APIVersion, resp)
	}
	if !versionOK(h.APIKey, h.APIVersion) {
		return protocol.ErrUnsupportedVersion(h.APIKey, h.APIVersion)
	}
	msg, err := protocol.DecodeSPURequest(&h, body)
	if err != nil {
		return err
	}
	switch req := msg.(type) {
	case *protocol.ProduceRequest:
		return c.produce(&h, req)
	case *protocol.FetchRequest:
		return c.reply(h.CorrelationID, h.APIVersion, c.s.fetch(req, h.APIVersion))
	case *protocol.FetchOffsetsRequest:
		return c.reply(h.CorrelationID, h.APIVersion, c.s.fetchOffsets(req))
	case *protocol.StreamFetchRequest:
		c.startStream(&h, req)
		return nil
	case *protocol.UpdateOffsetsRequest:
		// Queue the answer before waking the streams, so it goes out ahead
		// of the frames the acknowledgement releases.
		resp, acked := c.updateOffsets(req)
		err := c.reply(h.CorrelationID, h.APIVersion, resp)
		for _, a := range acked {
			a.st.ack(a.off)
		}
		return err
	case *protocol.UpdateConsumerOffsetRequest:
		return c.reply(h.CorrelationID, h.APIVersion, c.updateConsumerOffset(req))
	case *protocol.DeleteConsumerOffsetRequest:
		return c.reply(h.CorrelationID, h.APIVersion, c.s.deleteConsumerOffset(req))
	case *protocol.FetchConsumerOffsetsRequest:
		return c.reply(h.CorrelationID, h.APIVersion, c.s.fetchConsumerOffsets(req))
	}
	return protocol.ErrUnsupportedVersion(h.APIKey, h.APIVersion)
}

// versionOK accepts the advertised ranges; the unadvertised consumer-offset
// keys come at the client's default version, so any known version goes.
func versionOK(key protocol.APIKey, v int16) bool {
	if vr, ok := protocol.SPUVersions[key]; ok {
		// Clients newer than us may ask for more; our encodings stop at
		// the protocol package's maximum.
		return v >= vr.Min && v <= protocol.SPUMaxVersion
	}
	switch key {
	case protocol.KeyUpdateConsumerOffset, protocol.KeyDeleteConsumerOffset, protocol.KeyFetchConsumerOffsets:
		return v >= 0 && v <= protocol.SPUMaxVersion
	}
	return false
}

// respond writes a whole response frame (after any replies held back).
func (c *conn) respond(corr int32, version int16, body protocol.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	c.wbuf = protocol.EncodeResponseFrame(c.wbuf, corr, version, body)
	return c.writeLocked()
}

// maxHeldReplies bounds the replies held back by reply, and
// maxHeldRequestBytes the requests they answer.
const (
	maxHeldReplies      = 64 << 10
	maxHeldRequestBytes = 64 << 10
)

// reply queues the answer of a request the read loop handled; serve writes
// the queued answers once no further request is buffered.
func (c *conn) reply(corr int32, version int16, body protocol.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	c.wbuf = protocol.EncodeResponseFrame(c.wbuf, corr, version, body)
	if len(c.wbuf) >= maxHeldReplies {
		return c.writeLocked()
	}
	return nil
}

// flushReplies writes the replies held back.
func (c *conn) flushReplies() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	if len(c.wbuf) == 0 {
		return nil
	}
	return c.writeLocked()
}

// writeLocked writes wbuf; c.wmu is held.
func (c *conn) writeLocked() error {
	_, err := c.nc.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil
	}
	if err != nil {
		c.werr = err
		c.close()
	}
	return err
}
