package spu

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// SmartModules builds the transform for a stream's SmartModule chain.
// cluster/spu/smartmodules provides one on the wazero engine; without it the
// SPU answers requests that carry SmartModules with a SmartModule error.
type SmartModules interface {
	// NewTransform prepares the chain of a StreamFetch (or Produce). A
	// failure is sent as the returned code (SmartModuleNotFound,
	// SmartModuleInvalid, ...) in a single frame.
	NewTransform(ctx context.Context, s *Server, req TransformRequest) (Transform, protocol.ErrorCode)
}

// TransformRequest is what a chain is built from.
type TransformRequest struct {
	// Version is the request's api version (the module ABI version, spec
	// smartmodule.md §1.7).
	Version int16
	// SmartModules is the chain, applied in order.
	SmartModules []protocol.SmartModuleInvocation
	// MaxBytes bounds the output of one Process call (StreamFetch
	// max_bytes); 0 for Produce.
	MaxBytes int
	// Log is the partition a stream reads, for look_back; nil for Produce.
	Log *storage.Replica
}

// Transform runs a SmartModule chain over stored batches.
type Transform interface {
	// Process transforms whole stored batches (as read from the log) into
	// at most one output batch. next is the input offset after the last
	// batch processed (sent as next_filter_offset); code carries a runtime
	// error to send along with out. out stays valid through the next call
	// that returns a batch, so it can be sent while the next one runs; the
	// call after that one may reuse it. checked is what Check returned for
	// these batches (0 if it was not called): their first checked bytes
	// need no check again. out is not ready to send: Finish makes it so.
	Process(ctx context.Context, batches []byte, checked int) (out []byte, next int64, code protocol.ErrorCode)
	// Finish completes a batch Process returned (its CRC, or its
	// compression) and returns the bytes to send, valid as long as out.
	// It runs on the goroutine that sends them, while Process runs on
	// what follows; an error means nothing can be sent.
	Finish(out []byte) ([]byte, error)
	// Check checks stored batches before Process runs on them, on the
	// goroutine that reads a stream ahead (so off the chain's path), and
	// returns how many of their first bytes are checked. It may run while
	// Process runs on other batches.
	Check(batches []byte) int
	// Produce transforms one produced batch into the batch to store, its
	// records numbered from offset delta 0; nil when every record was
	// filtered out.
	Produce(ctx context.Context, batch []byte) (out []byte, code protocol.ErrorCode)
	// Stateless reports whether Process may run on input the client
	// has not asked for yet and its result be dropped: no module of the
	// chain keeps an accumulator.
	Stateless() bool
	// Close releases the chain.
	Close()
}

// stream is one StreamFetch on a connection.
type stream struct {
	id         uint32
	corr       int32
	version    int16
	req        *protocol.StreamFetchRequest
	rep        *replica
	consumerID *string
	acks       chan int64 // latest acknowledged offset (capacity 1, newest wins)
	in, in2    []byte     // SmartModule streams: input buffers, reused (one is read ahead into)
}

// ack records the client's UpdateOffsets for this stream.
func (st *stream) ack(off int64) {
	for {
		select {
		case st.acks <- off:
			return
		default:
		}
		select {
		case <-st.acks:
		default:
		}
	}
}

func hasSmartModules(req *protocol.StreamFetchRequest) bool {
	return len(req.SmartModules) > 0 || len(req.WasmModule) > 0 || req.SmartModule != nil || req.DerivedStream != nil
}

// startStream answers a StreamFetch: a "not leader" frame, or a stream
// goroutine that sends frames as data arrives (spec §4.5.3).
func (c *conn) startStream(h *protocol.RequestHeader, req *protocol.StreamFetchRequest) {
	rep := c.s.leader(req.Topic, req.Partition)
	if rep == nil {
		c.sendError(h.CorrelationID, h.APIVersion, req, 0, nil, protocol.NewError(protocol.NotLeaderForPartition))
		return
	}
	// The request was decoded in place from the connection's read buffer,
	// which the next requests overwrite while this stream builds its
	// chain (a large one's buffer goes to the server's pool): the module
	// bytes and initial accumulators it carries are copied (the modules
	// dropped once the chain is built).
	for i := range req.SmartModules {
		inv := &req.SmartModules[i]
		inv.Wasm.AdHoc = bytes.Clone(inv.Wasm.AdHoc) // nil stays nil
		inv.Kind.Accumulator = bytes.Clone(inv.Kind.Accumulator)
	}
	c.mu.Lock()
	c.nextStream++
	st := &stream{id: c.nextStream, corr: h.CorrelationID, version: h.APIVersion, req: req, rep: rep,
		consumerID: req.ConsumerID, acks: make(chan int64, 1)}
	c.streams[st.id] = st
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer func() {
			c.mu.Lock()
			delete(c.streams, st.id)
			c.mu.Unlock()
		}()
		c.runStream(st)
	}()
}

