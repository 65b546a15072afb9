package controlplane

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// MaxFrameSize bounds one control-plane frame (SmartModule pushes carry
// wasm, so it is the public protocol's 50 MiB).
const MaxFrameSize = protocol.MaxFrameSize

// ErrRegisterRejected wraps a RegisterResponse error returned by Dial.
var ErrRegisterRejected = errors.New("controlplane: registration rejected")

// Envelope is one received frame: header and decoded body.
type Envelope struct {
	Header protocol.RequestHeader
	Msg    Message
}

// Conn is one end of a control-plane connection. Send and Reply may be
// called from many goroutines; Recv from one.
type Conn struct {
	nc       net.Conn
	br       *bufio.Reader
	clientID string
	corr     atomic.Int32
	rbuf     []byte

	wmu  sync.Mutex
	wbuf []byte
}

// NewConn wraps nc. clientID goes into every header this end sends ("sc" or
// "spu-<id>").
func NewConn(nc net.Conn, clientID string) *Conn {
	return &Conn{nc: nc, br: bufio.NewReaderSize(nc, 64<<10), clientID: clientID}
}

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Send writes m with the next correlation id of this end.
func (c *Conn) Send(m Message) error {
	return c.Reply(c.corr.Add(1), m)
}

// Reply writes m with correlation id corr.
func (c *Conn) Reply(corr int32, m Message) error {
	h := protocol.RequestHeader{APIKey: m.APIKey(), APIVersion: Version, CorrelationID: corr, ClientID: c.clientID}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = protocol.EncodeRequestFrame(c.wbuf[:0], &h, m)
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil // do not pin a large SmartModule push
	}
	if err != nil {
		return fmt.Errorf("controlplane: write key %d: %w", m.APIKey(), err)
	}
	return nil
}

// Recv reads and decodes the next frame. A decode error is returned with the
// header read so far; the connection stays usable since the whole frame was
// consumed, but peers of the same release never produce one.
func (c *Conn) Recv() (Envelope, error) {
	frame, err := protocol.ReadFrame(c.br, c.rbuf, MaxFrameSize)
	if err != nil {
		return Envelope{}, err
	}
	if cap(frame) <= 1<<20 {
		c.rbuf = frame[:0]
	} else {
		c.rbuf = nil
	}
	h, m, err := Decode(frame)
	return Envelope{Header: h, Msg: m}, err
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// Dial connects an SPU to the SC private address, registers it and returns
// the connection once the SC accepted. The caller then loops on Recv for
// pushes and Sends ReplicaStatusReports. A rejection wraps
// ErrRegisterRejected and the protocol error.
func Dial(ctx context.Context, addr string, reg *Register) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("controlplane: dial sc %s: %w", addr, err)
	}
	c := NewConn(nc, "spu-"+strconv.Itoa(int(reg.SpuID)))
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	} else {
		_ = nc.SetDeadline(time.Now().Add(30 * time.Second))
	}
	fail := func(err error) (*Conn, error) { nc.Close(); return nil, err }
	if err := c.Send(reg); err != nil {
		return fail(err)
	}
	env, err := c.Recv()
	if err != nil {
		return fail(fmt.Errorf("controlplane: read register response: %w", err))
	}
	resp, ok := env.Msg.(*RegisterResponse)
	if !ok {
		return fail(fmt.Errorf("controlplane: expected register response, got key %d", env.Header.APIKey))
	}
	if !resp.Error.IsOK() {
		msg := resp.Message
		if msg == "" {
			msg = resp.Error.Err().Error()
		}
		return fail(fmt.Errorf("%w: spu %d: %s: %w", ErrRegisterRejected, reg.SpuID, msg, resp.Error.Err()))
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}
