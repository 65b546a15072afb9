package spu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// fetchOffsets answers FetchOffsets (spec §4.4): log start (or the stored
// consumer offset + 1) and HW as last_stable_offset.
func (s *Server) fetchOffsets(req *protocol.FetchOffsetsRequest) *protocol.FetchOffsetsResponse {
	resp := &protocol.FetchOffsetsResponse{Topics: make([]protocol.FetchOffsetTopicResponse, len(req.Topics))}
	for ti, t := range req.Topics {
		out := &resp.Topics[ti]
		out.Name = t.Name
		out.Partitions = make([]protocol.FetchOffsetPartitionResponse, len(t.Partitions))
		for pi, p := range t.Partitions {
			pr := &out.Partitions[pi]
			pr.PartitionIndex = p.PartitionIndex
			rep := s.leader(t.Name, p.PartitionIndex)
			if rep == nil {
				pr.ErrorCode = protocol.NewError(protocol.PartitionNotLeader)
				continue
			}
			o := rep.log.Offsets()
			pr.StartOffset, pr.LastStableOffset = o.LogStart, o.HighWatermark
			if req.ConsumerID != nil {
				key := protocol.ReplicaKey{Topic: t.Name, Partition: p.PartitionIndex}
				if co, ok := s.consumerOffset(*req.ConsumerID, key); ok {
					pr.StartOffset = co.Offset + 1
				}
			}
		}
	}
	return resp
}

// streamAck is an acknowledgement to hand to a stream.
type streamAck struct {
	st  *stream
	off int64
}

// updateOffsets answers an acknowledgement of stream frames (spec §4.5.3,
// §4.6) and returns the acknowledgements for the caller to deliver once the
// answer is queued.
func (c *conn) updateOffsets(req *protocol.UpdateOffsetsRequest) (*protocol.UpdateOffsetsResponse, []streamAck) {
	var acked []streamAck
	resp := &protocol.UpdateOffsetsResponse{Status: make([]protocol.OffsetUpdateStatus, len(req.Offsets))}
	for i, u := range req.Offsets {
		resp.Status[i].SessionID = u.SessionID
		c.mu.Lock()
		st := c.streams[u.SessionID]
		c.mu.Unlock()
		if st == nil {
			resp.Status[i].Error = protocol.NewError(protocol.FetchSessionNotFoud)
			continue
		}
		acked = append(acked, streamAck{st, u.Offset})
	}
	return resp, acked
}

// updateConsumerOffset commits the offset of the consumer owning a stream.
func (c *conn) updateConsumerOffset(req *protocol.UpdateConsumerOffsetRequest) *protocol.UpdateConsumerOffsetResponse {
	c.mu.Lock()
	st := c.streams[req.SessionID]
	c.mu.Unlock()
	resp := &protocol.UpdateConsumerOffsetResponse{Offset: req.Offset}
	switch {
	case st == nil:
		resp.ErrorCode = protocol.NewError(protocol.FetchSessionNotFoud)
	case st.consumerID == nil:
		resp.ErrorCode = protocol.NewError(protocol.OffsetManagementDisabled)
	default:
		if err := c.s.storeConsumerOffset(*st.consumerID, st.rep.key, req.Offset); err != nil {
			c.s.log.Warn("commit consumer offset", "consumer", *st.consumerID, "err", err)
			resp.ErrorCode = protocol.ErrorCode{Code: protocol.OffsetFlushRequestError, Message: err.Error()}
		}
	}
	return resp
}

func (s *Server) deleteConsumerOffset(req *protocol.DeleteConsumerOffsetRequest) *protocol.DeleteConsumerOffsetResponse {
	resp := &protocol.DeleteConsumerOffsetResponse{}
	if err := s.removeConsumerOffset(req.ConsumerID, req.ReplicaID); err != nil {
		resp.ErrorCode = offsetStoreError(err)
	}
	return resp
}

