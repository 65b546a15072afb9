package spu

import (
	"context"
	"errors"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// produce appends each entry's batches (spec §4.3) and answers with one
// partition entry per request entry, in order.
func (c *conn) produce(h *protocol.RequestHeader, req *protocol.ProduceRequest) error {
	s := c.s
	resp := &protocol.ProduceResponse{Responses: make([]protocol.TopicProduceResponse, len(req.Topics))}
	type wait struct {
		rep    *replica
		leo    int64
		ti, pi int
	}
	var waits []wait
	smErr := protocol.ErrorCode{}
	if len(req.SmartModules) > 0 && s.cfg.SmartModules == nil {
		smErr = errSmartModulesDisabled()
	}
	for ti := range req.Topics {
		t := &req.Topics[ti]
		out := &resp.Responses[ti]
		out.Name = t.Name
		out.Partitions = make([]protocol.PartitionProduceResponse, len(t.Partitions))
		for pi := range t.Partitions {
			p := &t.Partitions[pi]
			pr := &out.Partitions[pi]
			pr.PartitionIndex = p.PartitionIndex
			if !smErr.IsOK() {
				pr.ErrorCode = smErr
				continue
			}
			rep := s.leader(t.Name, p.PartitionIndex)
			if rep == nil {
				pr.ErrorCode = protocol.NewError(protocol.NotLeaderForPartition)
				continue
			}
			pr.BaseOffset = rep.log.Offsets().LogEnd
			if len(req.SmartModules) == 0 {
				c.appendSet(rep, t.Name, p, pr)
				if pr.ErrorCode.IsOK() && req.Isolation == protocol.ReadCommitted {
					waits = append(waits, wait{rep: rep, leo: rep.log.Offsets().LogEnd, ti: ti, pi: pi})
				}
				continue
			}
			batches, code := c.produceBatches(h.APIVersion, req.SmartModules, p)
			if !code.IsOK() {
				pr.ErrorCode = code
				continue
			}
			first := true
			for _, batch := range batches {
				hdr, err := protocol.ParseBatchHeader(batch)
				if err == nil && !rep.cfg.Compression.Accepts(hdr.Codec()) {
					pr.ErrorCode = protocol.NewError(protocol.CompressionError)
					break
				}
				base, err := rep.log.Append(batch)
				if err != nil {
					pr.ErrorCode = appendError(err)
					s.log.Warn("produce append failed", "topic", t.Name, "partition", p.PartitionIndex, "err", err)
					break
				}
				if first {
					pr.BaseOffset, first = base, false
				}
			}
			if pr.ErrorCode.IsOK() && req.Isolation == protocol.ReadCommitted {
				waits = append(waits, wait{rep: rep, leo: rep.log.Offsets().LogEnd, ti: ti, pi: pi})
			}
		}
	}
	s.kickStatus()
	if len(waits) == 0 {
		return c.reply(h.CorrelationID, h.APIVersion, resp)
	}
	// ReadCommitted: wait for HW ≥ the new LEO, off the read loop.
	timeout := time.Duration(req.TimeoutMs) * time.Millisecond
	if req.TimeoutMs <= 0 {
		timeout = protocol.DefaultProduceTimeoutMs * time.Millisecond
	}
	corr, version := h.CorrelationID, h.APIVersion
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(c.ctx, timeout)
		defer cancel()
		for _, w := range waits {
			if err := w.rep.log.WaitHighWatermark(ctx, w.leo); err != nil {
				pr := &resp.Responses[w.ti].Partitions[w.pi]
				if errors.Is(err, storage.ErrClosed) {
					pr.ErrorCode = protocol.NewError(protocol.StorageError)
				} else {
					pr.ErrorCode = protocol.ErrorCode{Code: protocol.RequestTimedOut, A: int64(timeout / time.Millisecond), Kind: 0}
				}
			}
		}
		c.respond(corr, version, resp)
	}()
	return nil
}

// appendSet stores the batches of a partition entry as sent, with one
// write: those before the first batch whose codec the topic refuses (or
// that storage finds invalid).
func (c *conn) appendSet(rep *replica, topic string, p *protocol.PartitionProduceData, pr *protocol.PartitionProduceResponse) {
	n, refused := 0, false
	for batch := range p.Records.All() {
		if hdr, err := protocol.ParseBatchHeader(batch); err == nil && !rep.cfg.Compression.Accepts(hdr.Codec()) {
			refused = true
			break
		}
		n += len(batch)
	}
	if n > 0 {
		base, stored, err := rep.log.AppendSet(p.Records.Batches[:n])
		if stored > 0 {
			pr.BaseOffset = base
		}
		if err != nil {
			pr.ErrorCode = appendError(err)
			c.s.log.Warn("produce append failed", "topic", topic, "partition", p.PartitionIndex, "err", err)
			return
		}
	}
	if refused {
		pr.ErrorCode = protocol.NewError(protocol.CompressionError)
	}
}

// produceBatches returns the batches of a partition entry transformed by
// the request's SmartModule chain (spec smartmodule.md §3.1, one chain per
// partition entry). A record-level error rejects the whole entry; batches
// filtered out entirely are dropped.
func (c *conn) produceBatches(version int16, invs []protocol.SmartModuleInvocation, p *protocol.PartitionProduceData) ([][]byte, protocol.ErrorCode) {
	var batches [][]byte
	tr, code := c.s.cfg.SmartModules.NewTransform(c.ctx, c.s, TransformRequest{Version: version, SmartModules: invs})
	if !code.IsOK() {
		return nil, code
	}
	defer tr.Close()
	for batch := range p.Records.All() {
		out, code := tr.Produce(c.ctx, batch)
		if !code.IsOK() {
			return nil, code
		}
		if out != nil {
			batches = append(batches, out)
		}
	}
	return batches, protocol.ErrorCode{}
}

// appendError maps a storage error to the produce error code.
func appendError(err error) protocol.ErrorCode {
	switch {
	case errors.Is(err, storage.ErrBatchTooLarge):
		return protocol.NewError(protocol.MessageTooLarge)
	case errors.Is(err, storage.ErrInvalidBatch):
		return protocol.ErrorCode{Code: protocol.Other, Message: err.Error()}
	}
	return protocol.NewError(protocol.StorageError)
}

// errSmartModulesDisabled is sent when a request carries SmartModules and no
// engine is wired into this SPU.
func errSmartModulesDisabled() protocol.ErrorCode {
	return protocol.ErrorCode{Code: protocol.SmartModuleChainInitError, Message: "SmartModules are not enabled on this SPU"}
}
