package smartmodule

import "unsafe"

// Guest memory protocol (spec §5.1): Go's garbage collector does not move
// objects, so a slice stays at its address while it is reachable. alloc
// pins a fresh slice in pinned; the transform takes it out (the input then
// belongs to the call); the last output stays pinned in lastOutput until
// the next output replaces it or the host frees it with dealloc.
var (
	pinned = map[int32][]byte{}
	//lint:ignore U1000 read by release, which only the wasip1 exports call
	lastOutput []byte
)

// addr is the linear-memory address of b's first byte (wasm32 pointers
// are 32 bits).
func addr(b []byte) int32 { return int32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// allocate pins a new buffer of n bytes and returns its address.
//
//lint:ignore U1000 called by the wasip1 export alloc
func allocate(n int32) int32 {
	b := make([]byte, max(n, 1))
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
		lastOutput = nil
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
