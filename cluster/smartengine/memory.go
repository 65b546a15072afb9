package smartengine

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/experimental"
)

// wasmPage is the size of a WebAssembly memory page.
const wasmPage = 64 << 10

// limitedAllocator backs one instance's linear memory and refuses to grow
// it beyond max bytes. A refusal makes memory.grow return -1; the guest's
// allocator then traps, and the call's error is reported as a
// MemoryLimitError carrying the size the guest asked for (spec §3.3).
//
// Why a custom allocator rather than RuntimeConfig.WithMemoryLimitPages?
// The page limit makes growth fail too, but loses the requested size that
// SmartModuleMemoryLimitExceeded reports, and it is per runtime, not per
// instance.
type limitedAllocator struct {
	pool      *memPool // where the memory comes from and returns to
	max       uint64
	reserve   uint64        // capacity to allocate at once (see Module.reserveBytes)
	requested atomic.Uint64 // last refused size; 0 = none
	size      atomic.Uint64 // current length in bytes
	moves     atomic.Int32  // growths that moved the memory to a larger array
}

// Allocate implements experimental.MemoryAllocator.
func (a *limitedAllocator) Allocate(capacity, _ uint64) experimental.LinearMemory {
	capacity = min(max(capacity, a.reserve), a.max)
	if b := a.pool.get(capacity); b != nil {
		return &limitedMemory{a: a, buf: b}
	}
	return &limitedMemory{a: a, buf: make([]byte, 0, capacity)}
}

// refused returns the size of the last refused growth, or 0.
func (a *limitedAllocator) refused() uint64 { return a.requested.Load() }

type limitedMemory struct {
	a   *limitedAllocator
	buf []byte
}

// Reallocate implements experimental.LinearMemory. The backing array may
// move; wazero re-reads it after every growth of non-shared memory.
func (m *limitedMemory) Reallocate(size uint64) []byte {
	if size > m.a.max {
		m.a.requested.Store(size)
		return nil
	}
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
	} else {
		// Double to amortise copies, but never reserve beyond the limit.
		newCap := max(size, 2*uint64(cap(m.buf)))
		newCap = min(newCap, m.a.max)
		nb := make([]byte, size, newCap)
		copy(nb, m.buf)
		m.buf = nb
		m.a.moves.Add(1)
	}
	m.a.size.Store(size)
	return m.buf
}

// Free implements experimental.LinearMemory. wazero calls it when the
// instance closes, after which nothing reads or writes the memory (the
// engine closes an instance only between calls), so the array can serve
// another instance.
func (m *limitedMemory) Free() {
	m.a.pool.put(m.buf)
	m.buf = nil
}

// memPool keeps the linear memories of closed instances, cleared, for the
// instances that follow. Why not let Go allocate each? A new instance's
// memory is new to the process: Go clears it, or when its pages come
// straight from the kernel, the guest's first call faults them in one at a
// time as it touches them. For filter-on-a.wasm that was about 800 faults
// in the first 1 MB batch, 2 to 3 ms where the calls that follow take 0.7
// ms: a sixth of a 20 MB stream. Clearing a closed instance's few MB costs
// a tenth of that and happens as its stream closes, and its pages stay
// mapped. Each instance was also several MB of garbage, so the pool saves
// garbage collections too.
//
// The pool is bounded (maxPooled bytes; arrays above maxPooledMemory are
// left to the garbage collector) and emptied after poolIdle without use,
// so an SPU idle for a minute holds no more than it did without it.
type memPool struct {
	mu     sync.Mutex
	free   [][]byte // cleared, length 0
	bytes  uint64   // their total capacity
	closed bool
	idle   *time.Timer
}

const (
	maxPooled       = 64 << 20
	maxPooledMemory = 2 * maxReserve
	poolIdle        = time.Minute
)

// get returns a cleared array of capacity at least n (the smallest such)
// and at most 2n, so that a small module's stream does not hold a large
// one's memory, or nil.
func (p *memPool) get(n uint64) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	best := -1
	for i, b := range p.free {
		if c := uint64(cap(b)); c >= n && c <= 2*n && (best < 0 || cap(b) < cap(p.free[best])) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := p.free[best]
	p.free = append(p.free[:best], p.free[best+1:]...)
	p.bytes -= uint64(cap(b))
	return b
}

// put clears b (the guest can have written only within its length: memory
// never shrinks) and keeps it if it fits in the pool.
func (p *memPool) put(b []byte) {
	if b == nil || cap(b) > maxPooledMemory {
		return
	}
	p.mu.Lock()
	full := p.closed || p.bytes+uint64(cap(b)) > maxPooled
	p.mu.Unlock()
	if full {
		return
	}
	clear(b)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.bytes+uint64(cap(b)) > maxPooled {
		return
	}
	p.free = append(p.free, b[:0])
	p.bytes += uint64(cap(b))
	if p.idle == nil {
		p.idle = time.AfterFunc(poolIdle, p.drain)
	} else {
		p.idle.Reset(poolIdle)
	}
}

// size is the total capacity of the pooled arrays.
func (p *memPool) size() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}

// drain lets the garbage collector have every pooled array.
func (p *memPool) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.free)
	p.free, p.bytes = p.free[:0], 0
}

// close drains the pool and makes it keep nothing more: the runtime's
// Close frees the memory of instances that may still be running.
func (p *memPool) close() {
	p.mu.Lock()
	p.closed = true
	if p.idle != nil {
		p.idle.Stop()
	}
	p.mu.Unlock()
	p.drain()
}