func (c *conn) sendError(corr int32, version int16, req *protocol.StreamFetchRequest, id uint32, rep *replica, code protocol.ErrorCode) error {
	resp := &protocol.StreamFetchResponse{Topic: req.Topic, StreamID: id, Partition: protocol.FetchablePartitionResponse{
		PartitionIndex: req.Partition, ErrorCode: code,
	}}
	if rep != nil {
		o := rep.log.Offsets()
		resp.Partition.HighWatermark, resp.Partition.LogStartOffset = o.HighWatermark, o.LogStart
	}
	return c.respond(corr, version, resp)
}

func (c *conn) runStream(st *stream) {
	req, rep := st.req, st.rep
	log := c.s.log.With("topic", req.Topic, "partition", req.Partition, "stream", st.id)
	var tr Transform
	if hasSmartModules(req) {
		if c.s.cfg.SmartModules == nil || len(req.SmartModules) == 0 {
			// Legacy (pre-chain) SmartModule fields are not supported either.
			c.sendError(st.corr, st.version, req, st.id, rep, errSmartModulesDisabled())
			return
		}
		t, code := c.s.cfg.SmartModules.NewTransform(c.ctx, c.s, TransformRequest{
			Version: st.version, SmartModules: req.SmartModules, MaxBytes: int(req.MaxBytes), Log: rep.log})
		if !code.IsOK() {
			c.sendError(st.corr, st.version, req, st.id, rep, code)
			return
		}
		tr = t
		defer tr.Close()
		for i := range req.SmartModules {
			req.SmartModules[i].Wasm.AdHoc = nil // the chain is built: the stream keeps no copy
		}
	}
	iso := storage.Isolation(req.Isolation)
	maxBytes := int(req.MaxBytes)
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	offset := max(req.FetchOffset, 0)
	if tr != nil {
		c.runTransformed(st, tr, offset, maxBytes, log)
		return
	}
	for {
		sl, ok := c.readable(st, &offset, maxBytes, iso, log, nil, nil)
		if !ok {
			return
		}
		err := c.sendSlice(st, sl)
		sl.Close()
		if err != nil {
			log.Debug("stream write failed", "err", err)
			return
		}
		// Wait for the client's acknowledgement, then go on from it.
		off, ok := c.awaitAck(st, log)
		if !ok {
			return
		}
		offset = off
	}
}

// readable waits until something is readable at *offset (moved to the log
// start if retention evicted it) and returns it; false when the stream
// ends (its answer, if any, sent). With acks, an acknowledgement arriving
// meanwhile ends the wait too: it is stored in *acked and the slice is nil.
func (c *conn) readable(st *stream, offset *int64, maxBytes int, iso storage.Isolation, log *slog.Logger, acks <-chan int64, acked *int64) (*storage.Slice, bool) {
	rep := st.rep
	for {
		changed := rep.log.Changed()
		sl, err := rep.log.Read(*offset, maxBytes, iso)
		if err == nil && sl.Len > 0 {
			return sl, true
		}
		if err != nil {
			o := rep.log.Offsets()
			switch {
			case errors.Is(err, storage.ErrOffsetOutOfRange) && *offset < o.LogStart:
				*offset = o.LogStart // evicted by retention: continue from what is left
				continue
			case errors.Is(err, storage.ErrOffsetOutOfRange):
				// Past LEO: wait for the log to grow to it.
			case errors.Is(err, storage.ErrClosed):
				c.streamGone(st, log)
				return nil, false
			default:
				log.Warn("stream read failed", "err", err)
				c.sendError(st.corr, st.version, st.req, st.id, rep, protocol.NewError(protocol.StorageError))
				return nil, false
			}
		}
		select {
		case <-changed:
		case off := <-acks:
			*acked = off
			return nil, true
		case <-rep.gone:
			c.streamGone(st, log)
			return nil, false
		case <-c.ctx.Done():
			return nil, false
		}
	}
}

// awaitAck waits for the client's next acknowledgement; false when the
// stream ends meanwhile.
func (c *conn) awaitAck(st *stream, log *slog.Logger) (int64, bool) {
	select {
	case off := <-st.acks:
		return off, true
	case <-st.rep.gone:
		c.streamGone(st, log)
		return 0, false
	case <-c.ctx.Done():
		return 0, false
	}
}

