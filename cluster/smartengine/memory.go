package smartengine

import (
	"sync/atomic"

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
	max       uint64
	reserve   uint64        // capacity to allocate at once (see Module.reserveBytes)
	requested atomic.Uint64 // last refused size; 0 = none
	size      atomic.Uint64 // current length in bytes
	moves     atomic.Int32  // growths that moved the memory to a larger array
}

// Allocate implements experimental.MemoryAllocator.
func (a *limitedAllocator) Allocate(capacity, _ uint64) experimental.LinearMemory {
	capacity = min(max(capacity, a.reserve), a.max)
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

// Free implements experimental.LinearMemory.
func (m *limitedMemory) Free() { m.buf = nil }
