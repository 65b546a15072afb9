//go:build wasip1

package smartmodule

// The ABI's memory exports and the host import, present only in modules.

//go:wasmexport alloc
func wasmAlloc(n int32) int32 { return allocate(n) }

//go:wasmexport dealloc
func wasmDealloc(ptr, n int32) { release(ptr) }

// copyRecords tells the host where the call's output lies.
//
//go:wasmimport env copy_records
func copyRecords(ptr, n int32)
