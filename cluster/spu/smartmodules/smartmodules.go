// Package smartmodules runs the SPU's SmartModule chains on the wazero
// engine: it implements spu.SmartModules with cluster/smartengine, turning
// the invocations of a StreamFetch or Produce request into a chain and
// stored batches into the batch a consumer receives or the SPU stores
// (Fluvio crate fluvio-spu, src/smartengine; spec smartmodule.md §3).
//
// Why a package of its own? cluster/spu defines the hook and knows nothing
// of wasm; cluster/smartengine runs modules and knows nothing of batches on
// disk or SPU objects. The glue between them (resolving modules, building
// output batches, mapping errors to codes) is this package's one job, and
// keeping it here spares spu an import of wazero.
//
// # Output batches (spec §3.5)
//
// One Process call turns the stored batches of one read into at most one
// batch: its base offset and compression are those of the first input
// batch that yields records; record offset deltas are rebased onto it;
// last_offset_delta spans every processed input batch, and next (sent as
// next_filter_offset) is the offset after the last one, so the client
// acknowledges past filtered-out records. A batch whose offsets would not
// fit the output's int32 last_offset_delta is left to the next call, as
// is one without timestamps (first_timestamp -1) after batches with them,
// or the reverse (its records' timestamps would change meaning), and
// batches whose offsets go backwards (no log holds them) are refused.
//
// Work is kept off the goroutine that runs the chain, the stream's
// slowest part: Check validates the records of batches read ahead, on the
// goroutine that reads them, and Process returns its batch unfinished:
// Finish writes its CRC, or compresses it, on the goroutine that sends it.
//
// Deliberate deviations from upstream Fluvio:
//
//   - Timestamps are carried over: the output batch keeps the first
//     contributing batch's first_timestamp (records' timestamp deltas
//     rebased onto it) and the highest max_time_stamp, where upstream sends
//     -1 (spec §3.6).
//   - max_bytes is checked before a batch is processed, not after: once
//     the output reaches max_bytes no further batch goes through the chain,
//     so a batch is never processed twice (which would feed an aggregate the
//     same records again). The output may exceed max_bytes by one batch's
//     output.
//   - A failure while processing (trap, timeout, memory limit) is sent with
//     the records processed before it in the same call.
package smartmodules

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/cluster/spu"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// MaxLookBackBytes bounds the history read for one look_back.
const MaxLookBackBytes = 64 << 20

// gzipMagic starts every gzip stream; AdHoc modules must be gzipped (spec
// protocol.md §4.5.2).
var gzipMagic = []byte{0x1f, 0x8b}

// Engine is spu.SmartModules on the wazero engine. The engine itself is
// created on first use, so an SPU that never sees a SmartModule pays
// nothing for it. It is safe for concurrent use.
type Engine struct {
	cfg smartengine.Config

	once sync.Once
	eng  *smartengine.Engine
	err  error

	mu        sync.Mutex
	byPayload map[[sha256.Size]byte]*smartengine.Module // see module
	recent    []recentPayload                           // see module

	open atomic.Int64 // transforms built and not closed
}

// OpenTransforms is the number of chains built and not yet closed: the
// SmartModule streams (and produce entries being transformed) the SPU
// holds an instance for.
func (e *Engine) OpenTransforms() int { return int(e.open.Load()) }

var _ spu.SmartModules = (*Engine)(nil)

// New returns an adapter that builds chains with a smartengine.Engine
// configured by cfg (set cfg.CacheDir to keep compiled modules on disk,
// under the SPU's data dir).
func New(cfg smartengine.Config) *Engine {
	return &Engine{cfg: cfg, byPayload: map[[sha256.Size]byte]*smartengine.Module{}}
}

// Engine returns the underlying engine, creating it if needed.
func (e *Engine) Engine(ctx context.Context) (*smartengine.Engine, error) {
	e.once.Do(func() {
		e.eng, e.err = smartengine.New(context.WithoutCancel(ctx), e.cfg)
	})
	return e.eng, e.err
}