// runTransformed streams the output of a SmartModule chain. Why transform
// before the acknowledgement of the previous frame arrives? The chain is
// the stream's slowest part, and the client acknowledges a frame as soon
// as it arrives: running the chain on what follows while the frame
// travels keeps both sides busy. What was computed is sent only after the
// acknowledgement, as flow control requires (spec §4.5.3); should the
// client acknowledge another offset than the frame's next_filter_offset,
// the result is dropped and the chain runs again from that offset. A chain
// with an aggregate is not run ahead: a dropped result would have been
// folded into its accumulator.
func (c *conn) runTransformed(st *stream, tr Transform, offset int64, maxBytes int, log *slog.Logger) {
	iso := storage.Isolation(st.req.Isolation)
	runAhead := tr.Stateless()
	pending := false        // a frame was sent and its acknowledgement is due
	var ahead <-chan chunk  // the chunk being read ahead, if any
	var inflight chan error // the frame being written, if any
	wait := func() error {
		if inflight == nil {
			return nil
		}
		err := <-inflight
		inflight = nil
		return err
	}
	defer wait()
	for {
		if pending && !runAhead {
			off, ok := c.awaitAck(st, log)
			if !ok {
				return
			}
			offset, pending = off, false
		}
		// Running ahead, the wait for data also watches for the
		// acknowledgement: one behind what was sent is served at once.
		var acks <-chan int64
		if pending {
			acks = st.acks
		}
		var ch chunk
		if ahead != nil {
			if got := <-ahead; got.ok && got.offset == offset {
				ch = got
			}
			ahead = nil
		}
		if !ch.ok {
			var acked int64
			sl, ok := c.readable(st, &offset, maxBytes, iso, log, acks, &acked)
			if !ok {
				return
			}
			if sl == nil {
				offset, pending = acked, false
				continue
			}
			var err error
			ch, err = readChunk(sl, st.in, offset)
			if err != nil {
				log.Warn("stream read failed", "err", err)
				c.sendError(st.corr, st.version, st.req, st.id, st.rep, protocol.NewError(protocol.StorageError))
				return
			}
		}
		in, offs, tail := ch.in, ch.offs, ch.tail(iso)
		// The buffers swap: the chain reads in while the next chunk, if
		// any is there already, is read into the other.
		st.in, st.in2 = st.in2, in[:0]
		if ch.next < tail {
			ahead = readAhead(st, tr, ch.next, maxBytes, iso, st.in)
		}
		out, next, code := tr.Process(c.ctx, in, ch.checked)
		if pending {
			off, ok := c.awaitAck(st, log)
			if !ok {
				return
			}
			pending = false
			if off != offset {
				// The client went elsewhere: run again from there, once the
				// frame in flight is written (the next run may reuse its buffer).
				offset = off
				if err := wait(); err != nil {
					log.Debug("stream write failed", "err", err)
					return
				}
				continue
			}
		}
		if len(out) == 0 && code.IsOK() && next < tail {
			offset = next // filtered out with more to read: go on
			continue
		}
		// Otherwise send, even empty once the filter reached the end of the
		// log: next_filter_offset tells the client how far the stream got,
		// so a consumer that stops at the end (fluvio consume -d) does not
		// wait for records the filter will never let through.
		resp := protocol.StreamFetchResponse{Topic: st.req.Topic, StreamID: st.id, Partition: protocol.FetchablePartitionResponse{
			PartitionIndex:   st.req.Partition,
			ErrorCode:        code,
			HighWatermark:    offs.HighWatermark,
			LogStartOffset:   offs.LogStart,
			NextFilterOffset: next,
		}}
		if err := wait(); err != nil {
			log.Debug("stream write failed", "err", err)
			return
		}
		if !code.IsOK() {
			batch, _ := finishFrame(tr, out, &resp)
			if err := c.sendRecords(st, &resp, batch); err != nil {
				log.Debug("stream write failed", "err", err)
			}
			return
		}
		// The frame is finished and written while the chain runs on what
		// follows (out stays valid through that next call; the write is
		// waited for before the one after), with the connection's write
		// lock taken here, so anything this stream sends later goes after.
		// A batch that cannot be finished is sent as an error, which ends
		// the stream.
		c.wmu.Lock()
		inflight = make(chan error, 1)
		go func(resp protocol.StreamFetchResponse, done chan<- error) {
			batch, ferr := finishFrame(tr, out, &resp)
			err := c.sendRecordsLocked(st, &resp, batch)
			c.wmu.Unlock()
			if err == nil {
				err = ferr
			}
			done <- err
		}(resp, inflight)
		offset, pending = next, true
	}
}

// finishFrame completes the batch of a frame (Transform.Finish); a frame
// without records (it says how far the filter got) has none to finish. A
// batch that cannot be finished is replaced by the error, in resp.
func finishFrame(tr Transform, out []byte, resp *protocol.StreamFetchResponse) ([]byte, error) {
	if len(out) == 0 {
		return nil, nil
	}
	batch, err := tr.Finish(out)
	if err != nil {
		resp.Partition.ErrorCode = protocol.NewErrorMessage(protocol.Other, "SmartModule err "+err.Error())
		return nil, err
	}
	return batch, nil
}

