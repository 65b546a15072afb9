package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// DeliverySemantic says what the producer does when a send fails.
type DeliverySemantic int

const (
	// AtLeastOnce retries failed batches (the default).
	AtLeastOnce DeliverySemantic = iota
	// AtMostOnce sends each batch once and reports failures without retry.
	AtMostOnce
)

// ProducerConfig configures a Producer. Zero values pick the defaults.
type ProducerConfig struct {
	// BatchSize is the size in bytes at which a partition's batch is sent
	// (16 KiB by default).
	BatchSize int
	// Linger is how long a partial batch waits for more records (100 ms by
	// default; a negative value sends every record at once).
	Linger time.Duration
	// Compression is the batch codec when the topic accepts any; a topic
	// with a fixed compression type uses that one.
	Compression protocol.Compression
	// Isolation ReadCommitted waits for the record to be committed.
	Isolation protocol.Isolation
	// Timeout is the server-side produce timeout (1500 ms by default).
	Timeout time.Duration
	// Delivery is AtLeastOnce (retries) or AtMostOnce.
	Delivery DeliverySemantic
	// Retries is the number of retries for AtLeastOnce (5 by default).
	Retries int
	// Partitioner places records (DefaultPartitioner by default).
	Partitioner Partitioner
	// SmartModules are applied by the SPU before the batch is stored.
	SmartModules []protocol.SmartModuleInvocation
	// MaxInFlight bounds the batches sent and not yet acknowledged (16).
	MaxInFlight int
}

// Producer sends records to one topic. Records sent to one partition keep
// their order: each partition has a queue of full batches that one drainer
// at a time writes, in order, while up to MaxInFlight batches await
// acknowledgement. It is safe for concurrent use.
//
// Why no sender goroutine? A record sent alone (Linger < 0), Flush and the
// linger timer write from their own goroutine; a batch filled by Send is
// written by a drainer goroutine that lives while the queue is not empty
// and puts every batch queued behind a request in flight into its next
// request. Acknowledgements are settled on the connection's read loop. A
// record sent and flushed on its own so costs one write and one wake-up,
// not a chain of goroutine hand-offs.
type Producer struct {
	c           *Client
	topic       string
	cfg         ProducerConfig
	codec       protocol.Compression
	partitions  uint32
	partitioner Partitioner

	mu      sync.Mutex
	pending map[uint32]*pendingBatch
	parts   map[uint32]*partitionQueue
	cond    *sync.Cond // on mu: room in a queue, or a request answered
	closed  bool

	sentReqs    int // requests written and not settled
	sentBatches int // their batches

	fmu      sync.Mutex
	inflight int           // batches handed to a queue and not yet settled
	idle     chan struct{} // closed when inflight drops to 0 (made by a waiting Flush)
	errs     []error
	bufs     sync.Pool // *[]byte batch buffers
}

// partitionQueue holds the full batches of one partition waiting to be
// written; p.mu guards it.
type partitionQueue struct {
	partition uint32
	queue     []*pendingBatch
	draining  bool

	// The leader's connection, used by the drainer only; a failed request
	// marks it stale so the next one looks the leader up again.
	sock    *socket
	version int16
	stale   atomic.Bool
	head    *protocol.ProduceRequest
}

// pendingBatch accumulates records already encoded into its buffer after
// room for the batch header (then a u32 count placeholder), so Send keeps
// no reference to the caller's key and value, allocates nothing per record,
// and the batch is sent from this buffer as it is.
type pendingBatch struct {
	buf    *[]byte // batch header room, u32 count, records
	count  int
	lastTS int64
	first  time.Time
	timer  *time.Timer
	raw    []byte // the encoded batch, once finished
}

// ProduceResult is where a flushed batch landed.
type ProduceResult struct {
	Partition  uint32
	BaseOffset int64
	Count      int
}

// Request limits of a drainer that finds several batches queued. The size
// keeps a request within the SPU's 256 KiB connection read buffer, from
// which it is stored without another copy.
const (
	maxRequestBatches = 64
	maxRequestBytes   = 240 << 10
)