// Close releases the engine and every chain it built.
func (e *Engine) Close() error {
	var eng *smartengine.Engine
	e.once.Do(func() { e.err = smartengine.ErrClosed }) // never start one after Close
	eng = e.eng
	if eng == nil {
		return nil
	}
	return eng.Close(context.Background())
}

// NewTransform resolves and compiles the request's modules, builds their
// chain (running each module's init), and runs look_back when asked. Errors
// are the codes Fluvio's SPU sends (spec §3.4): SmartModuleNotFound{name}
// for an unknown predefined name, SmartModuleInvalid for an AdHoc payload
// that is not gzip, SmartModuleChainInitError for modules that do not load
// or whose init fails, SmartModuleMemoryLimitExceeded and
// SmartModuleLookBackError.
func (e *Engine) NewTransform(ctx context.Context, s *spu.Server, req spu.TransformRequest) (spu.Transform, protocol.ErrorCode) {
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, protocol.NewErrorMessage(protocol.SmartModuleChainInitError, "SmartModule engine unavailable: "+err.Error())
	}
	invs := make([]smartengine.Invocation, 0, len(req.SmartModules))
	for i := range req.SmartModules {
		in := &req.SmartModules[i]
		mod, code := e.module(ctx, eng, s, in)
		if !code.IsOK() {
			return nil, code
		}
		invs = append(invs, smartengine.Invocation{
			Module:      mod,
			Params:      in.Params.Params,
			Accumulator: accumulator(&in.Kind),
			Lookback:    lookback(in.Params.Lookback),
		})
	}
	chain, err := eng.NewChain(ctx, req.Version, invs...)
	if err != nil {
		return nil, smartengine.ErrorCode(err)
	}
	e.open.Add(1)
	t := &transform{chain: chain, maxBytes: req.MaxBytes, stateless: true, open: &e.open}
	for _, inv := range invs {
		if inv.Module.Kind() == smartengine.KindAggregate {
			t.stateless = false
		}
	}
	if req.Log != nil && needsLookBack(invs) {
		err := chain.LookBack(ctx, func(ctx context.Context, lb smartengine.Lookback) ([]byte, error) {
			return History(req.Log, lb, time.Now())
		})
		if err != nil {
			t.Close()
			code := smartengine.ErrorCode(err)
			if code.Code != protocol.SmartModuleLookBackError && code.Code != protocol.SmartModuleMemoryLimitExceeded {
				code = protocol.NewErrorMessage(protocol.SmartModuleLookBackError, err.Error())
			}
			return nil, code
		}
	}
	return t, protocol.ErrorCode{}
}

