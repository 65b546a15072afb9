package sc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// writeTimeout bounds one frame write to a client; a client that reads
// nothing for that long is disconnected.
const writeTimeout = 30 * time.Second

func defaultPlatformVersion() string { return buildinfo.PlatformVersion() }

// clientConn is one public connection: a read loop answering serial
// requests inline and one goroutine per watch stream, all writing through
// one mutex-guarded writer.
type clientConn struct {
	s    *Server
	nc   net.Conn
	done chan struct{}
	wmu  sync.Mutex
	wbuf []byte
}

// send writes one response frame; an error closes the connection.
func (c *clientConn) send(corr int32, version int16, body protocol.Message) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = protocol.EncodeResponseFrame(c.wbuf[:0], corr, version, body)
	_ = c.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > 1<<20 {
		c.wbuf = nil
	}
	if err != nil {
		c.nc.Close()
	}
	return err
}

func (s *Server) servePublic(nc net.Conn) {
	c := &clientConn{s: s, nc: nc, done: make(chan struct{})}
	var watches sync.WaitGroup
	defer func() {
		close(c.done)
		nc.Close()
		watches.Wait()
	}()
	br := bufio.NewReaderSize(nc, 64<<10)
	var buf []byte
	remote := nc.RemoteAddr().String()
	for {
		frame, err := protocol.ReadFrame(br, buf, s.cfg.MaxFrameSize)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.log.Warn("client connection closed", "remote", remote, "err", err)
			}
			return
		}
		if cap(frame) <= 1<<20 {
			buf = frame[:0]
		} else {
			buf = nil
		}
		r := protocol.NewReader(frame)
		var h protocol.RequestHeader
		h.Decode(r)
		if r.Err() != nil {
			s.log.Warn("bad request header; closing connection", "remote", remote, "err", r.Err())
			return
		}
		if h.APIKey == protocol.KeyWatch {
			req := &protocol.WatchRequest{}
			if !s.decodeRequest(c, &h, r, req) {
				return
			}
			watches.Add(1)
			go func() {
				defer watches.Done()
				s.watch(c, &h, req)
			}()
			continue
		}
		if !s.handleSerial(c, &h, r) {
			return
		}
	}
}

// decodeRequest decodes body at h's version after checking the range; on
// failure it answers when the key's response can carry an error and reports
// whether the connection should continue.
func (s *Server) decodeRequest(c *clientConn, h *protocol.RequestHeader, r *protocol.Reader, body protocol.Message) bool {
	vr, ok := protocol.SCVersions[h.APIKey]
	var err error
	if !ok || !vr.Contains(h.APIVersion) {
		err = protocol.ErrUnsupportedVersion(h.APIKey, h.APIVersion)
	} else {
		body.Decode(r, h.APIVersion)
		err = r.Err()
	}
	if err == nil {
		return true
	}
	s.log.Warn("bad request", "remote", c.nc.RemoteAddr().String(), "key", h.APIKey, "version", h.APIVersion, "err", err)
	switch h.APIKey {
	case protocol.KeyCreate, protocol.KeyDelete, protocol.KeyUpdate:
		// Status is not version-gated, so an error answer is always decodable.
		code := protocol.InvalidCreateRequest
		if h.APIKey == protocol.KeyDelete {
			code = protocol.InvalidDeleteRequest
		} else if h.APIKey == protocol.KeyUpdate {
			code = protocol.Other
		}
		msg := fmt.Sprintf("bad request: %v", err)
		ec := protocol.NewError(code)
		if code == protocol.Other {
			ec = protocol.NewErrorMessage(code, msg)
		}
		return c.send(h.CorrelationID, h.APIVersion, protocol.NewStatusError("", ec, msg)) == nil
	}
	return false // List/Watch bodies cannot carry an error: close
}

