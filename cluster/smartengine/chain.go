package smartengine

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/sys"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Invocation is one module of a chain with its configuration
// (SmartModuleInvocation on the wire, after the SPU resolved the module).
type Invocation struct {
	// Module is the compiled module (Engine.Compile).
	Module *Module
	// Params are passed to the module's init (spec §1.5).
	Params map[string]string
	// Accumulator is the initial aggregate accumulator (aggregate only).
	Accumulator []byte
	// Lookback, when set and the module exports look_back, makes
	// Chain.LookBack feed it history.
	Lookback *Lookback
}

// Chain is the instances of one stream's modules, run in order on every
// batch. Module state (statics, init results, the aggregate accumulator)
// persists across batches. A Chain serialises its calls; use one per
// stream.
type Chain struct {
	eng     *Engine
	version int16

	mu     sync.Mutex
	insts  []*instance
	broken error
	closed bool
}

// instance is one module instance of a chain.
type instance struct {
	eng       *Engine
	m         *Module
	inv       Invocation
	mod       api.Module
	mem       api.Memory
	alloc     api.Function
	dealloc   api.Function
	transform api.Function
	init      api.Function
	lookBack  api.Function
	limit     *limitedAllocator
	stop      stopper
	acc       []byte // aggregate accumulator, owned by the host
	state     callState
	stack     [3]uint64
	in        []byte // input scratch
	out       []byte // copy of the last output
	called    bool   // a transform call has returned (see Module.reserveBytes)
}

// NewChain instantiates the invocations' modules in order for a stream
// whose request has ABI version version (the StreamFetch or Produce
// request version; modules see min(version, MaxModuleVersion)) and calls
// each module's init with its params. A failing init returns an
// *InitError. Close the chain when the stream ends.
func (e *Engine) NewChain(ctx context.Context, version int16, invs ...Invocation) (*Chain, error) {
	c := &Chain{eng: e, version: min(version, MaxModuleVersion)}
	for i, inv := range invs {
		if inv.Module == nil {
			_ = c.Close(ctx)
			return nil, fmt.Errorf("%w: step %d: nil module", ErrChainInit, i)
		}
		in, err := e.instantiate(ctx, inv)
		if err != nil {
			_ = c.Close(ctx)
			return nil, fmt.Errorf("%w: step %d (%s): %w", ErrChainInit, i, inv.Module.kind, err)
		}
		c.insts = append(c.insts, in)
	}
	for i, in := range c.insts {
		if err := in.runInit(ctx, c.version); err != nil {
			_ = c.Close(ctx)
			return nil, fmt.Errorf("%w: step %d (%s) init: %w", ErrChainInit, i, in.m.kind, err)
		}
	}
	return c, nil
}

// instantiate returns a started instance of inv's module for a chain: the
// module's spare when it has one (see refill), else a new one.
func (e *Engine) instantiate(ctx context.Context, inv Invocation) (*instance, error) {
	in := e.takeSpare(inv.Module)
	if in == nil {
		var err error
		if in, err = e.start(ctx, inv.Module); err != nil {
			return nil, err
		}
	}
	e.refill(inv.Module)
	in.inv = inv
	in.inv.Params = maps.Clone(inv.Params)
	in.acc = append([]byte(nil), inv.Accumulator...)
	return in, nil
}

// Spare instances. Why keep a started instance of a module nobody uses
// yet? Instantiating costs a stream its first milliseconds (5 ms for a Go
// module: copying its data, running the Go runtime's _initialize), and
// consumers open stream after stream with the same module. A spare is
// instantiated and started in the background after a module was used,
// and is fresh: no invocation, init or record ever reached it, so taking
// it is the same as instantiating. At most maxSpares are kept, each for
// spareIdle.
const (
	maxSpares = 4
	spareIdle = time.Minute
)

func (e *Engine) takeSpare(m *Module) *instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	sp := e.spares[m]
	if sp == nil {
		return nil
	}
	delete(e.spares, m)
	// The idle timer must not keep the instance (its memory) alive after
	// the chain that took it is closed.
	sp.idle.Stop()
	return sp.in
}