// chunk is stored batches read for a SmartModule stream.
type chunk struct {
	ok      bool
	offset  int64 // the offset asked for
	in      []byte
	next    int64           // the offset after the last batch
	offs    storage.Offsets // the replica's, when it was read
	checked int             // bytes of in checked by Transform.Check
}

// tail is the end of what a stream with isolation iso may read.
func (ch *chunk) tail(iso storage.Isolation) int64 {
	if iso == storage.ReadCommitted {
		return ch.offs.HighWatermark
	}
	return ch.offs.LogEnd
}

// readChunk reads a slice into buf (see Slice.ReadInto) and closes it.
func readChunk(sl *storage.Slice, buf []byte, offset int64) (chunk, error) {
	defer sl.Close()
	in, err := sl.ReadInto(buf)
	if err != nil {
		return chunk{}, err
	}
	return chunk{ok: true, offset: offset, in: in, next: sl.NextOffset, offs: sl.Offsets}, nil
}

// readAhead reads the chunk at offset into buf, and has tr check it, while
// the chain runs on the current one: storage reads and input checks leave
// the stream's critical path. Whatever goes wrong (retention, a closed
// log, nothing there) yields a chunk that is not ok, and the stream reads
// as usual.
func readAhead(st *stream, tr Transform, offset int64, maxBytes int, iso storage.Isolation, buf []byte) <-chan chunk {
	res := make(chan chunk, 1)
	go func() {
		sl, err := st.rep.log.Read(offset, maxBytes, iso)
		if err != nil || sl.Len == 0 {
			if err == nil {
				sl.Close()
			}
			res <- chunk{}
			return
		}
		ch, err := readChunk(sl, buf, offset) // on error, not ok
		if err == nil {
			ch.checked = tr.Check(ch.in)
		}
		res <- ch
	}()
	return res
}

func (c *conn) streamGone(st *stream, log interface{ Debug(string, ...any) }) {
	if st.rep.deleted {
		c.sendError(st.corr, st.version, st.req, st.id, nil, protocol.NewError(protocol.TopicDeleted))
		return
	}
	log.Debug("replica no longer served here, ending stream")
	c.sendError(st.corr, st.version, st.req, st.id, nil, protocol.NewError(protocol.NotLeaderForPartition))
}

// sendSlice writes one StreamFetch frame whose records are the slice, sent
// from the segment file (sendfile on a TCP connection).
func (c *conn) sendSlice(st *stream, sl *storage.Slice) error {
	resp := protocol.StreamFetchResponse{Topic: st.req.Topic, StreamID: st.id, Partition: protocol.FetchablePartitionResponse{
		PartitionIndex: st.req.Partition,
		HighWatermark:  sl.Offsets.HighWatermark,
		LogStartOffset: sl.Offsets.LogStart,
	}}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	// Encode with an empty record set (after any replies held back), then
	// patch the record set length and the frame length to cover the slice
	// that follows.
	b, start := protocol.BeginFrame(c.wbuf)
	b = protocol.AppendInt32(b, st.corr)
	b = resp.Encode(b, st.version)
	binary.BigEndian.PutUint32(b[len(b)-4:], uint32(sl.Len))
	binary.BigEndian.PutUint32(b[start:], uint32(int64(len(b)-start-4)+sl.Len))
	c.wbuf = b[:0]
	if _, err := c.nc.Write(b); err != nil {
		c.werr = err
		c.close()
		return err
	}
	if _, err := sl.WriteTo(c.nc); err != nil {
		c.werr = err
		c.close()
		return err
	}
	return nil
}

// sendRecords writes one StreamFetch frame whose record set is records,
// written after the encoded response without being copied into it.
func (c *conn) sendRecords(st *stream, resp *protocol.StreamFetchResponse, records []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.sendRecordsLocked(st, resp, records)
}

// sendRecordsLocked is sendRecords with c.wmu held.
func (c *conn) sendRecordsLocked(st *stream, resp *protocol.StreamFetchResponse, records []byte) error {
	if c.werr != nil {
		return c.werr
	}
	b, start := protocol.BeginFrame(c.wbuf)
	b = protocol.AppendInt32(b, st.corr)
	b = resp.Encode(b, st.version)
	binary.BigEndian.PutUint32(b[len(b)-4:], uint32(len(records)))
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4+len(records)))
	c.wbuf = b[:0]
	bufs := net.Buffers{b, records}
	if _, err := bufs.WriteTo(c.nc); err != nil {
		c.werr = err
		c.close()
		return err
	}
	return nil
}
