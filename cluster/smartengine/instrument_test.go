package smartengine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/gofluvio/fluvio/internal/fixtures"
)

// withSection inserts a section before the code section (the last one
// assemble writes).
func withSection(t testing.TB, wasm []byte, id byte, body []byte) []byte {
	t.Helper()
	r := &wreader{b: wasm, off: 8}
	for r.off < len(wasm) {
		start := r.off
		sid := r.byte()
		r.take(int(r.u32()))
		require.NoError(t, r.err)
		if sid == secCode {
			out := append([]byte{}, wasm[:start]...)
			out = wasmSection(out, id, body)
			return append(out, wasm[start:]...)
		}
	}
	t.Fatal("no code section")
	return nil
}

var endlessLoop = []byte{opLoop, blockTypeNil, opBr, 0, opEnd}

// TestEndlessStartHitsDeadline: a module whose start section or
// _initialize never returns fails NewChain with ErrTimeout, and the engine
// keeps working.
func TestEndlessStartHitsDeadline(t *testing.T) {
	e := newEngine(t, Config{CallTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	filter := wasmFunc{name: "filter", typ: typeABI, body: i32c(0)}
	imports := [][2]string{{"env", "copy_records"}}
	startSection := assemble(imports, 1, []wasmFunc{allocFunc, filter, {typ: typeNullary, body: endlessLoop}})
	startSection = withSection(t, startSection, secStart, uleb(nil, 3)) // import 0, alloc 1, filter 2, loop 3
	tests := []struct {
		name string
		wasm []byte
	}{
		{name: "start section", wasm: startSection},
		{name: "_initialize", wasm: assemble(imports, 1, []wasmFunc{allocFunc, filter, {name: "_initialize", typ: typeNullary, body: endlessLoop}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := e.Compile(ctx, tt.wasm)
			require.NoError(t, err)
			start := time.Now()
			_, err = e.NewChain(ctx, 25, Invocation{Module: m})
			require.ErrorIs(t, err, ErrTimeout)
			require.Less(t, time.Since(start), 5*time.Second)
		})
	}
	c := newChain(t, e, Invocation{Module: compileFixture(t, e, "filter-on-a.wasm")})
	out, _, err := c.Process(ctx, 0, 0, section("a", "b"))
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, values(t, out))
}

// TestStartAndInitializeRun: the former start section and _initialize run
// once, in that order, before the first call.
func TestStartAndInitializeRun(t *testing.T) {
	e := newEngine(t, Config{})
	ctx := context.Background()
	// memory[0] = memory[0]*2 + k: start (k=1) then _initialize (k=2) gives 4.
	step := func(k int32) []byte {
		b := i32c(0)
		b = append(b, i32c(0)...)
		b = append(b, 0x28, 2, 0) // i32.load
		b = append(b, i32c(2)...)
		b = append(b, 0x6c) // i32.mul
		b = append(b, i32c(k)...)
		b = append(b, 0x6a)          // i32.add
		return append(b, 0x36, 2, 0) // i32.store
	}
	// filter returns -memory[0], which the engine reports as a return code.
	neg := append(i32c(0), i32c(0)...)
	neg = append(neg, 0x28, 2, 0, 0x6b) // 0 - mem[0]
	wasm := assemble([][2]string{{"env", "copy_records"}}, 1, []wasmFunc{
		allocFunc,
		{name: "filter", typ: typeABI, body: neg},
		{typ: typeNullary, body: step(1)},
		{name: "_initialize", typ: typeNullary, body: step(2)},
	})
	wasm = withSection(t, wasm, secStart, uleb(nil, 3))
	m, err := e.Compile(ctx, wasm)
	require.NoError(t, err)
	c := newChain(t, e, Invocation{Module: m})
	_, _, err = c.Process(ctx, 0, 0, section("a"))
	var rc *ReturnCodeError
	require.ErrorAs(t, err, &rc)
	require.Equal(t, int32(-4), rc.Code)
}

func TestInstrumentRefusesReservedExport(t *testing.T) {
	wasm := assemble(nil, 1, []wasmFunc{{name: stopGlobalExport, typ: typeNullary}})
	_, err := instrument(wasm, true)
	require.ErrorIs(t, err, errInstrument)
	e := newEngine(t, Config{})
	_, err = e.Compile(context.Background(), wasm)
	require.ErrorIs(t, err, ErrCompile)
}

func TestInstrumentAddsOneCheckPerLoop(t *testing.T) {
	body := append(append([]byte{}, endlessLoop...), opLoop, blockTypeNil, opEnd)
	wasm := assemble(nil, 1, []wasmFunc{{name: "f", typ: typeNullary, body: body}})
	res, err := instrument(wasm, true)
	require.NoError(t, err)
	check := []byte{0x23, 0, 0x04, 0x40, 0x00, 0x0b}
	require.Equal(t, 2, bytes.Count(res.wasm, check))
	require.False(t, res.hasStart)
}

func instrumentSeeds(f *testing.F) {
	f.Add(loopingFilter())
	f.Add(outputFilter(0, 5, 0))
	f.Add(assemble(nil, 1, []wasmFunc{{typ: typeNullary, body: append(i32c(-5), 0x1a)}}))
	f.Add(goShaped(goValidUTF8Name, true, []byte{0x60, 1, valI32, 1, valI32}, []byte{opGlobalGet, 0, opLocalSet, 1, opLocalGet, 0, opEnd}))
	dir := filepath.Dir(fixtures.Path(f, "smartmodules", "filter-on-a.wasm"))
	for _, name := range []string{"filter-on-a.wasm", "map-uppercase.wasm", "aggregate-concat.wasm"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			f.Add(b)
		}
	}
}

// FuzzInstrument: instrument never panics nor writes to its input, and
// whatever wazero accepts stays acceptable once instrumented.
func FuzzInstrument(f *testing.F) {
	instrumentSeeds(f)
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	f.Cleanup(func() { _ = rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, wasm []byte) {
		input := bytes.Clone(wasm)
		res, err := instrument(wasm, true)
		require.Equal(t, input, wasm, "instrument changed its input")
		if err != nil {
			return
		}
		// linear growth, plus the fixed-size fast paths (helpers, the
		// utf8.Valid prologue)
		require.LessOrEqual(t, len(res.wasm), 2*len(wasm)+512)
		if checkBounds(wasm) != nil {
			return // the engine gives it to wazero only if it passes
		}
		require.NoError(t, checkInstrumented(res.wasm), "instrumenting broke the bounds")
		orig, err := rt.CompileModule(ctx, wasm)
		if err != nil {
			return
		}
		_ = orig.Close(ctx)
		inst, err := rt.CompileModule(ctx, res.wasm)
		require.NoError(t, err, "instrumented module no longer compiles")
		_ = inst.Close(ctx)
	})
}

// An instance of an instrumented module whose data section became an
// image (instrumented.data) starts with the same memory as an instance of
// the module as built: Rust and Go SmartModules (a Go module has tens of
// thousands of segments).
func TestDataImageMatchesInstantiation(t *testing.T) {
	ctx := context.Background()
	for name, wasm := range map[string][]byte{
		"filter-on-a.wasm": fixtureWasm(t, "filter-on-a.wasm"),
		"go filter":        goExampleWasm(t, "filter"),
	} {
		res, err := instrument(wasm, true)
		require.NoError(t, err)
		require.NotNil(t, res.data, name)
		r := &wreader{b: res.wasm, off: 8}
		for r.off < len(r.b) && r.err == nil {
			require.NotEqual(t, byte(secData), r.byte(), "%s: the data section is gone", name)
			r.take(int(r.u32()))
		}
		require.NoError(t, r.err)

		memoryOf := func(wasm []byte, image []byte, at uint32) []byte {
			rt := wazero.NewRuntime(ctx)
			defer rt.Close(ctx)
			wasi_snapshot_preview1.MustInstantiate(ctx, rt)
			_, err := rt.NewHostModuleBuilder("env").NewFunctionBuilder().
				WithFunc(func(int32, int32) {}).Export("copy_records").Instantiate(ctx)
			require.NoError(t, err)
			m, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions())
			require.NoError(t, err, name)
			if image != nil {
				require.True(t, m.Memory().Write(at, image))
			}
			b, ok := m.Memory().Read(0, m.Memory().Size())
			require.True(t, ok)
			return bytes.Clone(b)
		}
		want := memoryOf(wasm, nil, 0)
		got := memoryOf(res.wasm, res.data, res.dataAt)
		require.True(t, bytes.Equal(want, got), "%s: memories differ", name)
	}
}

