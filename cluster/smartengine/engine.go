package smartengine

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Defaults for a zero Config.
const (
	// DefaultMaxMemoryBytes is Fluvio's SPU default store limit
	// (SPU_SMARTENGINE_STORE_MAX_BYTES, 1 GiB), applied per instance.
	DefaultMaxMemoryBytes = 1 << 30
	// DefaultCallTimeout bounds one call into a module.
	DefaultCallTimeout = 10 * time.Second
	// MaxModuleVersion is the highest ABI version passed to modules (spec
	// §3.7): every SDK generation since 2022 decodes the version-22 input.
	MaxModuleVersion int16 = 22
	// MaxModuleSize bounds a gunzipped module.
	MaxModuleSize = 256 << 20
)

// Config configures an Engine. The zero value is usable.
type Config struct {
	// CacheDir holds wazero's compilation cache, so a module is compiled
	// to machine code once per machine, not once per process. Empty: the
	// cache lives in memory only.
	CacheDir string
	// MaxMemoryBytes limits each instance's linear memory (0:
	// DefaultMaxMemoryBytes). Fluvio's SPU flag
	// FLV_SMART_ENGINE_MAX_MEMORY_BYTES maps here.
	MaxMemoryBytes uint64
	// CallTimeout bounds every call into a module (instantiation, init,
	// look_back, one batch); 0: DefaultCallTimeout. A call that runs past
	// it fails with ErrTimeout and its chain becomes unusable.
	CallTimeout time.Duration
	// Stdout and Stderr receive what modules write through WASI; nil
	// discards it.
	Stdout, Stderr io.Writer
	// KeepOutputBuffers keeps the reference engine's behaviour of never
	// freeing a module's output buffer (spec §1.3). The default frees it
	// with the module's dealloc once the output is read, so memory of
	// long-lived streams stays flat.
	KeepOutputBuffers bool
	// NoAcceleration runs modules exactly as compiled: without it, the
	// byte-at-a-time copy loops and memory functions of modules built with
	// Fluvio's Rust SDK run as bulk memory operations (accelerate.go).
	NoAcceleration bool
}

// Engine compiles modules and builds chains. It is safe for concurrent
// use; the Chains it builds are not (one per stream).
type Engine struct {
	cfg   Config
	rt    wazero.Runtime
	cache wazero.CompilationCache
	wasi  map[string]api.FunctionDefinition // WASI preview1 functions we provide

	mu      sync.Mutex
	modules map[[sha256.Size]byte]*Module
	hosts   map[string]bool // import module names with copy_records defined
	closed  bool

	spares    map[*Module]*spare // see refill
	refilling map[*Module]bool
	// Spares start on goroutines of their own, under bg: Close cancels it
	// and waits for them before it closes the runtime they run in.
	bg      context.Context
	stopBg  context.CancelFunc
	refills sync.WaitGroup

	mems memPool // linear memories of closed instances
}

// New creates an engine: one wazero runtime in compiled mode with WASI
// preview1 instantiated. Calls are bounded by instrumenting modules (see
// instrument.go), not by wazero's WithCloseOnContextDone.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.MaxMemoryBytes == 0 {
		cfg.MaxMemoryBytes = DefaultMaxMemoryBytes
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("smartengine: open compilation cache %s: %w", cfg.CacheDir, err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	// DWARF off: wazero would parse a module's .debug_* sections with
	// debug/dwarf, which is not hardened against hostile input, and ad hoc
	// modules come from any client. (instrument drops those sections from
	// what runs anyway: their code offsets would be wrong.)
	rc := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).
		WithDebugInfoEnabled(false)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	wasiMod, err := wasi_snapshot_preview1.NewBuilder(rt).Compile(ctx)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("smartengine: compile WASI: %w", err)
	}
	if _, err := rt.InstantiateModule(ctx, wasiMod, wazero.NewModuleConfig()); err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("smartengine: instantiate WASI: %w", err)
	}
	bg, stopBg := context.WithCancel(context.Background())
	return &Engine{
		cfg:       cfg,
		rt:        rt,
		cache:     cache,
		wasi:      wasiMod.ExportedFunctions(),
		modules:   map[[sha256.Size]byte]*Module{},
		hosts:     map[string]bool{},
		spares:    map[*Module]*spare{},
		refilling: map[*Module]bool{},
		bg:        bg,
		stopBg:    stopBg,
	}, nil
}

// PooledMemory is the size of the linear memories of closed instances the
// engine keeps for new ones (see memPool); they are part of the process's
// heap but held by no stream.
func (e *Engine) PooledMemory() uint64 { return e.mems.size() }

// Config returns the engine's configuration with defaults applied.
func (e *Engine) Config() Config { return e.cfg }

// Close releases the runtime, every chain and compiled module.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.stopBg()
	e.refills.Wait()
	e.mems.close()
	err := e.rt.Close(ctx)
	if cerr := e.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// defineCopyRecords instantiates a host module named name that exports
// copy_records, once per name (spec §1.1: the import's module name is not
// fixed; Rust and Go modules use "env").
func (e *Engine) defineCopyRecords(ctx context.Context, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if e.hosts[name] {
		return nil
	}
	_, err := e.rt.NewHostModuleBuilder(name).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(copyRecords), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil).
		WithParameterNames("ptr", "len").
		Export("copy_records").
		Instantiate(ctx)
	if err != nil {
		return fmt.Errorf("smartengine: define %s.copy_records: %w", name, err)
	}
	e.hosts[name] = true
	return nil
}

// callKey finds the running call's state in the context of a call.
type callKey struct{}

// callState is what copy_records reports during one call.
type callState struct {
	called bool
	ptr    uint32
	len    uint32
}

// copyRecords is the host side of env.copy_records: it only records where
// the output lies; the output is read once the export returns.
func copyRecords(ctx context.Context, _ api.Module, stack []uint64) {
	if st, ok := ctx.Value(callKey{}).(*callState); ok {
		st.called = true
		st.ptr = api.DecodeU32(stack[0])
		st.len = api.DecodeU32(stack[1])
	}
}

// moduleConfig is the configuration of every instance: anonymous (many
// chains coexist), no start functions (the engine calls the former start
// section and _initialize itself, under a deadline), real clocks and
// randomness for WASI, output to the configured writers.
func (e *Engine) moduleConfig() wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithStdout(e.cfg.Stdout).
		WithStderr(e.cfg.Stderr).
		WithSysWalltime().
		WithSysNanotime().
		WithRandSource(rand.Reader)
}
