// Package smartengine runs Fluvio SmartModules (WebAssembly) on wazero: it
// compiles modules, builds chains of module instances for one stream, and
// feeds them record batches through the Fluvio SmartModule ABI
// (spec/smartmodule.md §1–§3; Fluvio crate fluvio-smartengine).
//
// # Using it from the SPU
//
//	eng, err := smartengine.New(ctx, smartengine.Config{CacheDir: dir})
//	wasm, err := smartengine.Payload(gzippedOrRaw)       // gunzip AdHoc / predefined payloads
//	mod, err := eng.Compile(ctx, wasm)                    // checks imports and exports, caches
//	chain, err := eng.NewChain(ctx, requestVersion, smartengine.Invocation{Module: mod, Params: p})
//	defer chain.Close(ctx)
//	err = chain.LookBack(ctx, readHistory)                // once, before the first batch
//	out, rtErr, err := chain.Process(ctx, baseOffset, firstTimestamp, records)
//
// records and out are the records section of a Fluvio batch: a u32 count
// followed by the records (spec §2.2), so a stored batch's decompressed
// records pass through unchanged. A record-level failure comes back as
// rtErr together with the records that passed before it (send both, code
// SmartModuleRuntimeError); any other failure is err, and ErrorCode(err)
// gives the protocol error code to send to the client.
//
// # Deviations from upstream Fluvio (deliberate)
//
//   - Version: modules are called with min(requestVersion, 22) (spec §3.7),
//     the one input layout every SDK generation since 2022 decodes.
//   - Output buffers are freed with the guest's dealloc after they are read
//     (spec §1.3 measured the upstream leak); Config.KeepOutputBuffers
//     restores the reference behaviour.
//   - Every call runs under a deadline (Config.CallTimeout); upstream has
//     none, so a looping module blocks its stream forever there. Modules
//     are instrumented with a stop check at every loop header to enforce it
//     (instrument.go says why not wazero's WithCloseOnContextDone); a start
//     section runs after instantiation, under the deadline.
//   - _initialize is called when a module exports it (Go c-shared guests,
//     spec §5.1).
//   - A memory limit hit while processing is reported as
//     SmartModuleMemoryLimitExceeded, not Other.
//   - Modules built with Fluvio's Rust SDK copy record bytes one at a time
//     (a call per byte), grow their output a byte at a time, copy memory
//     with a word loop and search and validate text 4 bytes at a time.
//     Those idioms are recognised when a module is compiled and run as
//     bulk memory and SIMD operations with the same results
//     (accelerate.go), as are Go's memchr and utf8.Valid in Go modules:
//     filter-on-a.wasm runs about 30× faster. Config.NoAcceleration runs
//     modules as they are.
//   - A module's data segments are applied as one memory image when it
//     is instantiated (instrument.go, dataImage), not one by one: same
//     memory, and a Go module (tens of thousands of segments) starts in
//     under 1 ms instead of 2.4 ms.
//
// # Hostile modules
//
// Ad hoc modules come from any client, so a module must not be able to
// take the SPU down (bounds.go says how each guard came about):
//
//   - Before wazero sees a module, its structure is walked as wazero's
//     decoder reads it, and a count or length claiming more than its
//     section holds, sections out of order, more than 50000 locals in a
//     function (or in all, beyond one per byte of code), or a type index
//     past the declared types is refused: wazero allocates what a count
//     says before reading the entries, and a 28-byte module could make it
//     ask for 128 GB.
//   - Tables hold at most 2^20 elements in all, growth included (the
//     maxima are rewritten; table.grow past them returns -1).
//   - A panic inside wazero while compiling is an ErrCompile.
//   - DWARF is off: debug/dwarf is not hardened against hostile input.
//   - Linear memory is limited per instance (Config.MaxMemoryBytes), calls
//     by Config.CallTimeout. Not limited: wazero's call stack, which a
//     deeply recursing module can grow to 400 MB before it traps.
package smartengine
