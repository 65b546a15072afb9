package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Offset says where a stream starts.
type Offset struct {
	from  offsetFrom
	value int64
}

type offsetFrom uint8

const (
	fromAbsolute offsetFrom = iota
	fromBeginning
	fromEnd
)

// OffsetAbsolute starts at offset n.
func OffsetAbsolute(n int64) Offset { return Offset{fromAbsolute, n} }

// OffsetBeginning starts n records after the start of the log.
func OffsetBeginning(n int64) Offset { return Offset{fromBeginning, n} }

// OffsetEnd starts n records before the end of the log (0: only new records).
func OffsetEnd(n int64) Offset { return Offset{fromEnd, n} }

// resolve turns the offset into an absolute one as the Rust client does:
// clamp into [start, hw], floored at 0.
func (o Offset) resolve(start, hw int64) int64 {
	var v int64
	switch o.from {
	case fromAbsolute:
		v = o.value
	case fromBeginning:
		v = min(max(start+o.value, start), hw)
	case fromEnd:
		v = min(max(hw-o.value, start), hw)
	}
	return max(v, 0)
}

// ConsumerConfig configures a stream.
type ConsumerConfig struct {
	// MaxBytes bounds each response (1 048 890 by default, as the Rust client).
	MaxBytes int32
	// Isolation ReadCommitted reads only committed records.
	Isolation protocol.Isolation
	// SmartModules run on the SPU, in order, before records are sent.
	SmartModules []protocol.SmartModuleInvocation
	// ConsumerID names a consumer whose offset the cluster keeps: the
	// stream resumes after the last committed offset, and Commit stores it.
	ConsumerID string
	// StopAtEnd ends the stream (io.EOF) once it reached the high watermark
	// it saw when it started, instead of waiting for new records.
	StopAtEnd bool
	// ReuseBuffers lets the stream read new chunks into the memory of
	// records already returned: a Record's Key and Value are then valid
	// only until the next call to Next (copy what you keep). It spares the
	// garbage collector about one byte per byte consumed, for consumers
	// that handle each record as it comes (printing, forwarding, counting).
	ReuseBuffers bool
}

// DefaultMaxBytes is the Rust client's default fetch size.
const DefaultMaxBytes = 1048890

// Record is a consumed record.
type Record struct {
	Partition uint32
	Offset    int64
	// Timestamp is milliseconds since the epoch, or -1 when unknown.
	Timestamp int64
	// Key is nil when the record has no key.
	Key   []byte
	Value []byte
}

// PartitionConsumer consumes one partition of a topic.
type PartitionConsumer struct {
	c         *Client
	topic     string
	partition uint32
}

// PartitionConsumer returns a consumer of one partition.
func (c *Client) PartitionConsumer(topic string, partition uint32) *PartitionConsumer {
	return &PartitionConsumer{c: c, topic: topic, partition: partition}
}

// Stream is a continuous stream of records from one partition.
type Stream struct {
	pc       *PartitionConsumer
	sock     *socket
	own      *socket // a SmartModule stream's own connection, closed with it
	st       *stream
	streamID uint32
	items    chan streamItem
	cur      []Record      // records of the chunk Next is working through
	curFrame []byte        // the frame cur aliases
	curAll   []Record      // cur before Next took records off it
	freeRecs chan []Record // ReuseBuffers: records slices Next is done with
	free     chan []byte   // ReuseBuffers: frames of chunks Next is done with
	ready    []byte        // the next frame's buffer, prepared (read loop only)
	cancel   context.CancelFunc
	done     chan struct{}

	end     int64 // StopAtEnd: the high watermark at the start; else -1
	version int16 // of StreamFetch

	mu       sync.Mutex
	lastRead int64 // offset of the last record returned by Next
	hw       int64
	ackErr   error // the first failed acknowledgement
	// pendingAck (-1: none) is the acknowledgement of the last chunk
	// received, held back until the queue has room for the next one.
	pendingAck int64
	pendingID  uint32
	closeOnce  sync.Once
}

// streamItem is one response frame's records (aliasing the frame: no copy
// of their bytes) or an error.
type streamItem struct {
	recs  []Record
	frame []byte // the frame recs alias, recycled with ReuseBuffers
	err   error
}