// handleSerial answers one non-streaming request; false closes the
// connection.
func (s *Server) handleSerial(c *clientConn, h *protocol.RequestHeader, r *protocol.Reader) bool {
	switch h.APIKey {
	case protocol.KeyApiVersions:
		req := &protocol.ApiVersionsRequest{}
		v := min(max(h.APIVersion, protocol.ApiVersionsVersions.Min), protocol.ApiVersionsVersions.Max)
		req.Decode(r, v) // informational only; a bad body still gets an answer
		resp := protocol.NewApiVersionsResponse(protocol.SCVersions, s.cfg.PlatformVersion)
		return c.send(h.CorrelationID, v, resp) == nil
	case protocol.KeyCreate:
		req := &protocol.CreateRequest{}
		if !s.decodeRequest(c, h, r, req) {
			return false
		}
		err := s.create(req)
		return c.send(h.CorrelationID, h.APIVersion, status(req.Name, err)) == nil
	case protocol.KeyDelete:
		req := &protocol.DeleteRequest{}
		if !s.decodeRequest(c, h, r, req) {
			return false
		}
		err := s.delete(req)
		return c.send(h.CorrelationID, h.APIVersion, status(req.KeyString(), err)) == nil
	case protocol.KeyUpdate:
		req := &protocol.UpdateRequest{}
		if !s.decodeRequest(c, h, r, req) {
			return false
		}
		err := s.update(req)
		return c.send(h.CorrelationID, h.APIVersion, status(req.KeyString(), err)) == nil
	case protocol.KeyList:
		req := &protocol.ListRequest{}
		if !s.decodeRequest(c, h, r, req) {
			return false
		}
		return c.send(h.CorrelationID, h.APIVersion, s.list(req)) == nil
	}
	s.log.Warn("unknown api key; closing connection", "remote", c.nc.RemoteAddr().String(), "key", h.APIKey, "version", h.APIVersion)
	return false
}

func status(name string, err error) *protocol.Status {
	code, msg := errorCodeOf(err)
	return &protocol.Status{Name: name, ErrorCode: code, ErrorMessage: msg}
}

func (s *Server) create(req *protocol.CreateRequest) error {
	ctl := s.ctrl
	switch spec := req.Spec.(type) {
	case *protocol.TopicSpec:
		if err := ctl.CreateTopic(req.Name, spec, req.DryRun); err != nil || req.DryRun {
			return err
		}
		return s.waitProvisioned(req.Name, spec.Partitions())
	case *protocol.CustomSpuSpec:
		return ctl.CreateCustomSpu(req.Name, spec, req.DryRun)
	case *protocol.SmartModuleSpec:
		return ctl.CreateSmartModule(req.Name, spec, req.DryRun)
	case *protocol.TableFormatSpec:
		return ctl.CreateTableFormat(req.Name, spec, req.DryRun)
	case *protocol.SpuGroupSpec:
		return ctl.CreateSpuGroup(req.Name, spec, req.DryRun)
	}
	return apiErr(protocol.InvalidCreateRequest, "objects of kind %s cannot be created", req.Label)
}

func (s *Server) delete(req *protocol.DeleteRequest) error {
	ctl := s.ctrl
	switch req.Label {
	case protocol.LabelTopic:
		return ctl.DeleteTopic(req.Key, req.Force)
	case protocol.LabelCustomSpu:
		return ctl.DeleteCustomSpu(req.SpuKey)
	case protocol.LabelSmartModule:
		return ctl.DeleteSmartModule(req.Key)
	case protocol.LabelTableFormat:
		return ctl.DeleteTableFormat(req.Key)
	case protocol.LabelSpuGroup:
		return ctl.DeleteSpuGroup(req.Key)
	}
	return apiErr(protocol.InvalidDeleteRequest, "objects of kind %s cannot be deleted", req.Label)
}

func (s *Server) update(req *protocol.UpdateRequest) error {
	if req.Label != protocol.LabelTopic {
		return apiErr(protocol.Other, "updating objects of kind %s is not supported", req.Label)
	}
	switch req.TopicAction.Kind {
	case protocol.UpdateAddPartition:
		return s.ctrl.AddPartitions(req.Key, req.TopicAction.Count)
	}
	return apiErr(protocol.MirrorInvalidType, "mirroring is not supported by this cluster")
}

