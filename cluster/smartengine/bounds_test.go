package smartengine

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
)

// Modules whose counts claim far more than they hold are refused before
// wazero decodes them: wazero allocates what a count says first, and the
// first of these (found by FuzzInstrument) made it allocate 33 GB and
// killed the process.
func TestCompileRefusesCountsBeyondTheModule(t *testing.T) {
	head := "\x00asm\x01\x00\x00\x00"
	for name, tc := range map[string]struct{ wasm, want string }{
		"2^31 tables":         {head + "\x04\x1b\xf4\xf4\xf4\xf4\x03\xf4\xf4\xf4\x020\x05S0eee00\x0000\x15\x00D000", "exceeds the bytes"},
		"2^32-1 imports":      {head + "\x02\x05\xff\xff\xff\xff\x0f", "exceeds the bytes"},
		"a 4 GB data segment": {head + "\x05\x03\x01\x00\x01" + "\x0b\x0a\x01\x01\xff\xff\xff\xff\x0f\x41\x00\x0b", "section 11: truncated"},
		"2^32-1 locals in 7 bytes": {head + "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00" +
			"\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b", "more than 50000"},
		"an element segment of 2^28 functions": {head + "\x09\x09\x01\x00\x41\x00\x0b\x80\x80\x80\x01", "exceeds the bytes"},
		"a function name 4 GB long":            {head + "\x00\x0c\x04name\x01\x06\x01\x00\xff\xff\xff\x0f", "section 0: truncated"},
		// wazero reads a rec group (0x4e) of function types; read as one
		// type, the group hid a parameter count of 2^32-1 (32 GB).
		"a rec group hiding 2^32-1 parameters": {head + "\x01\x0a\x01\x4e\x06\x60\xff\xff\xff\xff\x0f\x00", "exceeds the bytes"},
		// wazero reads a name subsection's contents from the section, not
		// from its size: one 8 bytes long holding 1 hid local names for
		// 2^32-1 functions (128 GB).
		"a name subsection longer than its contents": {head + "\x00\x12\x04name\x01\x08\x00\x02\x05\xff\xff\xff\xff\x0f\x00\x01\x00", "7 bytes after its contents"},
		// two tables of 2^27 elements: 2 GB at instantiation
		"tables of 2^28 elements": {head + "\x04\x0d\x02\x70\x00\x80\x80\x80\x40\x70\x00\x80\x80\x80\x40", "tables of 268435456 elements"},
		// wazero v1.12 validates the call before function 1's type index,
		// and indexed past the types (a panic)
		"a call to a function of an undeclared type": {head + undeclaredTypeCall, "type index 34, but 1 types"},
		// three functions of 50000 locals each in 35 bytes: compiling them
		// costs as much as megabytes of real code
		"150000 locals in 35 bytes": {head + "\x01\x04\x01\x60\x00\x00\x03\x04\x03\x00\x00\x00" +
			"\x0a\x16\x03" + strings.Repeat("\x06\x01\xd0\x86\x03\x7f\x0b", 3), "locals in all"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, Config{})
			_, err := e.Compile(context.Background(), []byte(tc.wasm))
			require.ErrorIs(t, err, ErrCompile)
			require.ErrorContains(t, err, "instrument module: ", "refused before wazero decodes it")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Real modules pass the check untouched.
func TestBoundsAcceptRealModules(t *testing.T) {
	for _, name := range []string{"filter-on-a.wasm", "map-uppercase.wasm", "filter-map-even-half.wasm", "aggregate-concat.wasm", "filter-contains-a.wasm", "no-transform-export.wasm"} {
		require.NoError(t, checkBounds(fixtureWasm(t, name)), name)
	}
}

// Function 0 calls function 1, whose type index (34) names no type.
const undeclaredTypeCall = "\x01\x04\x01\x60\x00\x00" + "\x03\x03\x02\x00\x22" +
	"\x0a\x09\x02\x04\x00\x10\x01\x0b\x02\x00\x0b"

// A panic in wazero while compiling is an error, not the end of the SPU:
// this module (refused by checkBounds before wazero sees it) made wazero
// v1.12's validator index out of range.
func TestCompilePanicInWazeroIsAnError(t *testing.T) {
	e := newEngine(t, Config{})
	_, err := e.compileModule(context.Background(), []byte("\x00asm\x01\x00\x00\x00"+undeclaredTypeCall))
	require.Error(t, err)
	t.Log(err)

	m, err := e.Compile(context.Background(), fixtureWasm(t, "filter-on-a.wasm"))
	require.NoError(t, err, "the engine still compiles")
	out, _, err := newChain(t, e, Invocation{Module: m}).Process(context.Background(), 0, 0, section("a", "b"))
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, values(t, out))
}

// withTable returns a module with a table section (before its memory
// section) holding one funcref table of min elements and no maximum, as
// Go modules declare theirs.
func withTable(wasm []byte, min uint32) []byte {
	sec := wasmSection(nil, secTable, uleb([]byte{1, 0x70, 0x00}, min))
	r := &wreader{b: wasm, off: 8}
	for r.off < len(r.b) {
		at := r.off
		if r.byte() == secMemory {
			return append(append(append([]byte{}, wasm[:at]...), sec...), wasm[at:]...)
		}
		r.take(int(r.u32()))
	}
	panic("no memory section")
}

// table.grow past the tables' budget fails as growth past a declared
// maximum does (-1), instead of allocating: a table without a maximum
// could otherwise grow to 2^32 elements, 32 GB. Growth within it works.
func TestTableGrowthIsBounded(t *testing.T) {
	grow := func(delta, want int32) []byte {
		b := []byte{0xd0, 0x70} // ref.null func
		b = append(b, i32c(delta)...)
		b = append(b, 0xfc, 15, 0) // table.grow 0
		b = append(b, i32c(want)...)
		return append(b, opI32Ne, opIf, blockTypeNil, opUnreachable, opEnd)
	}
	body := append(grow(1<<22, -1), grow(1000, 10)...)
	body = append(body, i32c(0)...) // copy_records(0, 5): zeroed memory, no records
	body = append(body, i32c(5)...)
	body = append(body, opCall, 0)
	body = append(body, i32c(0)...)
	wasm := withTable(assemble([][2]string{{"env", "copy_records"}}, 1,
		[]wasmFunc{allocFunc, {name: "filter", typ: typeABI, body: body}}), 10)
	require.NoError(t, checkBounds(wasm))

	e := newEngine(t, Config{})
	m, err := e.Compile(context.Background(), wasm)
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, _, err := newChain(t, e, Invocation{Module: m}).Process(context.Background(), 0, 0, section("a"))
	runtime.ReadMemStats(&after)
	require.NoError(t, err, "growing by 2^22 failed and by 1000 worked")
	require.Empty(t, values(t, out))
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "nothing near 32 MB was allocated")
}