// Producer returns a producer for topic; it waits for the topic's metadata.
func (c *Client) Producer(ctx context.Context, topic string, cfgs ...ProducerConfig) (*Producer, error) {
	var cfg ProducerConfig
	if len(cfgs) > 0 {
		cfg = cfgs[0]
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 16 << 10
	}
	if cfg.Linger == 0 {
		cfg.Linger = 100 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 1500 * time.Millisecond
	}
	if cfg.Retries <= 0 {
		cfg.Retries = 5
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 16
	}
	spec, err := c.topicSpec(ctx, topic)
	if err != nil {
		return nil, err
	}
	codec := spec.CompressionType.BatchCodec(cfg.Compression)
	if spec.CompressionType != protocol.TopicCompressionAny && cfg.Compression != protocol.CompressionNone && cfg.Compression != codec {
		return nil, fmt.Errorf("producer for %s: compression %s conflicts with the topic's compression type %s", topic, cfg.Compression, spec.CompressionType)
	}
	p := &Producer{c: c, topic: topic, cfg: cfg, codec: codec, partitions: spec.Partitions(),
		partitioner: cfg.Partitioner, pending: map[uint32]*pendingBatch{}, parts: map[uint32]*partitionQueue{},
	}
	p.cond = sync.NewCond(&p.mu)
	if p.partitioner == nil {
		p.partitioner = &DefaultPartitioner{}
	}
	if p.partitions == 0 {
		return nil, fmt.Errorf("producer for %s: topic has no partitions", topic)
	}
	return p, nil
}

// Send queues a record; key nil means no key. It returns once the record
// is queued (or, when the batch filled up, once the batch is handed to the
// network); Flush waits for acknowledgements.
func (p *Producer) Send(ctx context.Context, key, value []byte) error {
	return p.SendRecord(ctx, protocol.Record{Key: key, Value: value})
}

// SendRecord queues a record to the partition the partitioner picks.
func (p *Producer) SendRecord(ctx context.Context, rec protocol.Record) error {
	part := p.partitioner.Partition(rec.Key, rec.Key != nil, p.partitions)
	return p.SendToPartition(ctx, part, rec)
}

// SendToPartition queues a record to an explicit partition.
func (p *Producer) SendToPartition(ctx context.Context, partition uint32, rec protocol.Record) error {
	if partition >= p.partitions {
		return fmt.Errorf("produce to %s: partition %d does not exist (topic has %d)", p.topic, partition, p.partitions)
	}
	now := time.Now()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	pb := p.pending[partition]
	if pb == nil {
		pb = &pendingBatch{first: now, buf: p.getBuf()}
		p.pending[partition] = pb
		if p.cfg.Linger > 0 {
			pb.timer = time.AfterFunc(p.cfg.Linger, func() { p.flushPartition(partition, pb, true) })
		}
	}
	rec.TimestampDelta = now.Sub(pb.first).Milliseconds()
	rec.OffsetDelta = int64(pb.count)
	*pb.buf = protocol.AppendRecord(*pb.buf, &rec)
	pb.count++
	pb.lastTS = rec.TimestampDelta
	alone := p.cfg.Linger < 0
	full := alone || len(*pb.buf)-batchRoom >= p.cfg.BatchSize
	p.mu.Unlock()
	if full {
		p.flushPartition(partition, pb, alone)
	}
	return nil
}

// batchRoom is the room left in front of a batch's records: the batch
// header and the u32 record count.
const batchRoom = protocol.BatchFileHeaderSize + 4

func (p *Producer) getBuf() *[]byte {
	if b, ok := p.bufs.Get().(*[]byte); ok {
		*b = (*b)[:batchRoom]
		return b
	}
	b := make([]byte, batchRoom, batchRoom+min(p.cfg.BatchSize+p.cfg.BatchSize/4, 1<<20))
	return &b
}

func (p *Producer) putBuf(b *[]byte) {
	if b == nil || cap(*b) > 4<<20 {
		return
	}
	p.bufs.Put(b)
}