// Offsets are the bounds of a partition.
type Offsets struct {
	Start         int64
	HighWatermark int64
}

// FetchOffsets asks the leader for the partition's log start and high
// watermark (and, with consumerID, the committed offset + 1 as Start).
func (pc *PartitionConsumer) FetchOffsets(ctx context.Context, consumerID string) (Offsets, error) {
	s, err := pc.socket(ctx)
	if err != nil {
		return Offsets{}, err
	}
	return pc.fetchOffsets(ctx, s, consumerID)
}

func (pc *PartitionConsumer) socket(ctx context.Context) (*socket, error) {
	leader, err := pc.c.partitionLeader(ctx, pc.topic, pc.partition)
	if err != nil {
		return nil, err
	}
	return pc.c.spuSocket(ctx, leader)
}

func (pc *PartitionConsumer) fetchOffsets(ctx context.Context, s *socket, consumerID string) (Offsets, error) {
	v, ok := s.version(protocol.KeyFetchOffsets, clientFetchOffsets)
	if !ok {
		v = clientFetchOffsets.Max
	}
	req := &protocol.FetchOffsetsRequest{Topics: []protocol.FetchOffsetTopic{{Name: pc.topic, Partitions: []protocol.FetchOffsetPartition{{PartitionIndex: pc.partition}}}}}
	if consumerID != "" {
		req.ConsumerID = &consumerID
	}
	cctx, cancel := context.WithTimeout(ctx, pc.c.opts.RequestTimeout)
	defer cancel()
	var resp protocol.FetchOffsetsResponse
	if err := s.call(cctx, protocol.KeyFetchOffsets, v, req, &resp); err != nil {
		return Offsets{}, fmt.Errorf("fetch offsets of %s-%d: %w", pc.topic, pc.partition, err)
	}
	for _, t := range resp.Topics {
		if t.Name != pc.topic {
			continue
		}
		for _, p := range t.Partitions {
			if p.PartitionIndex == pc.partition {
				if err := p.ErrorCode.Err(); err != nil {
					return Offsets{}, fmt.Errorf("fetch offsets of %s-%d: %w", pc.topic, pc.partition, err)
				}
				return Offsets{Start: p.StartOffset, HighWatermark: p.LastStableOffset}, nil
			}
		}
	}
	return Offsets{}, fmt.Errorf("fetch offsets of %s-%d: no replica offset in the response", pc.topic, pc.partition)
}

// Stream starts streaming records from off.
func (pc *PartitionConsumer) Stream(ctx context.Context, off Offset, cfg ConsumerConfig) (*Stream, error) {
	// A leader that is still opening its replicas (just restarted, or the
	// topic was just created) answers "not leader": retry for a while, as
	// the Rust client's retrying consumer does.
	var s *socket
	var offs Offsets
	backoff := 10 * time.Millisecond
	deadline := time.Now().Add(pc.c.opts.MetadataTimeout)
	for {
		var err error
		if s, err = pc.socket(ctx); err == nil {
			if offs, err = pc.fetchOffsets(ctx, s, cfg.ConsumerID); err == nil {
				break
			}
		}
		var perr *protocol.Error
		if !errors.As(err, &perr) || !perr.Code.Code.Retriable() || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff = min(backoff*2, time.Second)
	}
	start := off.resolve(offs.Start, offs.HighWatermark)
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	sctx, cancel := context.WithCancel(context.Background())
	out := &Stream{pc: pc, sock: s, items: make(chan streamItem, itemsDepth), cancel: cancel, done: make(chan struct{}), lastRead: -1, pendingAck: -1, hw: offs.HighWatermark}
	if cfg.StopAtEnd && start >= offs.HighWatermark {
		close(out.items)
		close(out.done)
		return out, nil
	}
	if len(cfg.SmartModules) > 0 {
		// A connection of its own, closed with the stream: StreamFetch
		// has no cancel message, and the SPU keeps a stream, with its
		// SmartModule instances, until its connection closes.
		own, err := dialSocket(ctx, s.addr, s.clientID)
		if err != nil {
			cancel()
			return nil, err
		}
		s, out.sock, out.own = own, own, own
	}
	fail := func(err error) (*Stream, error) {
		cancel()
		if out.own != nil {
			out.own.Close()
		}
		return nil, err
	}
	v, ok := s.version(protocol.KeyStreamFetch, clientStreamFetch)
	if !ok {
		return fail(fmt.Errorf("stream %s-%d: the SPU does not support StreamFetch versions %d-%d", pc.topic, pc.partition, clientStreamFetch.Min, clientStreamFetch.Max))
	}
	req := &protocol.StreamFetchRequest{Topic: pc.topic, Partition: pc.partition, FetchOffset: start,
		MaxBytes: cfg.MaxBytes, Isolation: cfg.Isolation, SmartModules: cfg.SmartModules}
	if cfg.ConsumerID != "" {
		req.ConsumerID = &cfg.ConsumerID
	}
	end := int64(-1)
	if cfg.StopAtEnd {
		end = offs.HighWatermark
	}
	out.end, out.version = end, v
	if cfg.ReuseBuffers {
		out.free = make(chan []byte, streamDepth+itemsDepth+2)
		out.freeRecs = make(chan []Record, itemsDepth+2)
	}
	st, err := s.openStream(protocol.KeyStreamFetch, v, req, streamDepth, s.clientID, out.received, out.alloc)
	if err != nil {
		return fail(err)
	}
	out.st = st
	go out.run(sctx, start, end)
	return out, nil
}