// dataImage applies segments in order (a later one overwrites an earlier
// one), leaves gaps zero, and declines what it cannot apply as one copy.
func TestDataImage(t *testing.T) {
	seg := func(flag byte, expr []byte, data string) []byte {
		b := append([]byte{flag}, expr...)
		return append(uleb(b, uint32(len(data))), data...)
	}
	at := func(v int32) []byte { return append(appendSleb([]byte{opI32Const}, int64(v)), opEnd) }
	sec := func(segs ...[]byte) []byte {
		b := uleb(nil, uint32(len(segs)))
		for _, s := range segs {
			b = append(b, s...)
		}
		return b
	}
	img, off := dataImage(sec(seg(0, at(100), "hello"), seg(0, at(103), "LO!"), seg(0, at(110), "x")))
	require.Equal(t, uint32(100), off)
	require.Equal(t, "helLO!\x00\x00\x00\x00x", string(img))

	img, off = dataImage(sec(seg(0, at(-1), "z")))
	require.Equal(t, uint32(0xffffffff), off, "i32.const -1 is the last address")
	require.Equal(t, "z", string(img))

	for name, s := range map[string][]byte{
		"passive":         sec(seg(0, at(0), "a"), append([]byte{1}, uleb(nil, 1)...)),
		"global offset":   sec(seg(0, []byte{0x23, 0, opEnd}, "a")),
		"explicit memory": sec(append([]byte{2, 0}, append(at(0), 1, 'a')...)),
		"too large":       sec(seg(0, at(0), "a"), seg(0, at(maxDataImage), "b")),
		"truncated":       sec(seg(0, at(0), "abc"))[:5],
		"trailing bytes":  append(sec(seg(0, at(0), "a")), 0),
		"long offset":     sec(seg(0, []byte{opI32Const, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, opEnd}, "a")),
		"empty":           sec(),
	} {
		img, _ := dataImage(s)
		require.Nil(t, img, name)
	}
}