// spare is a started instance waiting for a stream, closed when idle fires.
type spare struct {
	in   *instance
	idle *time.Timer
}

// refill starts a spare of m in the background unless m has one (or one on
// the way), the engine keeps maxSpares already, or it is closed.
func (e *Engine) refill(m *Module) {
	e.mu.Lock()
	if e.closed || e.spares[m] != nil || e.refilling[m] || len(e.spares)+len(e.refilling) >= maxSpares {
		e.mu.Unlock()
		return
	}
	e.refilling[m] = true
	e.refills.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.refills.Done()
		in, err := e.start(e.bg, m)
		e.mu.Lock()
		delete(e.refilling, m)
		if err != nil || e.closed {
			e.mu.Unlock()
			if in != nil {
				_ = in.close(context.Background())
			}
			return
		}
		sp := &spare{in: in}
		sp.idle = time.AfterFunc(spareIdle, func() {
			e.mu.Lock()
			idle := e.spares[m] == sp
			if idle {
				delete(e.spares, m)
			}
			e.mu.Unlock()
			if idle {
				_ = in.close(context.Background())
			}
		})
		e.spares[m] = sp
		e.mu.Unlock()
	}()
}

// start instantiates m and runs its start functions.
func (e *Engine) start(ctx context.Context, m *Module) (*instance, error) {
	limit := &limitedAllocator{pool: &e.mems, max: e.cfg.MaxMemoryBytes, reserve: m.reserveBytes.Load()}
	if m.minMemory > limit.max {
		return nil, &MemoryLimitError{Requested: m.minMemory, Max: limit.max}
	}
	mod, err := e.rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, limit), m.compiled, e.moduleConfig())
	if err != nil {
		if req := limit.refused(); req > 0 {
			return nil, &MemoryLimitError{Requested: req, Max: limit.max}
		}
		return nil, fmt.Errorf("%w: instantiate: %w", ErrCompile, err)
	}
	in := &instance{
		eng:       e,
		m:         m,
		mod:       mod,
		mem:       mod.ExportedMemory("memory"),
		alloc:     mod.ExportedFunction("alloc"),
		transform: mod.ExportedFunction(m.kind.String()),
		limit:     limit,
	}
	if m.hasDealloc && !e.cfg.KeepOutputBuffers {
		in.dealloc = mod.ExportedFunction("dealloc")
	}
	if m.hasInit {
		in.init = mod.ExportedFunction("init")
	}
	if m.hasLookBack {
		in.lookBack = mod.ExportedFunction("look_back")
	}
	in.stop.g, _ = mod.ExportedGlobal(stopGlobalExport).(api.MutableGlobal)
	in.stop.fuel, _ = mod.ExportedGlobal(fuelGlobalExport).(api.MutableGlobal)
	if in.stop.g == nil || in.stop.fuel == nil {
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("%w: instrumented module lacks %s", ErrCompile, stopGlobalExport)
	}
	// The data segments, which instantiation writes before any start
	// function runs.
	if m.data != nil && (mod.Memory() == nil || !mod.Memory().Write(m.dataAt, m.data)) {
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("%w: instantiate: data segments at %d..%d do not fit in the module's memory", ErrCompile, m.dataAt, uint64(m.dataAt)+uint64(len(m.data)))
	}
	// What wazero's start functions would have run, under the deadline: the
	// start section, then _initialize (Go c-shared guests).
	for _, name := range []string{startFuncExport, "_initialize"} {
		if name == startFuncExport && !m.hasStart {
			continue
		}
		fn := mod.ExportedFunction(name)
		if fn == nil {
			continue
		}
		cctx, done := in.begin(ctx)
		_, err := fn.Call(cctx)
		expired := in.expired(ctx)
		done()
		if err != nil {
			_ = in.close(ctx)
			if req := limit.refused(); req > 0 {
				return nil, &MemoryLimitError{Requested: req, Max: limit.max}
			}
			if expired {
				return nil, fmt.Errorf("%w: instantiate: %w", ErrTimeout, err)
			}
			return nil, fmt.Errorf("%w: instantiate: %w", ErrCompile, err)
		}
	}
	m.noteReserve(limit.size.Load())
	return in, nil
}

