package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// TopicStream merges the streams of every partition of a topic. Records of
// one partition keep their order; partitions interleave.
type TopicStream struct {
	streams []*Stream
	items   chan topicItem
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	cur     topicItem
	curAll  []Record // cur.recs before Next took records off it
}

// topicItem is a chunk of one partition's records (or its error).
type topicItem struct {
	s     *Stream
	recs  []Record
	frame []byte // the frame recs alias (see ConsumerConfig.ReuseBuffers)
	err   error
}

// TopicStream streams every partition of topic from off.
func (c *Client) TopicStream(ctx context.Context, topic string, off Offset, cfg ConsumerConfig) (*TopicStream, error) {
	spec, err := c.topicSpec(ctx, topic)
	if err != nil {
		return nil, err
	}
	n := spec.Partitions()
	ts := &TopicStream{items: make(chan topicItem, 4)}
	rctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	for p := uint32(0); p < n; p++ {
		s, err := c.PartitionConsumer(topic, p).Stream(ctx, off, cfg)
		if err != nil {
			ts.Close()
			return nil, err
		}
		ts.streams = append(ts.streams, s)
	}
	for _, s := range ts.streams {
		ts.wg.Add(1)
		go func(s *Stream) {
			defer ts.wg.Done()
			for {
				var it streamItem
				var ok bool
				select {
				case it, ok = <-s.items:
				case <-rctx.Done():
					return
				}
				if !ok || errors.Is(it.err, io.EOF) {
					return
				}
				select {
				case ts.items <- topicItem{s: s, recs: it.recs, frame: it.frame, err: it.err}:
				case <-rctx.Done():
					return
				}
				if it.err != nil {
					return
				}
			}
		}(s)
	}
	go func() { ts.wg.Wait(); close(ts.items) }()
	return ts, nil
}

// Next returns the next record of any partition; io.EOF once every
// partition ended (StopAtEnd). Records of one partition keep their order.
// Next is not safe for concurrent use.
func (ts *TopicStream) Next(ctx context.Context) (Record, error) {
	for len(ts.cur.recs) == 0 {
		select {
		case it, ok := <-ts.items:
			if !ok {
				return Record{}, io.EOF
			}
			if it.err != nil {
				return Record{}, it.err
			}
			if ts.cur.s != nil {
				ts.cur.s.recycle(ts.cur.frame, ts.curAll)
			}
			ts.cur, ts.curAll = it, it.recs
		case <-ctx.Done():
			return Record{}, ctx.Err()
		}
	}
	rec := ts.cur.recs[0]
	ts.cur.recs = ts.cur.recs[1:]
	ts.cur.s.mu.Lock()
	ts.cur.s.lastRead = rec.Offset
	ts.cur.s.mu.Unlock()
	return rec, nil
}

// Commit commits every partition's last read offset.
func (ts *TopicStream) Commit(ctx context.Context) error {
	var errs []error
	for _, s := range ts.streams {
		errs = append(errs, s.Commit(ctx))
	}
	return errors.Join(errs...)
}

// Close stops every partition stream.
func (ts *TopicStream) Close() error {
	ts.cancel()
	for _, s := range ts.streams {
		s.Close()
	}
	return nil
}

// ConsumerOffset is a committed offset of a named consumer.
type ConsumerOffset = protocol.ConsumerOffset

// consumerOffsetSocket is the connection to the leader of the
// consumer-offset system topic, which stores committed offsets.
func (c *Client) consumerOffsetSocket(ctx context.Context) (*socket, error) {
	leader, err := c.partitionLeader(ctx, "consumer-offset", 0)
	if err != nil {
		return nil, fmt.Errorf("consumer offsets: %w", err)
	}
	return c.spuSocket(ctx, leader)
}

// ListConsumers lists the committed offsets of every named consumer.
func (a *Admin) ListConsumers(ctx context.Context) ([]ConsumerOffset, error) {
	s, err := a.c.consumerOffsetSocket(ctx)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestTimeout)
	defer cancel()
	var resp protocol.FetchConsumerOffsetsResponse
	if err := s.call(cctx, protocol.KeyFetchConsumerOffsets, clientSPUDefault, &protocol.FetchConsumerOffsetsRequest{}, &resp); err != nil {
		return nil, fmt.Errorf("list consumers: %w", err)
	}
	if err := resp.ErrorCode.Err(); err != nil {
		return nil, fmt.Errorf("list consumers: %w", err)
	}
	return resp.Consumers, nil
}

// DeleteConsumer deletes the committed offset of consumerID for a partition.
func (a *Admin) DeleteConsumer(ctx context.Context, consumerID, topic string, partition uint32) error {
	s, err := a.c.consumerOffsetSocket(ctx)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestTimeout)
	defer cancel()
	var resp protocol.DeleteConsumerOffsetResponse
	req := &protocol.DeleteConsumerOffsetRequest{ReplicaID: protocol.ReplicaKey{Topic: topic, Partition: partition}, ConsumerID: consumerID}
	if err := s.call(cctx, protocol.KeyDeleteConsumerOffset, clientSPUDefault, req, &resp); err != nil {
		return fmt.Errorf("delete consumer %s on %s-%d: %w", consumerID, topic, partition, err)
	}
	if err := resp.ErrorCode.Err(); err != nil {
		return fmt.Errorf("delete consumer %s on %s-%d: %w", consumerID, topic, partition, err)
	}
	return nil
}