// module returns the compiled module of an invocation: its AdHoc bytes, or
// the predefined module the SPU knows by name. Why remember modules by
// the digest of their payload? Consumers open stream after stream with the
// same module, and gunzipping it each time cost more than instantiating
// it (17 ms for a 2.7 MB Go module); the engine itself keys compiled
// modules by the digest of the gunzipped wasm.
func (e *Engine) module(ctx context.Context, eng *smartengine.Engine, s *spu.Server, in *protocol.SmartModuleInvocation) (*smartengine.Module, protocol.ErrorCode) {
	var payload []byte
	var name *string
	switch in.Wasm.Type {
	case protocol.WasmPredefined:
		if s == nil {
			return nil, protocol.NewErrorMessage(protocol.SmartModuleNotFound, in.Wasm.Name)
		}
		sm, ok := s.ResolveSmartModule(in.Wasm.Name)
		if !ok {
			return nil, protocol.NewErrorMessage(protocol.SmartModuleNotFound, in.Wasm.Name)
		}
		payload, name = sm.Wasm, &in.Wasm.Name
	case protocol.WasmAdHoc:
		if !bytes.HasPrefix(in.Wasm.AdHoc, gzipMagic) {
			return nil, protocol.ErrorCode{Code: protocol.SmartModuleInvalid,
				Message: fmt.Sprintf("ad hoc SmartModule is not gzip-compressed (first bytes % x); send the .wasm gzipped", in.Wasm.AdHoc[:min(len(in.Wasm.AdHoc), 4)])}
		}
		payload = in.Wasm.AdHoc
	default:
		return nil, protocol.ErrorCode{Code: protocol.SmartModuleInvalid, Message: fmt.Sprintf("unknown SmartModule wasm type %d", in.Wasm.Type)}
	}
	if mod := e.recentModule(payload); mod != nil {
		return mod, protocol.ErrorCode{}
	}
	key := sha256.Sum256(payload)
	e.mu.Lock()
	mod, ok := e.byPayload[key]
	e.mu.Unlock()
	if ok {
		e.remember(payload, mod)
		return mod, protocol.ErrorCode{}
	}
	wasm, err := smartengine.Payload(payload)
	if err != nil {
		code := protocol.ErrorCode{Code: protocol.SmartModuleInvalid, Message: err.Error()}
		if name != nil {
			n := *name
			code.Name = &n
		}
		return nil, code
	}
	mod, err = eng.Compile(ctx, wasm)
	if err != nil {
		return nil, smartengine.ErrorCode(err)
	}
	e.mu.Lock()
	if len(e.byPayload) >= maxPayloads {
		clear(e.byPayload) // a new digest costs one gunzip; compiled code stays cached
	}
	e.byPayload[key] = mod
	e.mu.Unlock()
	e.remember(payload, mod)
	return mod, protocol.ErrorCode{}
}

// recentPayload is a payload lately seen, kept to be compared byte for
// byte. Why, when payloads are keyed by digest? SHA-256 of a Go module's
// payload (787 KB) takes 0.6 ms, a fifth of a Go stream's start, and a
// consumer sends the same one stream after stream; comparing costs a
// tenth of that and needs no trust in a shorter hash.
type recentPayload struct {
	payload []byte // a copy
	mod     *smartengine.Module
}

// Recent payloads kept, and the largest kept.
const (
	maxRecent        = 4
	maxRecentPayload = 8 << 20
)

// recentModule returns the module of a payload equal to one of the
// recent ones, or nil.
func (e *Engine) recentModule(payload []byte) *smartengine.Module {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.recent {
		if bytes.Equal(r.payload, payload) {
			return r.mod
		}
	}
	return nil
}

// remember adds a payload to the recent ones, dropping the oldest.
func (e *Engine) remember(payload []byte, mod *smartengine.Module) {
	if len(payload) > maxRecentPayload {
		return
	}
	r := recentPayload{payload: bytes.Clone(payload), mod: mod}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.recent) == maxRecent {
		copy(e.recent, e.recent[1:])
		e.recent = e.recent[:maxRecent-1]
	}
	e.recent = append(e.recent, r)
}

// maxPayloads bounds the payload digests Engine remembers.
const maxPayloads = 256

// accumulator is the initial aggregate accumulator of an invocation's kind
// (spec §2.6): Aggregate{accumulator} or Generic(Aggregate{accumulator}).
func accumulator(k *protocol.SmartModuleKind) []byte {
	switch {
	case k.Type == protocol.SMKindAggregate,
		k.Type == protocol.SMKindGeneric && k.Context == protocol.SMContextAggregate:
		return k.Accumulator
	}
	return nil
}

func lookback(lb *protocol.Lookback) *smartengine.Lookback {
	if lb == nil {
		return nil
	}
	out := &smartengine.Lookback{Last: lb.Last}
	if lb.Age != nil {
		out.Age = *lb.Age
	}
	return out
}

func needsLookBack(invs []smartengine.Invocation) bool {
	for _, in := range invs {
		if in.Lookback != nil && in.Module.HasLookBack() {
			return true
		}
	}
	return false
}