// Tables are parsed as wazero parses them, an initializer included: a
// module with one passes the check and reaches wazero.
func TestTableWithInitializer(t *testing.T) {
	// (table 1 funcref (ref.null func)) in the binary form 0x40 0x00 ...
	sec := wasmSection(nil, secTable, []byte{1, 0x40, 0x00, 0x70, 0x00, 0x01, 0xd0, 0x70, opEnd})
	wasm := withTable(loopingFilter(), 0)
	r := &wreader{b: wasm, off: 8}
	for r.off < len(r.b) { // swap in the table with an initializer
		at := r.off
		id := r.byte()
		r.take(int(r.u32()))
		if id == secTable {
			wasm = append(append(append([]byte{}, wasm[:at]...), sec...), wasm[r.off:]...)
			break
		}
	}
	require.NoError(t, checkBounds(wasm))
	res, err := instrument(wasm, true)
	require.NoError(t, err)
	require.NoError(t, checkInstrumented(res.wasm))
	_, err = newEngine(t, Config{}).Compile(context.Background(), wasm)
	if err != nil {
		require.NotContains(t, err.Error(), "instrument module", "refused by wazero, if at all")
	}
}

// FuzzBoundsAgreeWithWazero: a module that passes checkBounds never makes
// wazero allocate out of proportion to its size while compiling it. That
// is what the walk is for; where its parse and wazero's part, wazero reads
// some count the walk did not bound, and allocates it (a count of 2^20
// already costs 8 MB; most cost gigabytes and end the fuzzing process).
func FuzzBoundsAgreeWithWazero(f *testing.F) {
	instrumentSeeds(f)
	// the partings TestCompileRefusesCountsBeyondTheModule has, with
	// counts of 2^21: 16 and 64 MB when the walk parses as it once did
	head := "\x00asm\x01\x00\x00\x00"
	f.Add([]byte(head + "\x01\x0a\x01\x4e\x06\x60\x80\x80\x80\x01\x00\x00"))
	f.Add([]byte(head + "\x00\x12\x04name\x01\x08\x00\x02\x05\x80\x80\x80\x01\x00\x00\x01\x00"))
	f.Add([]byte(head + "\x04\x09\x01\x40\x00\x70\x00\x01\xd0\x70\x0b"))
	f.Add([]byte(head + undeclaredTypeCall))
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithDebugInfoEnabled(false))
	f.Cleanup(func() { _ = rt.Close(ctx) })
	f.Fuzz(func(t *testing.T, wasm []byte) {
		st, err := walkModule(wasm)
		if err != nil {
			return
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, err := rt.CompileModule(ctx, wasm)
		runtime.ReadMemStats(&after)
		if err == nil {
			_ = c.Close(ctx)
		}
		// wazero's interpreter takes about 380 bytes a local to compile
		require.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20+256*len(wasm))+1024*st.locals,
			"wazero allocated out of proportion to the module (%v)", err)
	})
}

// Sections come in wazero's order, each once: instrument rewrites sections
// by id, and gave a repeated function section the other's contents, ahead
// of the types they named (FuzzInstrument).
func TestSectionsOutOfOrderAreRefused(t *testing.T) {
	wasm := loopingFilter()
	var secs [][]byte
	r := &wreader{b: wasm, off: 8}
	for r.off < len(r.b) {
		at := r.off
		r.byte()
		r.take(int(r.u32()))
		secs = append(secs, wasm[at:r.off])
	}
	require.Equal(t, byte(secType), secs[0][0])
	require.Equal(t, byte(secImport), secs[1][0])
	join := func(parts ...[]byte) []byte { return append([]byte(wasm[:8:8]), bytes.Join(parts, nil)...) }
	require.NoError(t, checkBounds(join(secs...)))

	require.Equal(t, byte(secFunction), secs[2][0])
	require.Equal(t, byte(secMemory), secs[3][0])
	swapped := join(append([][]byte{secs[0], secs[1], secs[3], secs[2]}, secs[4:]...)...)
	require.ErrorContains(t, checkBounds(swapped), "section 3 out of order or repeated")
	repeated := join(append([][]byte{secs[0]}, secs...)...)
	require.ErrorContains(t, checkBounds(repeated), "section 1 out of order or repeated")
	custom := join(append([][]byte{wasmSection(nil, secCustom, wasmName(nil, "x"))}, secs...)...)
	require.NoError(t, checkBounds(custom), "custom sections go anywhere")
	require.ErrorContains(t, checkBounds(append([]byte("\x00asm\x02\x00\x00\x00"), join(secs...)[8:]...)), "version 1")
}
