package smartmodule

import "unsafe"

// Guest memory protocol (spec §5.1): Go's garbage collector does not move
// objects, so a slice stays at its address while it is reachable. alloc
// pins a fresh slice in pinned; the transform takes it out (the input then
// belongs to the call); the last output stays pinned in lastOutput until
// the next output replaces it or the host frees it with dealloc.
//
// Why reuse buffers? The host sends a batch (tens of KiB) per call; a
// fresh input and output buffer per call made the guest's allocator and
// garbage collector a large share of a filter's time. The input of a call
// is recycled for the next alloc once the call returns (Record's Key and
// Value are documented to alias it only during the call), and an output
// buffer is recycled once the host has read it: when the host frees it, or
// when the next call starts (the host reads the output before it calls
// again).
var (
	pinned = map[int32][]byte{}
	//lint:ignore U1000 read by release, which only the wasip1 exports call
	lastOutput []byte
	spareIn    []byte // input of the last call, for the next alloc
	spareOut   []byte // an output the host has read, for the next output
)

// addr is the linear-memory address of b's first byte (wasm32 pointers
// are 32 bits).
func addr(b []byte) int32 { return int32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// allocate pins a new buffer of n bytes and returns its address.
//
//lint:ignore U1000 called by the wasip1 export alloc
func allocate(n int32) int32 {
	size := int(max(n, 1))
	var b []byte
	if cap(spareIn) >= size {
		b, spareIn = spareIn[:size], nil
	} else {
		b = make([]byte, size)
	}
	p := addr(b)
	pinned[p] = b
	return p
}

// release unpins the buffer at ptr (an unused input or the last output).
//
//lint:ignore U1000 called by the wasip1 export dealloc
func release(ptr int32) {
	delete(pinned, ptr)
	if lastOutput != nil && addr(lastOutput) == ptr {
		spareOut, lastOutput = lastOutput[:0], nil
	}
}

// outputBuffer returns an empty buffer of capacity at least n for the
// call's output, reusing one the host has read.
func outputBuffer(n int) []byte {
	if lastOutput != nil { // the host read it before making this call
		spareOut, lastOutput = lastOutput[:0], nil
	}
	if cap(spareOut) >= n {
		b := spareOut[:0]
		spareOut = nil
		return b
	}
	return make([]byte, 0, n)
}

// recycleInput keeps a finished call's input for the next alloc.
func recycleInput(in []byte) {
	if cap(in) > cap(spareIn) {
		spareIn = in[:0]
	}
}

// takeInput returns the size bytes the host wrote at ptr, unpinning them.
func takeInput(ptr, size int32) ([]byte, bool) {
	b, ok := pinned[ptr]
	if !ok || size < 0 || int(size) > len(b) {
		return nil, false
	}
	delete(pinned, ptr)
	return b[:size], true
}

// emit pins out and tells the host where it is.
func emit(out []byte) {
	if len(out) == 0 {
		out = make([]byte, 0, 1)
	}
	lastOutput = out
	copyRecords(addr(out), int32(len(out)))
}