// History selects the records look_back sees (spec §2.7) from a partition,
// read committed, as one records section with the records' deltas as
// stored: with Last > 0 the last Last records before the high watermark,
// otherwise everything from the log start; with Age > 0 only records whose
// timestamp is not older than now - Age. At most MaxLookBackBytes of
// batches are read.
func History(log *storage.Replica, lb smartengine.Lookback, now time.Time) ([]byte, error) {
	o := log.Offsets()
	from := o.LogStart
	if lb.Last > 0 && uint64(o.HighWatermark-o.LogStart) > lb.Last {
		from = o.HighWatermark - int64(lb.Last)
	}
	minTS := int64(-1)
	if lb.Age > 0 {
		minTS = now.Add(-lb.Age).UnixMilli()
	}
	section := protocol.AppendUint32(nil, 0)
	n := 0
	read := 0
	for off := from; off < o.HighWatermark && read < MaxLookBackBytes; {
		batches, next, err := log.ReadBatches(off, MaxLookBackBytes-read, storage.ReadCommitted)
		if err != nil {
			if errors.Is(err, storage.ErrOffsetOutOfRange) && off < log.Offsets().LogStart {
				off = log.Offsets().LogStart
				continue
			}
			return nil, fmt.Errorf("read history at offset %d: %w", off, err)
		}
		if len(batches) == 0 || next <= off {
			break
		}
		read += len(batches)
		it := protocol.NewBatchIterator(batches)
		for it.Next() {
			err := protocol.ForEachRecord(it.Batch(), func(offset, ts int64, r *protocol.Record) error {
				if offset < from || offset >= o.HighWatermark || (minTS >= 0 && ts < minTS) {
					return nil
				}
				section = protocol.AppendRecord(section, r)
				n++
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("read history: %w", err)
			}
		}
		if err := it.Err(); err != nil {
			return nil, fmt.Errorf("read history: %w", err)
		}
		off = next
	}
	binary.BigEndian.PutUint32(section, uint32(n))
	return section, nil
}

// transform is one stream's (or one produce entry's) chain.
type transform struct {
	chain    *smartengine.Chain
	maxBytes int
	in       []byte // decompressed input scratch
	section  []byte // Produce's output records scratch
	// Process builds its output batch in out[turn]: header room, then the
	// records section; Finish completes it in place when uncompressed
	// (enc holds a compressed one), with the header Process left in
	// fin[turn]. The buffers alternate after each call that returns a
	// batch, so that a batch stays valid, and can be finished and sent,
	// while the next is computed.
	out      [2][]byte
	enc      [2][]byte
	fin      [2]protocol.BatchHeader
	turn     int
	returned bool // the last call returned a batch, from out[turn]
	// stateless: no aggregate in the chain (see spu.Transform.Stateless)
	stateless bool
	open      *atomic.Int64 // the engine's count of open transforms
	closeOnce sync.Once
}

// Stateless reports whether the chain has no aggregate.
func (t *transform) Stateless() bool { return t.stateless }

// Close releases the chain.
func (t *transform) Close() {
	t.closeOnce.Do(func() {
		_ = t.chain.Close(context.Background())
		t.open.Add(-1)
	})
}

// MemoryBytes is the linear memory the chain's instances hold.
func (t *transform) MemoryBytes() uint64 { return t.chain.MemoryBytes() }

// Process runs stored batches through the chain into one batch (see the
// package doc), which Finish completes. The returned batch stays valid
// through the next call that returns a batch; the call after that one may
// reuse it.
func (t *transform) Process(ctx context.Context, batches []byte, checked int) ([]byte, int64, protocol.ErrorCode) {
	var (
		b       outBatch
		next    int64 = -1
		code    protocol.ErrorCode
		started bool
	)
	if t.returned {
		t.turn ^= 1
	}
	t.returned = false
	b.section = append(t.out[t.turn][:0], outPrefix[:]...)
	b.room = len(outPrefix) + len(batches)
	it := protocol.NewBatchIterator(batches)
	pos := 0 // where the batch starts in batches
	for it.Next() {
		if t.maxBytes > 0 && b.count > 0 && len(b.section)-protocol.BatchFileHeaderSize >= t.maxBytes {
			break
		}
		raw, h := it.Batch(), *it.Header()
		pos += len(raw)
		if next >= 0 && h.BaseOffset < next {
			// Not from a log, which only moves forward: the output batch
			// could not number these records.
			code = protocol.NewErrorMessage(protocol.Other, fmt.Sprintf("SmartModule err stored batch at offset %d: follows one that ends at %d", h.BaseOffset, next-1))
			break
		}
		if started && (h.LastOffset()-b.hdr.BaseOffset > math.MaxInt32 || (h.FirstTimestamp >= 0) != (b.hdr.FirstTimestamp >= 0)) {
			// Beyond what the output's last_offset_delta spans, or without
			// timestamps where the output has them (or the reverse, which
			// rebasing would turn into other timestamps): the next call's.
			break
		}
		in, err := protocol.BatchRecords(t.in[:0], raw, 0) // uncompressed: no copy
		if err != nil {
			code = protocol.NewErrorMessage(protocol.Other, fmt.Sprintf("SmartModule err read batch at offset %d: %v", h.BaseOffset, err))
			break
		}
		if h.Codec() != protocol.CompressionNone {
			t.in = in
		}
		if pos > checked {
			if _, err := checkRecords(in); err != nil {
				code = protocol.NewErrorMessage(protocol.Other, fmt.Sprintf("SmartModule err stored batch at offset %d: %v", h.BaseOffset, err))
				break
			}
		}
		out, rtErr, err := t.chain.Process(ctx, h.BaseOffset, h.FirstTimestamp, in)
		if err != nil {
			code = smartengine.ErrorCode(err)
			break
		}
		// out needs no check: the engine reads every record of a
		// module's output (smartengine.DecodeOutput).
		if !started && recordCount(out) > 0 {
			started = true
			b.start(&h)
		}
		if started {
			if err := b.add(&h, out); err != nil {
				code = protocol.NewErrorMessage(protocol.Other, "SmartModule err "+err.Error())
				break
			}
		}
		next = h.LastOffset() + 1
		if rtErr != nil {
			code = protocol.ErrorCode{Code: protocol.SmartModuleRuntimeError, Runtime: rtErr}
			break
		}
	}
	if err := it.Err(); err != nil && code.IsOK() {
		code = protocol.NewErrorMessage(protocol.Other, "SmartModule err read batches: "+err.Error())
	}
	t.out[t.turn] = b.section
	if !started || b.count == 0 {
		return nil, next, code
	}
	t.fin[t.turn] = b.finish(next)
	t.returned = true
	b.section[0] = byte(t.turn) // header room: Finish writes the header over it
	return b.section, next, code
}

// Finish completes a batch Process returned: uncompressed, its CRC, in
// place; else its compression into the turn's enc buffer. It touches only
// the buffers of out's turn, so it may run while Process runs.
func (t *transform) Finish(out []byte) ([]byte, error) {
	if len(out) < len(outPrefix) || out[0] > 1 {
		return nil, errors.New("Finish: not a batch this transform returned")
	}
	turn := int(out[0]) // Process marks it there (Finish may not look at the other turn: Process may be writing it)
	if unsafe.SliceData(out) != unsafe.SliceData(t.out[turn]) {
		return nil, errors.New("Finish: not a batch this transform returned")
	}
	h := t.fin[turn]
	if h.Codec() == protocol.CompressionNone {
		protocol.FinishBatchInPlace(out, &h)
		return out, nil
	}
	enc, err := protocol.AppendBatchSection(t.enc[turn][:0], &h, nil, out[protocol.BatchFileHeaderSize:], h.Codec())
	if err != nil {
		return nil, err
	}
	t.enc[turn] = enc[:0]
	return enc, nil
}

// Check returns the length of the leading uncompressed batches whose
// records sections are well-formed (Process checks compressed batches
// itself, so as to decompress them once). It uses no state of t.
func (t *transform) Check(batches []byte) int {
	it := protocol.NewBatchIterator(batches)
	n := 0
	for it.Next() {
		raw := it.Batch()
		if it.Header().Codec() != protocol.CompressionNone {
			break
		}
		in, err := protocol.BatchRecords(nil, raw, 0) // uncompressed: no copy
		if err != nil {
			break
		}
		if _, err := checkRecords(in); err != nil {
			break
		}
		n += len(raw)
	}
	return n
}

// Produce runs one produced batch through the chain and returns the batch
// to store: the input header with the output records numbered 0..n-1, same
// compression; nil when nothing is left. Errors follow spec §3.4's Produce
// column.
func (t *transform) Produce(ctx context.Context, batch []byte) ([]byte, protocol.ErrorCode) {
	h, err := protocol.ParseBatchHeader(batch)
	if err != nil {
		return nil, protocol.NewErrorMessage(protocol.Other, "smartmodule chain failed: "+err.Error())
	}
	in, err := protocol.AppendBatchRecords(t.in[:0], batch, 0)
	if err != nil {
		return nil, protocol.NewErrorMessage(protocol.Other, "smartmodule chain failed: "+err.Error())
	}
	t.in = in
	// Client bytes: only well-formed records reach the modules.
	if _, err := checkRecords(in); err != nil {
		return nil, protocol.NewErrorMessage(protocol.Other, "smartmodule chain failed: produced batch: "+err.Error())
	}
	out, rtErr, err := t.chain.Process(ctx, h.BaseOffset, h.FirstTimestamp, in)
	switch {
	case err != nil:
		code := smartengine.ErrorCode(err)
		if code.Code == protocol.Other {
			code.Message = "smartmodule chain failed: " + err.Error()
		}
		return nil, code
	case rtErr != nil:
		return nil, protocol.ErrorCode{Code: protocol.SmartModuleRuntimeError, Runtime: rtErr}
	}
	n, err := checkRecords(out)
	if err != nil {
		return nil, protocol.NewErrorMessage(protocol.Other, "smartmodule chain failed: output "+err.Error())
	}
	if n == 0 {
		return nil, protocol.ErrorCode{}
	}
	r := protocol.NewReader(out[4:])
	section := protocol.AppendUint32(t.section[:0], uint32(n))
	var rec protocol.Record
	for i := range n {
		protocol.ReadRecord(r, &rec)
		rec.OffsetDelta = int64(i)
		section = protocol.AppendRecord(section, &rec)
	}
	t.section = section
	if err := r.Err(); err != nil {
		return nil, protocol.NewErrorMessage(protocol.Other, "smartmodule chain failed: output records: "+err.Error())
	}
	h.LastOffsetDelta = int32(n - 1)
	res, err := protocol.AppendBatchSection(nil, &h, nil, section, h.Codec())
	if err != nil {
		return nil, protocol.NewErrorMessage(protocol.Other, "smartmodule chain failed: "+err.Error())
	}
	return res, protocol.ErrorCode{}
}

// checkRecords verifies that a records section is a count followed by
// exactly that many well-formed records, and returns the count.
func checkRecords(section []byte) (int, error) {
	if len(section) < 4 {
		return 0, fmt.Errorf("records: section of %d bytes has no count", len(section))
	}
	if c := binary.BigEndian.Uint32(section); c > uint32(len(section)-4)/minRecordSize {
		return 0, fmt.Errorf("records: count %d does not fit in %d bytes", c, len(section)-4)
	}
	if n := recordCount(section); fastCheck(section[4:], n) {
		return n, nil
	}
	// Something is wrong: the full decoder says what.
	r := protocol.NewReader(section)
	n := r.ArrayLen(minRecordSize)
	var rec protocol.Record
	for i := 0; i < n && r.Err() == nil; i++ {
		protocol.ReadRecord(r, &rec)
	}
	if err := r.Err(); err != nil {
		return 0, fmt.Errorf("records: %w", err)
	}
	if r.Remaining() != 0 {
		return 0, fmt.Errorf("records: %d bytes after the last of %d records", r.Remaining(), n)
	}
	return n, nil
}

// fastCheck reports whether b is exactly n well-formed records (the path
// every section takes; see protocol.SkipRecords).
func fastCheck(b []byte, n int) bool {
	end, ok := protocol.SkipRecords(b, n)
	return ok && end == len(b)
}

// minRecordSize is the smallest encoded record (protocol's bound).
const minRecordSize = 7

// recordCount is the u32 count at the start of a records section.
func recordCount(section []byte) int {
	if len(section) < 4 {
		return 0
	}
	return int(binary.BigEndian.Uint32(section))
}

// outPrefix starts every output batch: room for the batch header
// (written by transform.Finish), then the record count (outBatch.finish).
var outPrefix [protocol.BatchFileHeaderSize + 4]byte

// outBatch accumulates the output batch of one Process call.
type outBatch struct {
	hdr     protocol.BatchHeader
	section []byte // room for the batch header, u32 count (patched at the end), records
	count   int
	// room is the capacity section takes at once when it first has to
	// grow: what the input would need (a filter's output fits; a map's
	// grows from there), where doubling from a few bytes made a new
	// stream allocate its output buffers about twice over.
	room int
}

// start takes the header, base offset, timestamp and compression from the
// first input batch that yields records.
func (b *outBatch) start(h *protocol.BatchHeader) {
	b.hdr = *h
}

// add appends a batch's output records, rebasing their offset and
// timestamp deltas onto the output batch.
func (b *outBatch) add(h *protocol.BatchHeader, records []byte) error {
	offShift := h.BaseOffset - b.hdr.BaseOffset
	tsShift := int64(0)
	if h.FirstTimestamp >= 0 && b.hdr.FirstTimestamp >= 0 {
		tsShift = h.FirstTimestamp - b.hdr.FirstTimestamp
	}
	if h.MaxTimestamp > b.hdr.MaxTimestamp {
		b.hdr.MaxTimestamp = h.MaxTimestamp
	}
	n := recordCount(records)
	if n == 0 {
		return nil
	}
	if need := len(b.section) + len(records); need > cap(b.section) && b.room > 0 {
		b.section = slices.Grow(b.section, max(need, b.room)-len(b.section))
		b.room = 0
	}
	b.count += n
	if offShift == 0 && tsShift == 0 {
		b.section = append(b.section, records[4:]...)
		return nil
	}
	var ok bool
	if b.section, ok = protocol.AppendRebasedRecords(b.section, records[4:], n, offShift, tsShift); !ok {
		_, err := checkRecords(records) // says what is wrong
		if err == nil {
			err = errors.New("records: malformed")
		}
		return fmt.Errorf("output records of batch at offset %d: %w", h.BaseOffset, err)
	}
	return nil
}

// finish writes the record count into the section and returns the
// batch's header: last_offset_delta spanning the processed input (up to
// next), the input's compression. transform.Finish writes it (and the
// CRC) into the room b.section starts with, or compresses the section.
func (b *outBatch) finish(next int64) protocol.BatchHeader {
	binary.BigEndian.PutUint32(b.section[protocol.BatchFileHeaderSize:], uint32(b.count))
	h := b.hdr
	h.LastOffsetDelta = int32(next - 1 - h.BaseOffset)
	return h
}