func (s *Server) fetchConsumerOffsets(req *protocol.FetchConsumerOffsetsRequest) *protocol.FetchConsumerOffsetsResponse {
	resp := &protocol.FetchConsumerOffsetsResponse{}
	co := s.consumerOffsetStore()
	if co == nil {
		resp.ErrorCode = protocol.NewError(protocol.PartitionNotLeader)
		return resp
	}
	resp.Consumers = co.list(req.FilterOpts)
	return resp
}

func offsetStoreError(err error) protocol.ErrorCode {
	if errors.Is(err, errNoOffsetStore) {
		return protocol.NewError(protocol.PartitionNotLeader)
	}
	return protocol.ErrorCode{Code: protocol.OffsetFlushRequestError, Message: err.Error()}
}

// errNoOffsetStore: this SPU does not lead consumer-offset-0.
var errNoOffsetStore = errors.New("spu: consumer-offset-0 is not led by this SPU")

// consumerOffsets keeps committed consumer offsets in the consumer-offset-0
// replica. Each commit appends one record:
//
//	key   = consumer id, NUL, topic, NUL, partition (decimal)
//	value = offset i64 BE, modified time ms u64 BE  (16 bytes)
//	        or empty: the consumer offset was deleted
//
// The map is rebuilt by replaying the log when the replica is opened; the
// last record for a key wins.
type consumerOffsets struct {
	rep *replica
	mu  sync.Mutex
	m   map[string]protocol.ConsumerOffset
}

func offsetKey(consumer string, k protocol.ReplicaKey) string {
	return consumer + "\x00" + k.Topic + "\x00" + strconv.FormatUint(uint64(k.Partition), 10)
}

func parseOffsetKey(key string) (string, protocol.ReplicaKey, bool) {
	parts := strings.Split(key, "\x00")
	if len(parts) != 3 {
		return "", protocol.ReplicaKey{}, false
	}
	p, err := strconv.ParseUint(parts[2], 10, 32)
	if err != nil {
		return "", protocol.ReplicaKey{}, false
	}
	return parts[0], protocol.ReplicaKey{Topic: parts[1], Partition: uint32(p)}, true
}

func (s *Server) loadConsumerOffsets(r *replica) {
	co := &consumerOffsets{rep: r, m: map[string]protocol.ConsumerOffset{}}
	off := r.log.Offsets().LogStart
	for {
		b, next, err := r.log.ReadBatches(off, 1<<20, storage.ReadUncommitted)
		if err != nil || len(b) == 0 {
			if err != nil {
				s.log.Warn("replay consumer offsets", "err", err)
			}
			break
		}
		it := protocol.NewBatchIterator(b)
		for it.Next() {
			_ = protocol.ForEachRecord(it.Batch(), func(_, _ int64, rec *protocol.Record) error {
				consumer, key, ok := parseOffsetKey(string(rec.Key))
				if !ok {
					return nil
				}
				k := string(rec.Key)
				if len(rec.Value) != 16 {
					delete(co.m, k)
					return nil
				}
				co.m[k] = protocol.ConsumerOffset{
					ConsumerID: consumer, ReplicaID: key,
					Offset:       int64(binary.BigEndian.Uint64(rec.Value)),
					ModifiedTime: binary.BigEndian.Uint64(rec.Value[8:]),
				}
				return nil
			})
		}
		off = next
	}
	s.mu.Lock()
	s.offsets = co
	s.mu.Unlock()
	s.log.Info("consumer offsets loaded", "consumers", len(co.m))
}

func (s *Server) consumerOffsetStore() *consumerOffsets {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.offsets == nil || !s.offsets.rep.isLeader(s.cfg.ID) {
		return nil
	}
	return s.offsets
}

func (s *Server) consumerOffset(consumer string, k protocol.ReplicaKey) (protocol.ConsumerOffset, bool) {
	co := s.consumerOffsetStore()
	if co == nil {
		return protocol.ConsumerOffset{}, false
	}
	co.mu.Lock()
	defer co.mu.Unlock()
	v, ok := co.m[offsetKey(consumer, k)]
	return v, ok
}

