package smartengine

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Kind is the transform a module exports, discovered from its exports in
// Fluvio's order: filter, map, filter_map, array_map, aggregate (spec §1.2).
type Kind uint8

// Transform kinds.
const (
	KindFilter Kind = iota
	KindMap
	KindFilterMap
	KindArrayMap
	KindAggregate
)

// kindExports lists the export names in discovery order, indexed by Kind.
var kindExports = [...]string{"filter", "map", "filter_map", "array_map", "aggregate"}

// String is the export name of the kind ("filter", "filter_map", ...).
func (k Kind) String() string {
	if int(k) < len(kindExports) {
		return kindExports[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ErrorKind is the kind as SmartModuleTransformRuntimeError numbers it.
func (k Kind) ErrorKind() protocol.SmartModuleKindError {
	switch k {
	case KindMap:
		return protocol.ErrKindMap
	case KindFilterMap:
		return protocol.ErrKindFilterMap
	case KindArrayMap:
		return protocol.ErrKindArrayMap
	case KindAggregate:
		return protocol.ErrKindAggregate
	}
	return protocol.ErrKindFilter
}

// Module is a compiled, validated SmartModule. It is immutable and shared
// by every chain that uses it; the engine keeps one per distinct wasm.
type Module struct {
	compiled    wazero.CompiledModule
	digest      [sha256.Size]byte
	kind        Kind
	hasInit     bool
	hasLookBack bool
	hasDealloc  bool
	hasStart    bool   // start section, exported as startFuncExport
	data        []byte // the data segments, applied (instrumented.data)
	dataAt      uint32
	minMemory   uint64 // initial memory in bytes
	// reserveBytes is the largest memory an instance had once started (Go
	// guests grow theirs while _initialize runs) or after its first
	// transform call, up to maxReserve: new instances reserve it at once
	// rather than reallocating and copying as they grow, which a stream's
	// first batch paid for (0.4 ms for filter-on-a.wasm), and spares are
	// started off the stream's path.
	reserveBytes atomic.Uint64
}

// maxReserve bounds what an instance teaches the ones that follow to
// reserve.
const maxReserve = 16 << 20

// noteReserve records the memory an instance has once started or after
// its first call.
func (m *Module) noteReserve(size uint64) {
	size = min(size, maxReserve)
	for {
		cur := m.reserveBytes.Load()
		if size <= cur || m.reserveBytes.CompareAndSwap(cur, size) {
			return
		}
	}
}

// Kind is the transform the module exports.
func (m *Module) Kind() Kind { return m.kind }

// Digest is the hex SHA-256 of the wasm bytes.
func (m *Module) Digest() string { return hex.EncodeToString(m.digest[:]) }

// HasInit reports whether the module exports init (takes params).
func (m *Module) HasInit() bool { return m.hasInit }

// HasLookBack reports whether the module exports look_back.
func (m *Module) HasLookBack() bool { return m.hasLookBack }

var (
	gzipMagic = []byte{0x1f, 0x8b}
	wasmMagic = []byte{0x00, 0x61, 0x73, 0x6d}
)

// Payload returns the wasm bytes of a SmartModule payload that is either
// gzip-compressed (AdHoc invocations from clients at version >= 14 and
// modules stored in the SC) or raw wasm. Anything else is
// ErrInvalidPayload, which ErrorCode maps to SmartModuleInvalid.
func Payload(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, wasmMagic):
		return b, nil
	case bytes.HasPrefix(b, gzipMagic):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: gunzip: %w", ErrInvalidPayload, err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, MaxModuleSize+1))
		if err != nil {
			return nil, fmt.Errorf("%w: gunzip: %w", ErrInvalidPayload, err)
		}
		if len(out) > MaxModuleSize {
			return nil, fmt.Errorf("%w: gunzipped module exceeds %d bytes", ErrInvalidPayload, MaxModuleSize)
		}
		if !bytes.HasPrefix(out, wasmMagic) {
			return nil, fmt.Errorf("%w: gunzipped payload is not WebAssembly (no \\0asm magic)", ErrInvalidPayload)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: neither gzip nor WebAssembly (first bytes % x)", ErrInvalidPayload, b[:min(len(b), 4)])
}

// abiSig is the signature of transforms, init and look_back.
var abiSig = []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}

func hasSig(d api.FunctionDefinition, params, results []api.ValueType) bool {
	return slices.Equal(d.ParamTypes(), params) && slices.Equal(d.ResultTypes(), results)
}

var i32 = []api.ValueType{api.ValueTypeI32}

// Compile compiles wasm (raw bytes; see Payload) and checks it the way
// Fluvio's engine does, in its order (spec §4.7): it must import
// copy_records (from any module, as (i32, i32) -> ()), import nothing but
// that and WASI preview1 functions, export memory, alloc and one transform
// with the ABI signature. Identical bytes return the same *Module.
func (e *Engine) Compile(ctx context.Context, wasm []byte) (*Module, error) {
	digest := sha256.Sum256(wasm)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if m, ok := e.modules[digest]; ok {
		e.mu.Unlock()
		return m, nil
	}
	e.mu.Unlock()

	if err := checkBounds(wasm); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	inst, err := instrument(wasm, !e.cfg.NoAcceleration)
	if err != nil {
		// Not well-formed wasm: let wazero say what is wrong with it.
		c, cerr := e.compileModule(ctx, wasm)
		if cerr != nil {
			return nil, fmt.Errorf("%w: %w", ErrCompile, cerr)
		}
		_ = c.Close(ctx)
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	if err := checkInstrumented(inst.wasm); err != nil { // what wazero gets is checked too
		return nil, fmt.Errorf("%w: instrumented: %w", ErrCompile, err)
	}
	compiled, err := e.compileModule(ctx, inst.wasm)
	if err != nil && inst.accel.any() {
		// Should acceleration ever make a valid module invalid (a feature
		// the helpers do not expect), run the module as built instead.
		if plain, perr := instrument(wasm, false); perr == nil && checkInstrumented(plain.wasm) == nil {
			if c, cerr := e.compileModule(ctx, plain.wasm); cerr == nil {
				inst, compiled, err = plain, c, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	m, copyModule, err := e.validate(compiled)
	if err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	m.digest = digest
	m.hasStart = inst.hasStart
	m.data, m.dataAt = inst.data, inst.dataAt
	if err := e.defineCopyRecords(ctx, copyModule); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if prev, ok := e.modules[digest]; ok { // lost a race: keep the first
		_ = compiled.Close(ctx)
		return prev, nil
	}
	e.modules[digest] = m
	return m, nil
}

// validate checks imports and exports and discovers the kind; it returns
// the module name the copy_records import comes from.
func (e *Engine) validate(c wazero.CompiledModule) (*Module, string, error) {
	copyModule := ""
	var unsupported []string
	for _, d := range c.ImportedFunctions() {
		modName, name, _ := d.Import()
		switch {
		case name == "copy_records" && modName != "wasi_snapshot_preview1":
			if !hasSig(d, []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil) {
				return nil, "", fmt.Errorf("%w: import %s.copy_records must be (i32, i32) -> ()", ErrBadSignature, modName)
			}
			if copyModule != "" && copyModule != modName {
				unsupported = append(unsupported, modName+".copy_records")
				continue
			}
			copyModule = modName
		case modName == "wasi_snapshot_preview1":
			w, ok := e.wasi[name]
			if !ok || !hasSig(d, w.ParamTypes(), w.ResultTypes()) {
				unsupported = append(unsupported, modName+"."+name)
			}
		default:
			unsupported = append(unsupported, modName+"."+name)
		}
	}
	for _, d := range c.ImportedMemories() {
		modName, name, _ := d.Import()
		unsupported = append(unsupported, modName+"."+name+" (memory)")
	}
	if copyModule == "" {
		return nil, "", fmt.Errorf("%w: at least one import is required", ErrMissingCopyRecords)
	}
	if len(unsupported) > 0 {
		return nil, "", fmt.Errorf("%w: %v (only copy_records and wasi_snapshot_preview1 functions are provided)", ErrUnsupportedImport, unsupported)
	}

	exports := c.ExportedFunctions()
	mem, ok := c.ExportedMemories()["memory"]
	if !ok {
		return nil, "", fmt.Errorf("%w: no memory export named \"memory\"", ErrBadSignature)
	}
	if d, ok := exports["alloc"]; !ok || !hasSig(d, i32, i32) {
		return nil, "", fmt.Errorf("%w: alloc must be exported as (i32) -> i32", ErrBadSignature)
	}
	m := &Module{compiled: c, minMemory: uint64(mem.Min()) * wasmPage}
	if d, ok := exports["dealloc"]; ok && hasSig(d, []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil) {
		m.hasDealloc = true
	}
	for _, name := range []string{"init", "look_back"} {
		d, ok := exports[name]
		if !ok {
			continue
		}
		if !hasSig(d, abiSig, i32) {
			return nil, "", fmt.Errorf("%w: %s must be (i32, i32, i32) -> i32", ErrBadSignature, name)
		}
		if name == "init" {
			m.hasInit = true
		} else {
			m.hasLookBack = true
		}
	}
	for k, name := range kindExports {
		d, ok := exports[name]
		if !ok {
			continue
		}
		if !hasSig(d, abiSig, i32) {
			return nil, "", fmt.Errorf("%w: %s must be (i32, i32, i32) -> i32", ErrBadSignature, name)
		}
		m.kind = Kind(k)
		return m, copyModule, nil
	}
	return nil, "", fmt.Errorf("%w: the module exports none of filter, map, filter_map, array_map, aggregate", ErrNoTransform)
}

// compileModule is the runtime's CompileModule with a panic in wazero
// turned into an error. wazero v1.12's validator indexed past a module's
// types on one FuzzInstrument made (checkBounds now refuses it); this
// keeps the next such bug from taking the SPU and every stream on it down.
// Decoding and validation touch only the module being compiled, so a
// panic there leaves nothing shared half done.
func (e *Engine) compileModule(ctx context.Context, wasm []byte) (c wazero.CompiledModule, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("wazero failed on the module: %v", p)
		}
	}()
	return e.rt.CompileModule(ctx, wasm)
}
