package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
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
// their order: each partition has one sender that writes its batches in
// order, while up to MaxInFlight batches await acknowledgement. It is safe
// for concurrent use.
type Producer struct {
	c           *Client
	topic       string
	cfg         ProducerConfig
	codec       protocol.Compression
	partitions  uint32
	partitioner Partitioner

	mu      sync.Mutex
	pending map[uint32]*pendingBatch
	queues  map[uint32]chan *pendingBatch
	closed  bool

	errMu sync.Mutex
	errs  []error
	wg    sync.WaitGroup // batches handed to a sender and not yet settled
	sem   chan struct{}
}

// pendingBatch accumulates records already encoded into a records section
// (u32 count placeholder + records), so Send keeps no reference to the
// caller's key and value and allocates nothing per record.
type pendingBatch struct {
	section []byte
	count   int
	lastTS  int64
	first   time.Time
	timer   *time.Timer
}

// ProduceResult is where a flushed batch landed.
type ProduceResult struct {
	Partition  uint32
	BaseOffset int64
	Count      int
}

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
		partitioner: cfg.Partitioner, pending: map[uint32]*pendingBatch{}, queues: map[uint32]chan *pendingBatch{},
		sem: make(chan struct{}, cfg.MaxInFlight)}
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
		pb = &pendingBatch{first: now, section: make([]byte, 4, min(p.cfg.BatchSize+p.cfg.BatchSize/4, 1<<20))}
		p.pending[partition] = pb
		if p.cfg.Linger > 0 {
			pb.timer = time.AfterFunc(p.cfg.Linger, func() { p.flushPartition(context.Background(), partition, pb) })
		}
	}
	rec.TimestampDelta = now.Sub(pb.first).Milliseconds()
	rec.OffsetDelta = int64(pb.count)
	pb.section = protocol.AppendRecord(pb.section, &rec)
	pb.count++
	pb.lastTS = rec.TimestampDelta
	full := len(pb.section) >= p.cfg.BatchSize || p.cfg.Linger < 0
	p.mu.Unlock()
	if full {
		return p.flushPartition(ctx, partition, pb)
	}
	return nil
}

// flushPartition hands pb to the partition's sender if it is still the
// partition's pending batch. Handing over under p.mu keeps batch order.
func (p *Producer) flushPartition(_ context.Context, partition uint32, pb *pendingBatch) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending[partition] != pb {
		return nil
	}
	delete(p.pending, partition)
	if pb.timer != nil {
		pb.timer.Stop()
	}
	q := p.queues[partition]
	if q == nil {
		q = make(chan *pendingBatch, 4*p.cfg.MaxInFlight)
		p.queues[partition] = q
		go p.sender(partition, q)
	}
	p.wg.Add(1)
	q <- pb
	return nil
}

// sender writes the batches of one partition in order and settles each in
// its own goroutine, so acknowledgements overlap.
func (p *Producer) sender(partition uint32, q chan *pendingBatch) {
	for pb := range q {
		p.sem <- struct{}{}
		raw, err := p.encode(pb)
		var call *pendingCall
		if err == nil {
			call, err = p.startProduce(context.Background(), partition, raw)
		}
		go func() {
			defer p.wg.Done()
			defer func() { <-p.sem }()
			if err == nil {
				err = p.settle(partition, raw, call)
			} else {
				err = p.retry(partition, raw, err)
			}
			if err != nil {
				p.errMu.Lock()
				p.errs = append(p.errs, err)
				p.errMu.Unlock()
			}
		}()
	}
}

// Flush sends every queued record and waits until all sent batches are
// acknowledged; it returns the errors of batches that failed since the
// last Flush.
func (p *Producer) Flush(ctx context.Context) error {
	p.mu.Lock()
	parts := make(map[uint32]*pendingBatch, len(p.pending))
	for k, v := range p.pending {
		parts[k] = v
	}
	p.mu.Unlock()
	for part, pb := range parts {
		if err := p.flushPartition(ctx, part, pb); err != nil {
			return err
		}
	}
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.errMu.Lock()
	errs := p.errs
	p.errs = nil
	p.errMu.Unlock()
	return errors.Join(errs...)
}