// flushPartition queues pb if it is still the partition's pending batch;
// queuing under p.mu keeps batch order. Unless a drainer already works on
// the partition's queue, one starts: the caller itself when sync (a record
// sent alone, Flush, the linger timer: nothing to overlap with), else a
// goroutine, so Send goes on encoding while batches are written. Behind a
// drainer the queue holds at most maxQueued batches; a caller that finds
// it full waits for room.
func (p *Producer) flushPartition(partition uint32, pb *pendingBatch, sync bool) {
	p.mu.Lock()
	if p.pending[partition] != pb {
		p.mu.Unlock()
		return
	}
	delete(p.pending, partition)
	if pb.timer != nil {
		pb.timer.Stop()
	}
	pq := p.parts[partition]
	if pq == nil {
		pq = &partitionQueue{partition: partition}
		p.parts[partition] = pq
	}
	for pq.draining && len(pq.queue) >= p.maxQueued() {
		p.cond.Wait()
	}
	pq.queue = append(pq.queue, pb)
	p.addInflight(1)
	if pq.draining {
		p.mu.Unlock()
		return
	}
	pq.draining = true
	p.mu.Unlock()
	if sync {
		p.drain(pq)
	} else {
		go p.drain(pq)
	}
}

// maxQueued bounds the batches queued behind a partition's drainer.
func (p *Producer) maxQueued() int { return 4 * p.cfg.MaxInFlight }

// maxInFlightRequests bounds the produce requests of a producer awaiting
// their answer. Batches that complete meanwhile queue up and leave
// together in the next request.
//
// Why? Every request costs a write, a read, a reply and a wake-up at each
// end. While the SPU keeps up, each batch leaves at once; when it falls
// behind, requests grow instead of multiplying.
const maxInFlightRequests = 4

// drain writes the partition's queued batches in order, as many to a
// request as are queued (within MaxInFlight and the request limits), until
// the queue is empty.
func (p *Producer) drain(pq *partitionQueue) {
	maxReqs := min(maxInFlightRequests, p.cfg.MaxInFlight)
	p.mu.Lock()
	for {
		for len(pq.queue) > 0 && (p.sentReqs >= maxReqs || p.sentBatches >= p.cfg.MaxInFlight) {
			p.cond.Wait()
		}
		if len(pq.queue) == 0 {
			pq.draining = false
			p.mu.Unlock()
			return
		}
		k, size := 1, len(*pq.queue[0].buf)
		for k < len(pq.queue) && k < maxRequestBatches && p.sentBatches+k < p.cfg.MaxInFlight && size+len(*pq.queue[k].buf) <= maxRequestBytes {
			size += len(*pq.queue[k].buf)
			k++
		}
		batches := slices.Clone(pq.queue[:k])
		n := copy(pq.queue, pq.queue[k:])
		clear(pq.queue[n:])
		pq.queue = pq.queue[:n]
		p.sentReqs++
		p.sentBatches += k
		p.cond.Broadcast() // room in the queue
		p.mu.Unlock()
		p.send(pq, batches)
		p.mu.Lock()
	}
}