// nextOffset is where the stream goes on after a response: the SPU's
// next_filter_offset when a SmartModule filtered, else the offset after the
// last record of the chunk; -1 when the chunk has no records.
func nextOffset(part *protocol.FetchablePartitionResponse) (int64, error) {
	next := int64(-1)
	for batch := range part.Records.All() {
		h, err := protocol.ParseBatchHeader(batch)
		if err != nil {
			return -1, err
		}
		next = h.LastOffset() + 1
	}
	if part.NextFilterOffset > 0 {
		next = part.NextFilterOffset
	}
	return next, nil
}

// Chunks a stream holds: streamDepth received and not yet decoded, one
// being decoded, itemsDepth decoded and not yet taken by Next, and the one
// Next works through.
const (
	streamDepth = 2
	itemsDepth  = 2
)

// received runs on the socket's read loop for every response frame of the
// stream, before it is queued for run. When the queue will still have room
// for one more chunk it acknowledges this one at once (UpdateOffsets,
// answered asynchronously), so the SPU reads and sends the next chunk
// while this one waits to be decoded and delivered; otherwise run sends the
// acknowledgement when it takes a chunk off the queue. Either way the SPU's
// next chunk finds room, so the read loop, which other streams and calls
// on the connection share, never waits for a slow consumer.
func (s *Stream) received(body []byte, spare int) {
	var resp protocol.StreamFetchResponse
	r := protocol.NewReader(body)
	resp.Decode(r, s.version)
	if r.Err() != nil {
		return // run reports it
	}
	part := &resp.Partition
	s.mu.Lock()
	s.streamID = resp.StreamID
	s.mu.Unlock()
	next, err := nextOffset(part)
	if err != nil || !part.ErrorCode.IsOK() || next < 0 || (s.end >= 0 && next >= s.end) {
		return
	}
	if spare > 0 {
		s.ack(resp.StreamID, next)
		s.prepare(len(body) + 4 + 4<<10) // the next chunk is about this size
		return
	}
	s.mu.Lock()
	s.pendingAck, s.pendingID = next, resp.StreamID
	s.mu.Unlock()
}

// alloc gives the socket's read loop the buffer for the next frame: a
// recycled one (ReuseBuffers), or the one received prepared.
func (s *Stream) alloc(n int) []byte {
	select {
	case b := <-s.free:
		if cap(b) >= n {
			return b[:0]
		}
	default:
	}
	if b := s.ready; cap(b) >= n {
		s.ready = nil
		return b[:0]
	}
	return make([]byte, 0, min(n, 4<<20))
}

// prepare readies a buffer of n bytes for the next frame, on the read loop
// after a chunk was acknowledged, while the SPU reads and sends the next
// one. Why touch every page? Memory the runtime got back from the kernel
// is mapped on first write: a kernel copy into it takes page faults, which
// cost more than the copy. Faulted in here, they overlap the round trip.
func (s *Stream) prepare(n int) {
	if s.free != nil || cap(s.ready) >= n || n <= 64<<10 {
		return
	}
	b := make([]byte, n)
	for i := 0; i < n; i += 4 << 10 {
		b[i] = 0
	}
	s.ready = b[:0]
}