// The helpers acceleration appends get type indices after every type of
// the module, a rec group's counted one by one: filter-on-a.wasm with its
// first two types in a rec group compiles accelerated and filters.
func TestAccelerationAfterARecGroup(t *testing.T) {
	wasm := fixtureWasm(t, "filter-on-a.wasm")
	out := append([]byte{}, wasm[:8]...)
	r := &wreader{b: wasm, off: 8}
	for r.off < len(r.b) {
		at := r.off
		id := r.byte()
		body := r.take(int(r.u32()))
		if id != secType {
			out = append(out, wasm[at:r.off]...)
			continue
		}
		br := &wreader{b: body}
		n := br.u32()
		first := br.off
		br.funcType()
		br.funcType()
		sec := append(uleb(nil, n-1), 0x4e, 2)
		sec = append(sec, body[first:]...)
		out = wasmSection(out, secType, sec)
	}
	require.NoError(t, checkBounds(out))
	res, err := instrument(out, true)
	require.NoError(t, err)
	require.True(t, res.accel.any())
	e := newEngine(t, Config{})
	c, err := e.rt.CompileModule(context.Background(), res.wasm)
	require.NoError(t, err, "accelerated, it compiles as it is")
	_ = c.Close(context.Background())

	m, err := e.Compile(context.Background(), out)
	require.NoError(t, err)
	got, _, err := newChain(t, e, Invocation{Module: m}).Process(context.Background(), 0, 0, section("a", "b"))
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, values(t, got))
}