// stopper raises an instance's stop global (see instrument.go) when a
// call runs past its deadline or its caller's context ends.
type stopper struct {
	g        api.MutableGlobal
	fuel     api.MutableGlobal
	mu       sync.Mutex
	active   bool      // a call is running
	fired    bool      // the stop global was raised during this call
	timedOut bool      // ... because the call ran past its deadline
	deadline time.Time // of the running call
	timer    *time.Timer
	// The context of the last call: it is watched (unwatch ends that)
	// and vctx is it with the call state, kept for the calls that follow
	// with the same context, as a stream's do.
	parent  context.Context
	unwatch func() bool
	vctx    context.Context
}

func (s *stopper) fire() {
	s.mu.Lock()
	s.raise()
	s.mu.Unlock()
}

// expire is the deadline timer's function. A firing late for a call that
// has since ended must not stop the next one: it checks the deadline.
func (s *stopper) expire() {
	s.mu.Lock()
	if s.active && !time.Now().Before(s.deadline) {
		s.timedOut = true
		s.raise()
	}
	s.mu.Unlock()
}

// raise sets the stop global during a call; s.mu is held.
func (s *stopper) raise() {
	if s.active {
		s.fired = true
		s.g.Set(1)
		s.fuel.Set(0)
	}
}

// begin opens a deadline window for calls into the instance: the guest is
// stopped after CallTimeout or when ctx ends, whichever comes first, and
// the call then fails (expired says which). The returned context carries
// the call state for the host functions. done closes the window; a stop
// raised after the guest returned is lowered again, so only a call that
// was still running fails. A timer per instance, reset per call, and one
// watch per caller context: a stream calls thousands of times, and a
// context and timer per call cost more than the call's own overhead.
func (in *instance) begin(ctx context.Context) (context.Context, func()) {
	s := &in.stop
	if ctx != s.parent {
		if s.unwatch != nil {
			s.unwatch()
		}
		s.parent, s.unwatch = ctx, context.AfterFunc(ctx, s.fire)
		s.vctx = context.WithValue(ctx, callKey{}, &in.state)
	}
	s.mu.Lock()
	s.active, s.timedOut = true, false
	s.deadline = time.Now().Add(in.eng.cfg.CallTimeout)
	if ctx.Err() != nil { // ended before this call: the watch may have fired already
		s.raise()
	}
	s.mu.Unlock()
	if s.timer == nil {
		s.timer = time.AfterFunc(in.eng.cfg.CallTimeout, s.expire)
	} else {
		s.timer.Reset(in.eng.cfg.CallTimeout)
	}
	return s.vctx, in.endCall
}

// endCall closes the window begin opened.
func (in *instance) endCall() {
	s := &in.stop
	s.timer.Stop()
	s.mu.Lock()
	s.active = false
	if s.fired {
		s.fired = false
		s.g.Set(0)
	}
	s.mu.Unlock()
}

// expired reports whether the call in the window (or the last one) was
// stopped by its deadline or by ctx ending.
func (in *instance) expired(ctx context.Context) bool {
	in.stop.mu.Lock()
	defer in.stop.mu.Unlock()
	return in.stop.timedOut || ctx.Err() != nil
}

// close closes the instance and drops its watch on a caller's context.
func (in *instance) close(ctx context.Context) error {
	in.stop.mu.Lock()
	if in.stop.unwatch != nil {
		in.stop.unwatch()
		in.stop.unwatch, in.stop.parent, in.stop.vctx = nil, nil, nil
	}
	if in.stop.timer != nil {
		in.stop.timer.Stop()
	}
	in.stop.mu.Unlock()
	return in.mod.Close(ctx)
}