// recycle hands the frame and records of a chunk Next is done with back
// (ReuseBuffers).
func (s *Stream) recycle(frame []byte, recs []Record) {
	if s.free == nil {
		return
	}
	if frame != nil {
		select {
		case s.free <- frame:
		default:
		}
	}
	if cap(recs) > 0 {
		clear(recs[:cap(recs)]) // no reference to old frames stays reachable
		select {
		case s.freeRecs <- recs[:0]:
		default:
		}
	}
}

// recsBuf is a recycled records slice (ReuseBuffers), or nil.
func (s *Stream) recsBuf() []Record {
	select {
	case r := <-s.freeRecs:
		return r
	default:
		return nil
	}
}

// sendPendingAck sends the acknowledgement received held back, if any.
func (s *Stream) sendPendingAck() {
	s.mu.Lock()
	next, id := s.pendingAck, s.pendingID
	s.pendingAck = -1
	s.mu.Unlock()
	if next >= 0 {
		s.ack(id, next)
	}
}

// ack sends UpdateOffsets so the SPU sends what follows next; a failure is
// kept for run to deliver after the records already received.
func (s *Stream) ack(id uint32, next int64) {
	sock := s.sock
	fail := func(err error) {
		s.mu.Lock()
		if s.ackErr == nil {
			s.ackErr = fmt.Errorf("stream %s-%d: acknowledge offset %d: %w", s.pc.topic, s.pc.partition, next, err)
		}
		s.mu.Unlock()
	}
	err := sock.startFunc(s.pc.c.opts.RequestTimeout, func(corr int32) [][]byte {
		h := protocol.RequestHeader{APIKey: protocol.KeyUpdateOffsets, APIVersion: clientUpdateOffsets.Max, CorrelationID: corr, ClientID: sock.clientID}
		return [][]byte{protocol.EncodeRequestFrame(nil, &h, &protocol.UpdateOffsetsRequest{Offsets: []protocol.OffsetUpdate{{Offset: next, SessionID: id}}})}
	}, func(body []byte, err error) {
		if err != nil {
			fail(err)
			return
		}
		var resp protocol.UpdateOffsetsResponse
		r := protocol.NewReader(body)
		resp.Decode(r, clientUpdateOffsets.Max)
		if err := r.Err(); err != nil {
			fail(err)
			return
		}
		for _, st := range resp.Status {
			if err := st.Error.Err(); err != nil {
				fail(err)
				return
			}
		}
	})
	if err != nil {
		fail(err)
	}
}