// append writes one offset record (value nil deletes) and waits until it
// is committed (HW), so an acknowledged commit survives a crash.
func (co *consumerOffsets) append(key string, value []byte) error {
	rec := []protocol.Record{{Key: []byte(key), Value: value}}
	b := protocol.NewBatch(time.Now().UnixMilli(), rec)
	enc, err := protocol.AppendBatch(nil, &b, protocol.CompressionNone)
	if err != nil {
		return fmt.Errorf("encode consumer offset: %w", err)
	}
	if _, err := co.rep.log.Append(enc); err != nil {
		return fmt.Errorf("store consumer offset: %w", err)
	}
	return nil
}

func (s *Server) storeConsumerOffset(consumer string, k protocol.ReplicaKey, offset int64) error {
	co := s.consumerOffsetStore()
	if co == nil {
		return errNoOffsetStore
	}
	now := uint64(time.Now().UnixMilli())
	val := binary.BigEndian.AppendUint64(nil, uint64(offset))
	val = binary.BigEndian.AppendUint64(val, now)
	key := offsetKey(consumer, k)
	co.mu.Lock()
	defer co.mu.Unlock()
	if err := co.append(key, val); err != nil {
		return err
	}
	co.m[key] = protocol.ConsumerOffset{ConsumerID: consumer, ReplicaID: k, Offset: offset, ModifiedTime: now}
	return nil
}

func (s *Server) removeConsumerOffset(consumer string, k protocol.ReplicaKey) error {
	co := s.consumerOffsetStore()
	if co == nil {
		return errNoOffsetStore
	}
	key := offsetKey(consumer, k)
	co.mu.Lock()
	defer co.mu.Unlock()
	if _, ok := co.m[key]; !ok {
		return nil
	}
	if err := co.append(key, []byte{}); err != nil {
		return err
	}
	delete(co.m, key)
	return nil
}

func (co *consumerOffsets) list(f *protocol.ConsumerOffsetFilter) []protocol.ConsumerOffset {
	co.mu.Lock()
	defer co.mu.Unlock()
	out := make([]protocol.ConsumerOffset, 0, len(co.m))
	for _, v := range co.m {
		if f.Matches(&v) {
			out = append(out, v)
		}
	}
	return out
}

// fetch answers the one-shot Fetch (key 1): whole batches from each
// requested offset, bounded by the partition's max_bytes.
func (s *Server) fetch(req *protocol.FetchRequest, version int16) *protocol.FetchResponse {
	iso := storage.Isolation(req.IsolationLevel)
	resp := &protocol.FetchResponse{Topics: make([]protocol.FetchableTopicResponse, len(req.Topics))}
	for ti, t := range req.Topics {
		out := &resp.Topics[ti]
		out.Name = t.Name
		out.Partitions = make([]protocol.FetchablePartitionResponse, len(t.FetchPartitions))
		for pi, p := range t.FetchPartitions {
			pr := &out.Partitions[pi]
			pr.PartitionIndex = p.PartitionIndex
			rep := s.leader(t.Name, p.PartitionIndex)
			if rep == nil {
				pr.ErrorCode = protocol.NewError(protocol.NotLeaderForPartition)
				continue
			}
			maxBytes := int(p.MaxBytes)
			if maxBytes <= 0 {
				maxBytes = 1 << 20
			}
			b, _, err := rep.log.ReadBatches(p.FetchOffset, maxBytes, iso)
			o := rep.log.Offsets()
			pr.HighWatermark, pr.LogStartOffset = o.HighWatermark, o.LogStart
			if err != nil {
				if errors.Is(err, storage.ErrOffsetOutOfRange) {
					pr.ErrorCode = protocol.NewError(protocol.OffsetOutOfRange)
				} else {
					pr.ErrorCode = protocol.NewError(protocol.StorageError)
				}
				continue
			}
			pr.Records.Batches = b
		}
	}
	_ = version
	return resp
}