// Close flushes and stops the producer.
func (p *Producer) Close(ctx context.Context) error {
	err := p.Flush(ctx)
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		for _, q := range p.queues {
			close(q)
		}
	}
	p.mu.Unlock()
	return err
}

// encode builds the batch of pb.
func (p *Producer) encode(pb *pendingBatch) ([]byte, error) {
	binary.BigEndian.PutUint32(pb.section, uint32(pb.count))
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
	raw, err := protocol.AppendBatchSection(make([]byte, 0, len(pb.section)+protocol.BatchFileHeaderSize), &h, nil, pb.section, p.codec)
	if err != nil {
		return nil, fmt.Errorf("produce to %s: %w", p.topic, err)
	}
	return raw, nil
}

// startProduce writes a produce request for one batch.
func (p *Producer) startProduce(ctx context.Context, partition uint32, batch []byte) (*pendingCall, error) {
	leader, err := p.c.partitionLeader(ctx, p.topic, partition)
	if err != nil {
		return nil, err
	}
	s, err := p.c.spuSocket(ctx, leader)
	if err != nil {
		return nil, err
	}
	v, ok := s.version(protocol.KeyProduce, clientProduce)
	if !ok {
		v = clientProduce.Max
	}
	req := &protocol.ProduceRequest{
		Isolation: p.cfg.Isolation,
		TimeoutMs: int32(p.cfg.Timeout.Milliseconds()),
		Topics: []protocol.TopicProduceData{{Name: p.topic, Partitions: []protocol.PartitionProduceData{
			{PartitionIndex: partition, Records: protocol.RecordSet{Batches: batch}},
		}}},
		SmartModules: p.cfg.SmartModules,
	}
	return s.start(protocol.KeyProduce, v, req)
}

// settle waits for the acknowledgement of a written batch, retrying per the
// delivery semantic when it failed.
func (p *Producer) settle(partition uint32, batch []byte, call *pendingCall) error {
	ctx, cancel := context.WithTimeout(context.Background(), p.c.opts.RequestTimeout)
	defer cancel()
	_, retriable, err := p.result(partition, call.wait(ctx, new(protocol.ProduceResponse)), call)
	if err == nil {
		return nil
	}
	if !retriable {
		return err
	}
	return p.retry(partition, batch, err)
}

// result interprets the response a pendingCall decoded.
func (p *Producer) result(partition uint32, waitErr error, call *pendingCall) (ProduceResult, bool, error) {
	if waitErr != nil {
		return ProduceResult{}, true, fmt.Errorf("produce to %s-%d: %w", p.topic, partition, waitErr)
	}
	resp := call.resp.(*protocol.ProduceResponse)
	if len(resp.Responses) != 1 || len(resp.Responses[0].Partitions) != 1 {
		return ProduceResult{}, false, fmt.Errorf("produce to %s-%d: malformed response", p.topic, partition)
	}
	pr := resp.Responses[0].Partitions[0]
	if err := pr.ErrorCode.Err(); err != nil {
		return ProduceResult{}, pr.ErrorCode.Code.Retriable(), fmt.Errorf("produce to %s-%d: %w", p.topic, partition, err)
	}
	return ProduceResult{Partition: partition, BaseOffset: pr.BaseOffset}, false, nil
}

// retry re-sends a failed batch for AtLeastOnce, with backoff.
func (p *Producer) retry(partition uint32, batch []byte, err error) error {
	if p.cfg.Delivery != AtLeastOnce {
		return err
	}
	backoff := 20 * time.Millisecond
	for i := 0; i < p.cfg.Retries; i++ {
		time.Sleep(backoff)
		backoff = min(backoff*2, 2*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), p.c.opts.RequestTimeout)
		call, serr := p.startProduce(ctx, partition, batch)
		retriable := true
		if serr == nil {
			_, retriable, serr = p.result(partition, call.wait(ctx, new(protocol.ProduceResponse)), call)
		}
		cancel()
		if serr == nil {
			return nil
		}
		err = serr
		if !retriable {
			break
		}
	}
	return err
}