// call runs one ABI call (spec §1.3): alloc the input in the guest, copy
// it in, call fn(ptr, len, version), then copy out what copy_records
// pointed at and free it in the guest. The returned output aliases
// in.out and stays valid until the next call on this instance.
func (in *instance) call(ctx context.Context, fn api.Function, name string, version int16, input ...[]byte) (int32, []byte, error) {
	cctx, done := in.begin(ctx)
	defer done()
	in.state = callState{}

	size := 0
	for _, p := range input {
		size += len(p)
	}
	in.stack[0] = api.EncodeU32(uint32(size))
	if err := in.alloc.CallWithStack(cctx, in.stack[:1]); err != nil {
		return 0, nil, in.callError(ctx, "alloc", err)
	}
	ptr := api.DecodeU32(in.stack[0])
	at := ptr
	for _, p := range input { // written in place: the parts are not joined first
		if !in.mem.Write(at, p) {
			return 0, nil, fmt.Errorf("%w: alloc(%d) returned %d, outside memory of %d bytes", ErrBadOutput, size, ptr, in.mem.Size())
		}
		at += uint32(len(p))
	}
	in.stack[0] = api.EncodeU32(ptr)
	in.stack[1] = api.EncodeU32(uint32(size))
	in.stack[2] = api.EncodeU32(uint32(uint16(version)))
	if err := fn.CallWithStack(cctx, in.stack[:3]); err != nil {
		return 0, nil, in.callError(ctx, name, err)
	}
	rc := api.DecodeI32(in.stack[0])
	in.out = in.out[:0]
	if !in.state.called {
		return rc, in.out, nil
	}
	st := in.state
	b, ok := in.mem.Read(st.ptr, st.len)
	if !ok {
		return rc, nil, fmt.Errorf("%w: copy_records(%d, %d) outside memory of %d bytes", ErrBadOutput, st.ptr, st.len, in.mem.Size())
	}
	in.out = append(in.out, b...)
	if in.dealloc != nil && st.len > 0 {
		in.stack[0] = api.EncodeU32(st.ptr)
		in.stack[1] = api.EncodeU32(st.len)
		if err := in.dealloc.CallWithStack(cctx, in.stack[:2]); err != nil {
			return rc, nil, in.callError(ctx, "dealloc", err)
		}
	}
	return rc, in.out, nil
}