// send writes one produce request carrying batches and settles them when
// the answer comes; the partition's drainer calls it.
func (p *Producer) send(pq *partitionQueue, batches []*pendingBatch) {
	partition := pq.partition
	size := 0
	for _, pb := range batches {
		if err := p.finish(pb); err != nil {
			p.settle(batches, err)
			return
		}
		size += len(pb.raw)
	}
	if pq.sock == nil || pq.stale.Swap(false) || isDone(pq.sock.done) {
		s, v, err := p.socket(context.Background(), partition)
		if err != nil {
			go p.retry(partition, batches, err)
			return
		}
		pq.sock, pq.version = s, v
	}
	if pq.head == nil {
		pq.head = p.head(partition)
	}
	s, v, head := pq.sock, pq.version, pq.head
	err := s.startFunc(p.c.opts.RequestTimeout, func(corr int32) [][]byte {
		h := protocol.RequestHeader{APIKey: protocol.KeyProduce, APIVersion: v, CorrelationID: corr, ClientID: s.clientID}
		frame, split := protocol.AppendProduceFrame(make([]byte, 0, 128), &h, head, size)
		bufs := make([][]byte, 0, len(batches)+2)
		bufs = append(bufs, frame[:split])
		for _, pb := range batches {
			bufs = append(bufs, pb.raw)
		}
		return append(bufs, frame[split:])
	}, func(body []byte, err error) {
		retriable := true
		if err == nil {
			var resp protocol.ProduceResponse
			r := protocol.NewReader(body)
			resp.Decode(r, v)
			if err = r.Err(); err != nil {
				err = fmt.Errorf("decode produce response from %s: %w", s.addr, err)
			} else {
				retriable, err = p.result(partition, &resp)
			}
		} else {
			err = fmt.Errorf("produce to %s-%d: %w", p.topic, partition, err)
		}
		if err != nil {
			pq.stale.Store(true)
			if retriable && p.cfg.Delivery == AtLeastOnce {
				go p.retry(partition, batches, err)
				return
			}
		}
		p.settle(batches, err)
	})
	if err != nil {
		pq.stale.Store(true)
		go p.retry(partition, batches, fmt.Errorf("produce to %s-%d: %w", p.topic, partition, err))
	}
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// head is the produce request around a partition's record set.
func (p *Producer) head(partition uint32) *protocol.ProduceRequest {
	return &protocol.ProduceRequest{
		Isolation:    p.cfg.Isolation,
		TimeoutMs:    int32(p.cfg.Timeout.Milliseconds()),
		Topics:       []protocol.TopicProduceData{{Name: p.topic, Partitions: []protocol.PartitionProduceData{{PartitionIndex: partition}}}},
		SmartModules: p.cfg.SmartModules,
	}
}

// socket is the connection to the partition's leader and the Produce
// version it speaks.
func (p *Producer) socket(ctx context.Context, partition uint32) (*socket, int16, error) {
	leader, err := p.c.partitionLeader(ctx, p.topic, partition)
	if err != nil {
		return nil, 0, fmt.Errorf("produce to %s-%d: %w", p.topic, partition, err)
	}
	s, err := p.c.spuSocket(ctx, leader)
	if err != nil {
		return nil, 0, fmt.Errorf("produce to %s-%d: %w", p.topic, partition, err)
	}
	v, ok := s.version(protocol.KeyProduce, clientProduce)
	if !ok {
		v = clientProduce.Max
	}
	return s, v, nil
}

func (p *Producer) addInflight(n int) {
	p.fmu.Lock()
	p.inflight += n
	p.fmu.Unlock()
}

// settle ends the batches of one request: their in-flight slots and
// buffers are released and err, if any, is kept for Flush.
func (p *Producer) settle(batches []*pendingBatch, err error) {
	for _, pb := range batches {
		p.putBuf(pb.buf)
		pb.buf, pb.raw = nil, nil
	}
	p.mu.Lock()
	p.sentReqs--
	p.sentBatches -= len(batches)
	p.cond.Broadcast()
	p.mu.Unlock()
	p.fmu.Lock()
	if err != nil {
		p.errs = append(p.errs, err)
	}
	p.inflight -= len(batches)
	if p.inflight == 0 && p.idle != nil {
		close(p.idle)
		p.idle = nil
	}
	p.fmu.Unlock()
}

// Flush sends every queued record and waits until all sent batches are
// acknowledged; it returns the errors of batches that failed since the
// last Flush.
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	var parts map[uint32]*pendingBatch
	if len(p.pending) > 0 {
		parts = make(map[uint32]*pendingBatch, len(p.pending))
		for k, v := range p.pending {
			parts[k] = v
		}
	}
	p.mu.Unlock()
	for part, pb := range parts {
		p.flushPartition(part, pb, true)
	}
	p.fmu.Lock()
	var idle chan struct{}
	if p.inflight > 0 {
		if p.idle == nil {
			p.idle = make(chan struct{})
		}
		idle = p.idle
	}
	p.fmu.Unlock()
	if idle != nil {
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.fmu.Lock()
	errs := p.errs
	p.errs = nil
	p.fmu.Unlock()
	return errors.Join(errs...)
}

// Close flushes and stops the producer.
func (p *Producer) Close(ctx context.Context) error {
	err := p.Flush(ctx)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	return err
}

// finish writes the batch header in front of pb's records (compressing
// them first when the producer has a codec) and sets pb.raw.
func (p *Producer) finish(pb *pendingBatch) error {
	if pb.raw != nil {
		return nil
	}
	buf := *pb.buf
	binary.BigEndian.PutUint32(buf[protocol.BatchFileHeaderSize:], uint32(pb.count))
	first := pb.first.UnixMilli()
	h := protocol.BatchHeader{
		BaseOffset:           int64(pb.count - 1), // as the Rust producer: the SPU assigns offsets
		PartitionLeaderEpoch: -1,
		Magic:                protocol.BatchMagic,
		LastOffsetDelta:      int32(pb.count - 1),
		FirstTimestamp:       first,
		MaxTimestamp:         first + pb.lastTS,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
	}
	if p.codec != protocol.CompressionNone {
		out := p.getBuf()
		raw, err := protocol.AppendBatchSection((*out)[:0], &h, nil, buf[protocol.BatchFileHeaderSize:], p.codec)
		if err != nil {
			p.putBuf(out)
			return fmt.Errorf("produce to %s: %w", p.topic, err)
		}
		*out = raw
		p.putBuf(pb.buf)
		pb.buf, pb.raw = out, raw
		return nil
	}
	h.BatchLen = int32(len(buf) - protocol.BatchPreambleSize)
	protocol.AppendBatchHeader(buf[:0], &h)
	protocol.SetBatchCRC(buf)
	pb.raw = buf
	return nil
}

// result interprets a produce response.
func (p *Producer) result(partition uint32, resp *protocol.ProduceResponse) (retriable bool, err error) {
	if len(resp.Responses) != 1 || len(resp.Responses[0].Partitions) != 1 {
		return false, fmt.Errorf("produce to %s-%d: malformed response", p.topic, partition)
	}
	pr := resp.Responses[0].Partitions[0]
	if err := pr.ErrorCode.Err(); err != nil {
		return pr.ErrorCode.Code.Retriable(), fmt.Errorf("produce to %s-%d: %w", p.topic, partition, err)
	}
	return false, nil
}

// retry re-sends failed batches for AtLeastOnce, with backoff, then
// settles them.
func (p *Producer) retry(partition uint32, batches []*pendingBatch, err error) {
	if p.cfg.Delivery != AtLeastOnce {
		p.settle(batches, err)
		return
	}
	var set []byte
	for _, pb := range batches {
		set = append(set, pb.raw...)
	}
	backoff := 20 * time.Millisecond
	for i := 0; i < p.cfg.Retries; i++ {
		time.Sleep(backoff)
		backoff = min(backoff*2, 2*time.Second)
		retriable := true
		var serr error
		func() {
			ctx, cancel := context.WithTimeout(context.Background(), p.c.opts.RequestTimeout)
			defer cancel()
			s, v, serr0 := p.socket(ctx, partition)
			if serr = serr0; serr != nil {
				return
			}
			req := p.head(partition)
			req.Topics[0].Partitions[0].Records.Batches = set
			var resp protocol.ProduceResponse
			if serr = s.call(ctx, protocol.KeyProduce, v, req, &resp); serr != nil {
				serr = fmt.Errorf("produce to %s-%d: %w", p.topic, partition, serr)
				return
			}
			retriable, serr = p.result(partition, &resp)
		}()
		if serr == nil {
			p.settle(batches, nil)
			return
		}
		err = serr
		if !retriable {
			break
		}
	}
	p.settle(batches, err)
}