// metadataOf converts a stored object for List/Watch; with summary,
// SmartModules lose their wasm and report its length.
func metadataOf(o *Object, summary bool) protocol.Metadata {
	md := protocol.Metadata{Name: o.Name, Spec: o.Spec, Status: o.Status}
	if sm, ok := o.Spec.(*protocol.SmartModuleSpec); ok && summary {
		cp := *sm
		cp.Summary = &protocol.SmartModuleWasmSummary{WasmLength: uint32(len(sm.Wasm.Payload))}
		cp.Wasm.Payload = nil
		md.Spec = &cp
	}
	return md
}

func (s *Server) list(req *protocol.ListRequest) *protocol.ListResponse {
	resp := &protocol.ListResponse{Label: req.Label}
	for _, o := range s.ctrl.store.List(req.Label) {
		if t, ok := o.Spec.(*protocol.TopicSpec); ok && t.System != req.System {
			continue
		}
		if len(req.NameFilters) > 0 {
			match := false
			for _, f := range req.NameFilters {
				if strings.Contains(o.Name, f) {
					match = true
					break
				}
			}
			if !match {
				continue
			}
		}
		resp.Objects = append(resp.Objects, metadataOf(o, req.Summary))
	}
	return resp
}

// watch streams one label to the client: a full sync, then changes, until
// the connection ends. The store never waits for it: changes queue in the
// subscription (bounded) and a watcher that falls behind is resynced.
func (s *Server) watch(c *clientConn, h *protocol.RequestHeader, req *protocol.WatchRequest) {
	sub := s.ctrl.store.Subscribe(req.Label)
	defer sub.Close()
	for {
		select {
		case <-c.done:
			return
		case <-s.done:
			return
		case <-sub.Ready():
		}
		u, ok := sub.Next()
		if !ok {
			continue
		}
		resp := &protocol.WatchResponse{Label: req.Label, Epoch: u.Epoch}
		for _, o := range u.All {
			resp.All = append(resp.All, metadataOf(o, req.Summary))
		}
		for _, ch := range u.Changes {
			op := protocol.MsgUpdate
			if ch.Delete {
				op = protocol.MsgDelete
			}
			resp.Changes = append(resp.Changes, protocol.MetadataChange{Op: op, Object: metadataOf(ch.Obj, req.Summary)})
		}
		if err := c.send(h.CorrelationID, h.APIVersion, resp); err != nil {
			return
		}
	}
}

// topicWait is how long Create waits for a new topic's partitions to come
// online, as Fluvio's SC does (FLV_TOPIC_WAIT seconds, default 90).
func topicWait() time.Duration {
	if v, err := strconv.Atoi(os.Getenv("FLV_TOPIC_WAIT")); err == nil && v > 0 {
		return time.Duration(v) * time.Second
	}
	return 90 * time.Second
}

// waitProvisioned waits until every partition of a new topic is Online (its
// leader SPU reported the replica), so that a client producing right after
// the Create answer finds a leader ready to take the data.
func (s *Server) waitProvisioned(topic string, partitions uint32) error {
	if s.cfg.TopicWait < 0 {
		return nil
	}
	deadline := time.Now().Add(s.cfg.TopicWait)
	for {
		online := uint32(0)
		for p := uint32(0); p < partitions; p++ {
			o := s.ctrl.Store().Get(protocol.LabelPartition, PartitionName(topic, p))
			if o == nil {
				return apiErr(protocol.TopicNotFound, "topic %s was deleted while it was being provisioned", topic)
			}
			if st, ok := o.Status.(*protocol.PartitionStatus); ok && st.Resolution == protocol.PartitionOnline {
				online++
			}
		}
		if online == partitions {
			return nil
		}
		if time.Now().After(deadline) {
			return apiErr(protocol.TopicNotProvisioned, "only %d out of %d partitions of %s provisioned", online, partitions, topic)
		}
		select {
		case <-s.done:
			return apiErr(protocol.TopicNotProvisioned, "the SC is shutting down")
		case <-time.After(5 * time.Millisecond):
		}
	}
}