// callError classifies a failed call: memory limit, deadline, or trap.
func (in *instance) callError(ctx context.Context, name string, err error) error {
	if req := in.limit.refused(); req > 0 {
		return fmt.Errorf("%s: %w", name, &MemoryLimitError{Requested: req, Max: in.limit.max})
	}
	var exit *sys.ExitError
	if in.expired(ctx) || (errors.As(err, &exit) && (exit.ExitCode() == sys.ExitCodeDeadlineExceeded || exit.ExitCode() == sys.ExitCodeContextCanceled)) {
		return fmt.Errorf("%w: %s did not return within %v: %w", ErrTimeout, name, in.eng.cfg.CallTimeout, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrTrap, name, err)
}

// runInit calls init with the params (spec §1.5). Modules without init
// ignore params.
func (in *instance) runInit(ctx context.Context, version int16) error {
	if in.init == nil {
		return nil
	}
	in.in = appendInitInput(in.in[:0], version, in.inv.Params, in.inv.Lookback)
	rc, out, err := in.call(ctx, in.init, "init", version, in.in)
	if err != nil {
		return err
	}
	switch {
	case rc == 0:
		return nil
	case rc == -2:
		ie, err := decodeInitOutput(out)
		if err != nil {
			return err
		}
		return ie
	}
	return &ReturnCodeError{Func: "init", Code: rc}
}

// LookBack runs look_back once, before the first batch, for every module
// that exports it and has a Lookback configured (spec §2.7). read returns
// the selected history as a records section (u32 count + records, deltas
// as stored); the module sees base offset and timestamp 0. Any failure is
// a *LookBackError (SmartModuleLookBackError for the client).
func (c *Chain) LookBack(ctx context.Context, read func(context.Context, Lookback) ([]byte, error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return err
	}
	for i, in := range c.insts {
		if in.lookBack == nil || in.inv.Lookback == nil {
			continue
		}
		records, err := read(ctx, *in.inv.Lookback)
		if err != nil {
			return fmt.Errorf("chain step %d: read look_back records: %w", i, err)
		}
		if len(records) < 4 {
			records = emptyRecords
		}
		in.in = appendInput(in.in[:0], c.version, 0, records, 0, nil, false)
		rc, out, err := in.call(ctx, in.lookBack, "look_back", c.version, in.in)
		if err != nil {
			c.fail(err)
			return &LookBackError{Hint: err.Error(), err: err}
		}
		switch {
		case rc == 0:
			continue
		case rc == -99:
			le, err := decodeLookBackOutput(out)
			if err != nil {
				return &LookBackError{Hint: err.Error(), err: err}
			}
			return le
		}
		rerr := &ReturnCodeError{Func: "look_back", Code: rc}
		return &LookBackError{Hint: rerr.Error(), err: rerr}
	}
	return nil
}

// Process runs one batch through the chain: records is a records section
// (u32 count + records, spec §2.2) of a batch with base offset baseOffset
// and first timestamp baseTimestamp. Each module gets the previous one's
// output with the batch's base offset and timestamp re-applied (spec
// §1.6).
//
// It returns the final records section, in a buffer of the chain's (or
// records itself when nothing reached a module) that the next call
// reuses: copy what you keep. A record-level
// failure returns rtErr with the records that passed up to the failing
// module; send both (SmartModuleRuntimeError). err is any other failure
// (see ErrorCode); after a trap, timeout or memory limit the chain is
// unusable and later calls return ErrChainBroken.
func (c *Chain) Process(ctx context.Context, baseOffset, baseTimestamp int64, records []byte) (out []byte, rtErr *protocol.SmartModuleTransformRuntimeError, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return nil, nil, err
	}
	if len(records) < 4 {
		return nil, nil, fmt.Errorf("smartengine: records section of %d bytes has no count", len(records))
	}
	cur := records
	for i, in := range c.insts {
		if recordCount(cur) == 0 {
			break // nothing to transform; an aggregate keeps its accumulator
		}
		agg := in.m.kind == KindAggregate
		head := appendInputHead(in.in[:0], baseOffset, len(cur))
		tail := appendInputTail(head[len(head):], c.version, baseTimestamp, in.acc, agg)
		in.in = head[:0]
		rc, raw, err := in.call(ctx, in.transform, in.m.kind.String(), c.version, head, cur, tail)
		if err != nil {
			c.fail(err)
			return nil, nil, fmt.Errorf("chain step %d: %w", i, err)
		}
		if !in.called {
			in.called = true
			in.m.noteReserve(in.limit.size.Load())
		}
		if rc < 0 {
			return nil, nil, fmt.Errorf("chain step %d: %w", i, &ReturnCodeError{Func: in.m.kind.String(), Code: rc})
		}
		o, err := DecodeOutput(raw, c.version, agg)
		if err != nil {
			return nil, nil, fmt.Errorf("chain step %d (%s): %w", i, in.m.kind, err)
		}
		if agg {
			in.acc = append(in.acc[:0], o.Accumulator...)
		}
		if o.Err != nil {
			return o.Records, o.Err, nil
		}
		cur = o.Records
	}
	return cur, nil, nil
}

// Len is the number of modules in the chain.
func (c *Chain) Len() int { return len(c.insts) }

// MemoryBytes is the linear memory the chain's instances hold now.
func (c *Chain) MemoryBytes() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n uint64
	for _, in := range c.insts {
		if !c.closed {
			n += uint64(in.mem.Size())
		}
	}
	return n
}

// Accumulator returns a copy of the aggregate accumulator of chain step i
// (nil for other kinds).
func (c *Chain) Accumulator(i int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < 0 || i >= len(c.insts) || c.insts[i].m.kind != KindAggregate {
		return nil
	}
	return append([]byte{}, c.insts[i].acc...)
}

// Close releases the chain's instances. It is safe to call twice.
func (c *Chain) Close(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	for _, in := range c.insts {
		if err := in.close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Chain) usable() error {
	if c.closed {
		return ErrClosed
	}
	if c.broken != nil {
		return fmt.Errorf("%w: %w", ErrChainBroken, c.broken)
	}
	return nil
}

// fail marks the chain unusable after a trap, timeout or memory limit: the
// guest's state is undefined (a Go guest's runtime is dead after a trap).
func (c *Chain) fail(err error) {
	if errors.Is(err, ErrTrap) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrMemoryLimit) {
		c.broken = err
	}
}
