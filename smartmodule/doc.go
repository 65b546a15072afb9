// Package smartmodule is the Go SDK for writing Fluvio SmartModules: Go
// programs built for GOOS=wasip1 GOARCH=wasm with -buildmode=c-shared that
// run in Fluvio's engines (ours and upstream's) through the SmartModule ABI
// (spec/smartmodule.md §1, §2 and §5).
//
// A module is a main package that exports one transform with
// //go:wasmexport and hands the call to this package:
//
//	package main
//
//	import "github.com/gofluvio/fluvio/smartmodule"
//
//	//go:wasmexport filter
//	func filter(ptr, size, version int32) int32 {
//		return smartmodule.Filter(ptr, size, version, func(r *smartmodule.Record) (bool, error) {
//			return bytes.Contains(r.Value, []byte("a")), nil
//		})
//	}
//
//	func main() {}
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o filter.wasm .
//
// The transform's export name is its kind: filter, map, filter_map,
// array_map or aggregate (export exactly one). Optional exports: init
// (params, see Init) and look_back (history, see LookBack). This package
// exports alloc and dealloc and imports env.copy_records.
//
// Errors are values: a transform function returning an error stops the
// batch there, and the consumer receives the records that passed before it
// followed by an error naming the record's offset, the kind and the error
// text as hint.
//
// Memory: inputs handed over by alloc are pinned until the transform takes
// them; each output stays pinned until the next call or until the host
// frees it with dealloc, so the module does not leak under hosts that never
// free outputs (upstream Fluvio).
//
// _initialize: a c-shared Go module must run its runtime initialiser
// (_initialize) before any other export. Our engine calls it; upstream
// Fluvio does not, so modules meant for it are post-processed by
// smartmodule/wasmstart (AddStartSection), which makes the module
// initialise itself at instantiation.
package smartmodule
