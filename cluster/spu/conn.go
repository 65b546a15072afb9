package spu

import (
	"bufio"
	"context"
	"errors"
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

	wmu  sync.Mutex // one frame at a time on the socket
	wbuf []byte
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
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var buf []byte
	for {
		frame, err := protocol.ReadFrame(br, buf, c.s.cfg.MaxFrameSize)
		if err != nil {
			if errors.Is(err, protocol.ErrTooLarge) {
				log.Warn("closing connection: frame too large", "err", err)
			} else if !errors.Is(err, io.EOF) && c.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				log.Debug("connection ended", "err", err)
			}
			return
		}
		if cap(frame) <= 1<<20 {
			buf = frame[:0]
		} else {
			buf = nil // do not pin a huge produce buffer
		}
		if err := c.handle(frame); err != nil {
			log.Warn("closing connection: bad request", "err", err)
			return
		}
	}
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
		return c.respond(h.CorrelationID, h.APIVersion, resp)
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
		return c.respond(h.CorrelationID, h.APIVersion, c.s.fetch(req, h.APIVersion))
	case *protocol.FetchOffsetsRequest:
		return c.respond(h.CorrelationID, h.APIVersion, c.s.fetchOffsets(req))
	case *protocol.StreamFetchRequest:
		c.startStream(&h, req)
		return nil
	case *protocol.UpdateOffsetsRequest:
		return c.respond(h.CorrelationID, h.APIVersion, c.updateOffsets(req))
	case *protocol.UpdateConsumerOffsetRequest:
		return c.respond(h.CorrelationID, h.APIVersion, c.updateConsumerOffset(req))
	case *protocol.DeleteConsumerOffsetRequest:
		return c.respond(h.CorrelationID, h.APIVersion, c.s.deleteConsumerOffset(req))
	case *protocol.FetchConsumerOffsetsRequest:
		return c.respond(h.CorrelationID, h.APIVersion, c.s.fetchConsumerOffsets(req))
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

// respond writes a whole response frame.
func (c *conn) respond(corr int32, version int16, body protocol.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	c.wbuf = protocol.EncodeResponseFrame(c.wbuf[:0], corr, version, body)
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil
	}
	if err != nil {
		c.werr = err
		c.close()
	}
	return err
}