// run decodes the response frames (received has acknowledged them) and
// delivers their records.
func (s *Stream) run(ctx context.Context, start, end int64) {
	defer close(s.done)
	defer close(s.items)
	defer s.st.close()
	send := func(it streamItem) bool {
		select {
		case s.items <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	fail := func(err error) {
		send(streamItem{err: fmt.Errorf("stream %s-%d: %w", s.pc.topic, s.pc.partition, err)})
	}
	for {
		var resp protocol.StreamFetchResponse
		if err := s.st.next(ctx, &resp); err != nil {
			if ctx.Err() == nil {
				fail(err)
			}
			return
		}
		s.sendPendingAck() // a chunk left the queue: the next one has room
		part := &resp.Partition
		s.mu.Lock()
		s.hw = part.HighWatermark
		s.mu.Unlock()
		next, recErr := nextOffset(part)
		recs, err := decodeChunk(s.recsBuf(), &part.Records, s.pc.partition, start, end)
		if recErr == nil {
			recErr = err // delivered after the records that preceded it
		}
		if len(recs) == 0 {
			s.recycle(s.st.frame, recs)
		} else if !send(streamItem{recs: recs, frame: s.st.frame}) {
			return
		}
		if ctx.Err() != nil {
			return
		}
		if recErr != nil {
			fail(recErr)
			return
		}
		if err := part.ErrorCode.Err(); err != nil {
			fail(err)
			return
		}
		if end >= 0 && next >= end {
			send(streamItem{err: io.EOF})
			return
		}
		s.mu.Lock()
		ackErr := s.ackErr
		s.mu.Unlock()
		if ackErr != nil {
			send(streamItem{err: ackErr})
			return
		}
	}
}

// Next returns the next record. At the end of a StopAtEnd stream it
// returns io.EOF; a server-side error (for example a SmartModule runtime
// error) is returned after the records that preceded it. Next is not safe
// for concurrent use.
func (s *Stream) Next(ctx context.Context) (Record, error) {
	for len(s.cur) == 0 {
		select {
		case it, ok := <-s.items:
			if !ok {
				return Record{}, io.EOF
			}
			if it.err != nil {
				return Record{}, it.err
			}
			s.recycle(s.curFrame, s.curAll)
			s.cur, s.curAll, s.curFrame = it.recs, it.recs, it.frame
		case <-ctx.Done():
			return Record{}, ctx.Err()
		}
	}
	rec := s.cur[0]
	s.cur = s.cur[1:]
	s.mu.Lock()
	s.lastRead = rec.Offset
	s.mu.Unlock()
	return rec, nil
}

// decodeChunk decodes the records of a response frame with offsets in
// [start, end) (end < 0: no end). Keys and values alias the frame (which
// each chunk owns: the socket reads every record frame into its own
// buffer), so decoding copies no record bytes and the chunk costs one
// allocation however many records it holds; a compressed batch costs one
// more, for its decompressed records.
//
// dst, when not nil, is a recycled slice to decode into (ReuseBuffers).
func decodeChunk(dst []Record, rs *protocol.RecordSet, partition uint32, start, end int64) ([]Record, error) {
	recs := dst[:0]
	keep := func(offset, ts int64, r *protocol.Record) error {
		if offset < start || (end >= 0 && offset >= end) {
			return nil
		}
		rec := Record{Partition: partition, Offset: offset, Timestamp: ts, Value: r.Value[:len(r.Value):len(r.Value)]}
		if r.Key != nil {
			rec.Key = r.Key[:len(r.Key):len(r.Key)]
		}
		recs = append(recs, rec)
		return nil
	}
	for batch := range rs.All() {
		if cap(recs) == 0 {
			h, err := protocol.ParseBatchHeader(batch)
			if err != nil {
				return nil, err
			}
			// size for every batch of the chunk looking like the first
			n := max(int(h.LastOffsetDelta)+1, 1) * max(len(rs.Batches)/max(len(batch), 1), 1)
			recs = make([]Record, 0, n)
		}
		if err := protocol.ForEachRecordRetained(batch, keep); err != nil {
			return recs, err
		}
	}
	return recs, nil
}

// HighWatermark is the partition's high watermark as last reported.
func (s *Stream) HighWatermark() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hw
}

// Commit stores the offset of the last record returned by Next for the
// stream's named consumer (ConsumerConfig.ConsumerID).
func (s *Stream) Commit(ctx context.Context) error {
	s.mu.Lock()
	off, id := s.lastRead, s.streamID
	s.mu.Unlock()
	if off < 0 {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, s.pc.c.opts.RequestTimeout)
	defer cancel()
	var resp protocol.UpdateConsumerOffsetResponse
	if err := s.sock.call(cctx, protocol.KeyUpdateConsumerOffset, clientSPUDefault, &protocol.UpdateConsumerOffsetRequest{Offset: off, SessionID: id}, &resp); err != nil {
		return fmt.Errorf("commit offset %d of %s-%d: %w", off, s.pc.topic, s.pc.partition, err)
	}
	if err := resp.ErrorCode.Err(); err != nil {
		return fmt.Errorf("commit offset %d of %s-%d: %w", off, s.pc.topic, s.pc.partition, err)
	}
	return nil
}

// Close stops the stream. A SmartModule stream's connection closes with
// it, which frees the stream's SmartModule instances on the SPU.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		if s.own != nil {
			s.own.Close()
		}
	})
	return nil
}

// ErrStreamEnd is io.EOF: the end of a StopAtEnd stream.
var ErrStreamEnd = io.EOF

// IsEnd reports whether err marks the end of a stream.
func IsEnd(err error) bool { return errors.Is(err, io.EOF) }
