package smartengine

import (
	"context"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// A closed instance's memory serves the next instance of any module, and
// that instance must find it as a new one would: all zero, whatever the
// previous one left in it.
func TestPooledMemoryIsClearedForTheNextInstance(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, Config{})
	m, err := e.Compile(ctx, countingFilter(0))
	require.NoError(t, err)

	first, err := e.start(ctx, m)
	require.NoError(t, err)
	c := &Chain{eng: e, insts: []*instance{first}, version: 23}
	require.Equal(t, int32(1), callCount(t, c))
	require.Equal(t, int32(2), callCount(t, c))
	// Leave something everywhere, up to the last byte of the memory.
	size := first.mem.Size()
	junk := make([]byte, size)
	for i := range junk {
		junk[i] = byte(i%251) + 1
	}
	require.True(t, first.mem.Write(0, junk))
	used, _ := first.mem.Read(0, size)
	array := unsafe.SliceData(used)
	require.NoError(t, first.close(ctx))

	second, err := e.start(ctx, m)
	require.NoError(t, err)
	t.Cleanup(func() { _ = second.close(ctx) })
	mem, ok := second.mem.Read(0, second.mem.Size())
	require.True(t, ok)
	require.Equal(t, array, unsafe.SliceData(mem), "the closed instance's memory is reused")
	for i, b := range mem {
		if b != 0 {
			t.Fatalf("byte %d of the reused memory is %d, want 0", i, b)
		}
	}
	c = &Chain{eng: e, insts: []*instance{second}, version: 23}
	require.Equal(t, int32(1), callCount(t, c), "the new instance counts from its first call")
}

// Growth within a pooled array's capacity exposes bytes no guest wrote
// since the array was cleared: they are zero as well.
func TestPooledMemoryGrowsIntoZeros(t *testing.T) {
	var p memPool
	a := &limitedAllocator{pool: &p, max: 1 << 20}
	mem := a.Allocate(4*wasmPage, 0)
	buf := mem.Reallocate(2 * wasmPage)
	for i := range buf {
		buf[i] = 0xff
	}
	mem.Free()
	mem = a.Allocate(2*wasmPage, 0)
	buf = mem.Reallocate(wasmPage)
	require.Equal(t, 4*wasmPage, cap(buf), "the pooled array is reused")
	buf = mem.Reallocate(4 * wasmPage)
	for i, b := range buf {
		if b != 0 {
			t.Fatalf("byte %d is %#x after growth, want 0", i, b)
		}
	}
	// The limit holds whatever the array's capacity.
	require.Nil(t, (&limitedAllocator{pool: &p, max: wasmPage}).Allocate(0, 0).Reallocate(2*wasmPage))
}

// The pool holds at most maxPooled bytes, no array above maxPooledMemory,
// the smallest array that fits (and is at most twice the size asked) is
// taken, and nothing is kept once closed or after draining.
func TestMemoryPoolBounds(t *testing.T) {
	var p memPool
	p.put(make([]byte, 10, maxPooledMemory+1))
	require.Zero(t, p.bytes, "an array above maxPooledMemory is left to the GC")

	for range maxPooled/maxPooledMemory + 2 {
		p.put(make([]byte, 1, maxPooledMemory))
	}
	require.LessOrEqual(t, p.bytes, uint64(maxPooled))
	require.Len(t, p.free, maxPooled/maxPooledMemory)

	p.drain()
	require.Zero(t, p.bytes)
	require.Nil(t, p.get(1))

	p.put(make([]byte, 1, 3*wasmPage))
	p.put(make([]byte, 1, 2*wasmPage))
	p.put(make([]byte, 1, 8*wasmPage))
	require.Nil(t, p.get(9*wasmPage), "no array is large enough")
	require.Nil(t, p.get(wasmPage/2), "none is at most twice as large as asked")
	got := p.get(2*wasmPage + 1)
	require.Equal(t, 3*wasmPage, cap(got), "the smallest that fits")
	require.Empty(t, got, "pooled arrays have length 0")
	require.Equal(t, uint64(10*wasmPage), p.bytes)

	p.close()
	require.Zero(t, p.bytes)
	p.put(make([]byte, 1, wasmPage))
	require.Zero(t, p.bytes, "a closed pool keeps nothing")
	require.Nil(t, p.get(1))
}
