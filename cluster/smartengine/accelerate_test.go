package smartengine

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/gofluvio/fluvio/internal/fixtures"
)

// TestAccelerationRecognisesRustSDKModules: the four Rust SDK modules of
// the same toolchain get memcpy, memmove and memset replaced and their
// value decode and encode loops accelerated; filter-contains-a (another
// toolchain, WASI) shares only one memory function.
func TestAccelerationRecognisesRustSDKModules(t *testing.T) {
	for name, want := range map[string]accelStats{
		"filter-on-a.wasm":          {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1, ScanLoops: 4},
		"map-uppercase.wasm":        {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1, ScanLoops: 1},
		"filter-map-even-half.wasm": {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1, ScanLoops: 3},
		"aggregate-concat.wasm":     {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1, ScanLoops: 3},
		"filter-contains-a.wasm":    {MemFuncs: 1},
		"no-transform-export.wasm":  {},
	} {
		res, err := instrument(fixtureWasm(t, name), true)
		require.NoError(t, err, name)
		require.Equal(t, want, res.accel, name)
		off, err := instrument(fixtureWasm(t, name), false)
		require.NoError(t, err, name)
		require.Equal(t, accelStats{}, off.accel, name)
	}
}

// TestAcceleratedModulesBehaveTheSame runs every real module with and
// without acceleration over the same batches (empty, short, long and
// invalid UTF-8 values, with and without keys) and requires the same
// output bytes, record errors and failures.
func TestAcceleratedModulesBehaveTheSame(t *testing.T) {
	ctx := context.Background()
	fast := newEngine(t, Config{})
	slow := newEngine(t, Config{NoAcceleration: true})
	cases := []struct {
		module string
		inv    Invocation
		value  func(r *rand.Rand, i int) string
	}{
		{module: "filter-on-a.wasm", value: randomText},
		{module: "map-uppercase.wasm", value: randomText},
		{module: "filter-map-even-half.wasm", value: func(r *rand.Rand, i int) string {
			if r.IntN(10) == 0 {
				return randomText(r, i)
			}
			return fmt.Sprint(r.IntN(1 << 20))
		}},
		{module: "aggregate-concat.wasm", inv: Invocation{Accumulator: []byte("1")}, value: randomText},
		{module: "filter-contains-a.wasm", inv: Invocation{Params: map[string]string{"key": "a"}}, value: randomText},
	}
	for _, tc := range cases {
		t.Run(tc.module, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(tc.module))))
			chains := make([]*Chain, 2)
			for i, e := range []*Engine{fast, slow} {
				inv := tc.inv
				inv.Module = compileFixture(t, e, tc.module)
				chains[i] = newChain(t, e, inv)
			}
			offset := int64(0)
			for batch := 0; batch < 40; batch++ {
				n := 1 + r.IntN(30)
				rs := make([]rec, n)
				for i := range rs {
					rs[i] = rec{value: tc.value(r, i), offDelta: int64(i), tsDelta: int64(i)}
					if r.IntN(3) == 0 {
						rs[i].hasKey, rs[i].key = true, randomText(r, i)
					}
				}
				in := sectionOf(rs...)
				var outs [2]string
				var errs [2]string
				for i, c := range chains {
					out, rtErr, err := c.Process(ctx, offset, testTimestamp, in)
					outs[i] = string(out)
					errs[i] = fmt.Sprintf("%+v %v", rtErr, err)
				}
				require.Equal(t, outs[1], outs[0], "batch %d output", batch)
				require.Equal(t, errs[1], errs[0], "batch %d errors", batch)
				offset += int64(n)
			}
		})
	}
}

// randomText: lengths around the loop and word boundaries and a few long
// ones; one value in 20 is not UTF-8. Half the values have an "a" or a
// multi-byte character only here and there (or nowhere), so the modules'
// searches and UTF-8 checks run far before they stop.
func randomText(r *rand.Rand, _ int) string {
	sizes := []int{0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1023, 1024, 1025, 4096, 70000}
	n := sizes[r.IntN(len(sizes))]
	b := make([]byte, 0, n+3)
	sparse := r.IntN(2) == 0
	for len(b) < n {
		switch {
		case !sparse:
			b = append(b, "abcxyzABC 01"[r.IntN(12)])
		case r.IntN(300) == 0:
			b = append(b, 'a')
		case r.IntN(300) == 0:
			b = append(b, []string{"é", "→", "😀"}[r.IntN(3)]...) // 2, 3 and 4 bytes
		default:
			b = append(b, "bcxyzBC 01"[r.IntN(10)])
		}
	}
	if n > 0 && r.IntN(20) == 0 {
		b[r.IntN(len(b))] = 0xff
	}
	return string(b)
}

// helperModule instantiates the accelerate helpers alone with a memory, so
// their guards can be checked on states the real modules never reach.
func helperModule(t *testing.T) (api.Module, api.Memory) {
	t.Helper()
	a := &accel{}
	a.setHelperIndices(0)
	a.grow = int64(len(helperTypeOf)) // reserveModel, after the helpers
	funcTypes := make([]byte, 0, len(helperTypeOf)+1)
	for _, ti := range helperTypeOf {
		funcTypes = append(funcTypes, byte(ti))
	}
	funcTypes = append(funcTypes, byte(len(helperTypes)))
	m := bareModule(t, append(helperTypes, []byte{0x60, 3, valI32, valI32, valI32, 0}), funcTypes,
		append(a.helperBodies(), reserveModel()),
		map[string]uint32{"decode": a.decodeFast, "encode": a.encodeFast, "memchr": a.memchrFast, "ascii": a.asciiFast})
	return m, m.Memory()
}

// bareModule instantiates hand-made functions (types, each function's
// type index, bodies with their locals) with one memory of 1 page,
// exported as "memory", and the functions named in exports.
func bareModule(t *testing.T, types [][]byte, funcTypes []byte, bodies [][]byte, exports map[string]uint32) api.Module {
	t.Helper()
	ctx := context.Background()
	typeSec, err := appendVec([]byte{0}, types...)
	require.NoError(t, err)
	funcSec := append(uleb(nil, uint32(len(funcTypes))), funcTypes...)
	var sized [][]byte
	for _, b := range bodies {
		sized = append(sized, append(binary.AppendUvarint(nil, uint64(len(b))), b...))
	}
	codeSec, err := appendVec([]byte{0}, sized...)
	require.NoError(t, err)
	exportSec := uleb(nil, uint32(len(exports)+1))
	for name, fn := range exports {
		exportSec = uleb(append(wasmName(exportSec, name), extFunc), fn)
	}
	exportSec = append(wasmName(exportSec, "memory"), extMemory, 0)
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	wasm = wasmSection(wasm, secType, typeSec)
	wasm = wasmSection(wasm, secFunction, funcSec)
	wasm = wasmSection(wasm, 5, []byte{1, 0, 1}) // one memory of 1 page
	wasm = wasmSection(wasm, secExport, exportSec)
	wasm = wasmSection(wasm, secCode, codeSec)
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = rt.Close(ctx) })
	m, err := rt.Instantiate(ctx, wasm)
	require.NoError(t, err)
	return m
}

// reserveModel is RawVec's reserve(vec, len, additional) for the helper
// module: the Vec {ptr, cap, len} gets a buffer of max(2 cap, len +
// additional, 8) bytes at 30000 holding its len bytes.
func reserveModel() []byte {
	const v, vlen, add, c = 0, 1, 2, 3
	s := asm{1, 1, valI32}
	s = s.get(v).mem(opI32Load, 2, 4).i32(2).op(0x6c).set(c) // i32.mul
	s = s.get(vlen).get(add).op(opI32Add).set(add)
	s = s.get(add).get(c).get(add).get(c).op(opI32GtU, opSelect).set(c) // max(2 cap, len+additional)
	s = s.i32(8).get(c).i32(8).get(c).op(opI32GtU, opSelect).set(c)     // max(8, …)
	s = s.i32(30000).get(v).mem(opI32Load, 2, 0).get(vlen).op(opPrefixFC, 10, 0, 0)
	s = s.get(v).i32(30000).mem(opI32Store, 2, 0).get(v).get(c).mem(opI32Store, 2, 4)
	return s.op(opEnd)
}

// TestDecodeFastGuards: the decode helper copies what the loop would have
// copied with neither error nor growth, and nothing when a guard fails.
func TestDecodeFastGuards(t *testing.T) {
	m, mem := helperModule(t)
	const cur, vec = 0, 32 // cursor {pos u64, ptr, len}, Vec {ptr, cap, len}
	setup := func(pos uint64, ptr, length, vptr, vcap, vlen uint32) {
		zero := make([]byte, 65536)
		mem.Write(0, zero)
		src := []byte(strings.Repeat("0123456789", 20))
		mem.Write(1000, src)
		mem.WriteUint64Le(cur, pos)
		mem.WriteUint32Le(cur+8, ptr)
		mem.WriteUint32Le(cur+16, length)
		mem.WriteUint32Le(vec, vptr)
		mem.WriteUint32Le(vec+4, vcap)
		mem.WriteUint32Le(vec+8, vlen)
	}
	call := func(n uint32) uint32 {
		res, err := m.ExportedFunction("decode").Call(context.Background(), cur, vec, uint64(n))
		require.NoError(t, err)
		return uint32(res[0])
	}
	u32 := func(at uint32) uint32 { v, _ := mem.ReadUint32Le(at); return v }

	// 100 bytes to read, 64 of capacity: 64 copied, 36 iterations left.
	setup(0, 1000, 100, 2000, 64, 0)
	require.Equal(t, uint32(36), call(100))
	pos, _ := mem.ReadUint64Le(cur)
	require.Equal(t, uint64(64), pos)
	require.Equal(t, uint32(64), u32(vec+8))
	got, _ := mem.Read(2000, 64)
	want, _ := mem.Read(1000, 64)
	require.Equal(t, want, got)

	// The last iteration is always left to the loop.
	setup(10, 1000, 100, 2000, 500, 3)
	require.Equal(t, uint32(1), call(50))
	require.Equal(t, uint32(52), u32(vec+8))

	// Input runs out: copy what is there; the loop then reports the error.
	setup(90, 1000, 100, 2000, 500, 0)
	require.Equal(t, uint32(40), call(50))

	for name, st := range map[string][6]uint64{
		"one iteration":      {0, 1000, 100, 2000, 64, 0},
		"nothing left":       {100, 1000, 100, 2000, 64, 0},
		"position past end":  {1 << 40, 1000, 100, 2000, 64, 0},
		"Vec full":           {0, 1000, 100, 2000, 64, 64},
		"overlapping copy":   {0, 1000, 100, 1010, 64, 0},
		"copy over cursor":   {0, 1000, 100, 0, 64, 0},
		"copy over Vec":      {0, 1000, 100, 30, 64, 0},
		"cursor inside data": {0, 0, 100, 2000, 64, 0},
	} {
		setup(st[0], uint32(st[1]), uint32(st[2]), uint32(st[3]), uint32(st[4]), uint32(st[5]))
		before, _ := mem.Read(0, 65536)
		before = append([]byte{}, before...)
		n := uint32(50)
		if name == "one iteration" {
			n = 1
		}
		require.Equal(t, n, call(n), name)
		after, _ := mem.Read(0, 65536)
		require.Equal(t, before, after, "%s: memory changed", name)
	}
}

// TestEncodeFastGuards: likewise for the encode helper.
func TestEncodeFastGuards(t *testing.T) {
	m, mem := helperModule(t)
	const vec, tag = 32, 64
	setup := func(vptr, vcap, vlen uint32) {
		mem.Write(0, make([]byte, 65536))
		mem.Write(1000, []byte(strings.Repeat("abcdefghij", 20)))
		mem.WriteUint32Le(vec, vptr)
		mem.WriteUint32Le(vec+4, vcap)
		mem.WriteUint32Le(vec+8, vlen)
	}
	call := func(p, n uint32) (uint32, uint32) {
		res, err := m.ExportedFunction("encode").Call(context.Background(), uint64(p), uint64(n), vec, tag)
		require.NoError(t, err)
		return uint32(res[0]), uint32(res[1])
	}
	u32 := func(at uint32) uint32 { v, _ := mem.ReadUint32Le(at); return v }
	// Room for 20 of the 49 bytes to copy (the last iteration is the
	// loop's): the Vec is grown once, to max(2×30, 10+49), then filled.
	setup(2000, 30, 10)
	mem.Write(2000, []byte("0123456789"))
	p, n := call(1000, 50)
	require.Equal(t, [2]uint32{1049, 1}, [2]uint32{p, n})
	require.Equal(t, [3]uint32{30000, 60, 59}, [3]uint32{u32(vec), u32(vec + 4), u32(vec + 8)})
	got, _ := mem.Read(30000, 59)
	require.Equal(t, "0123456789"+strings.Repeat("abcdefghij", 5)[:49], string(got))
	tg, _ := mem.ReadByte(tag)
	require.Equal(t, byte(4), tg)

	// Room for 20 of 99: the capacity doubles twice, as the loop would.
	setup(2000, 30, 10)
	p, n = call(1000, 100)
	require.Equal(t, [2]uint32{1099, 1}, [2]uint32{p, n})
	require.Equal(t, [3]uint32{30000, 120, 109}, [3]uint32{u32(vec), u32(vec + 4), u32(vec + 8)})

	// Enough room: no growth.
	setup(2000, 100, 10)
	p, n = call(1000, 50)
	require.Equal(t, [2]uint32{1049, 1}, [2]uint32{p, n})
	require.Equal(t, [3]uint32{2000, 100, 59}, [3]uint32{u32(vec), u32(vec + 4), u32(vec + 8)})

	for name, st := range map[string][4]uint32{ // vptr, vcap, vlen, p
		"source in the buffer growth frees": {1000, 30, 30, 1005},
		"length at i32 max":                 {2000, 0xffffffff, 0x7fffffff, 1000},
		"overlapping copy":                  {1005, 300, 0, 1000},
		"source over Vec":                   {2000, 300, 0, 20},
		"source over tag":                   {2000, 300, 0, 60},
		"copy over tag":                     {50, 300, 0, 1000},
	} {
		setup(st[0], st[1], st[2])
		before, _ := mem.Read(0, 65536)
		before = append([]byte{}, before...)
		p, n := call(st[3], 50)
		require.Equal(t, [2]uint32{st[3], 50}, [2]uint32{p, n}, name)
		after, _ := mem.Read(0, 65536)
		require.Equal(t, before, after, "%s: memory changed", name)
	}
}

// FuzzAccelerationEquivalence: any records section, well formed or not,
// gives the same output and errors through map-uppercase.wasm (decode and
// encode loops, memcpy) and filter-on-a.wasm (UTF-8 check, memchr) with
// and without acceleration.
func FuzzAccelerationEquivalence(f *testing.F) {
	f.Add([]byte("hello"), []byte("k"), uint8(3))
	f.Add([]byte{}, []byte{}, uint8(0))
	f.Add([]byte(strings.Repeat("ab\xffc", 300)), []byte("key"), uint8(1))
	f.Add([]byte(strings.Repeat("xyz", 100)+"a"), []byte(strings.Repeat("é", 40)), uint8(0))
	ctx := context.Background()
	fast := newEngine(f, Config{})
	slow := newEngine(f, Config{NoAcceleration: true})
	engines := [2]*Engine{fast, slow}
	names := []string{"map-uppercase.wasm", "filter-on-a.wasm"}
	mods := make([][2]*Module, len(names))
	for m, name := range names {
		mods[m] = [2]*Module{compileFixture(f, fast, name), compileFixture(f, slow, name)}
	}
	chains := make([][2]*Chain, len(names))
	open := func(t testing.TB, m int) {
		for i, e := range engines {
			if chains[m][i] != nil {
				_ = chains[m][i].Close(ctx)
			}
			c, err := e.NewChain(ctx, 25, Invocation{Module: mods[m][i]})
			require.NoError(t, err)
			chains[m][i] = c
		}
	}
	for m := range names {
		open(f, m)
	}
	f.Cleanup(func() {
		for _, cs := range chains {
			for _, c := range cs {
				_ = c.Close(ctx)
			}
		}
	})
	f.Fuzz(func(t *testing.T, value, key []byte, mode uint8) {
		in := sectionOf(rec{value: string(value), key: string(key), hasKey: mode&1 == 1},
			rec{value: string(key) + string(value), offDelta: 1})
		if mode&2 == 2 && len(in) > 0 { // malformed: cut short
			in = in[:len(in)-1-int(mode>>2)%len(in)]
		}
		for m, name := range names {
			var outs, errs [2]string
			failed := false
			for i, c := range chains[m] {
				out, rtErr, err := c.Process(ctx, 0, testTimestamp, in)
				outs[i], errs[i] = string(out), fmt.Sprintf("%+v %v", rtErr, err)
				failed = failed || err != nil
			}
			if failed { // a failed chain is not used again: start both afresh
				open(t, m)
			}
			require.Equal(t, outs[1], outs[0], name)
			require.Equal(t, errs[1], errs[0], name)
		}
	})
}

// scanMemory fills 64 KiB with text where the needle 'a' and bytes >= 0x80
// are rare, so scans run long and stop at every position over many tries.
func scanMemory(r *rand.Rand) []byte {
	mem := make([]byte, 65536)
	for i := range mem {
		switch r.IntN(400) {
		case 0:
			mem[i] = 'a'
		case 1:
			mem[i] = 0x80 + byte(r.IntN(128))
		default:
			mem[i] = "bcxyz 01"[r.IntN(8)]
		}
	}
	return mem
}

// TestScanHelpers: memchrFast and asciiFast perform exactly the iterations
// of their loops that neither leave the loop on a hit nor are the last,
// compared with a model of the loops over random memory and bounds
// (limits below 8 and 32, unaligned and past-the-end starts included).
func TestScanHelpers(t *testing.T) {
	m, mem := helperModule(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 7))
	for round := 0; round < 20; round++ {
		data := scanMemory(r)
		require.True(t, mem.Write(0, data))
		for try := 0; try < 500; try++ {
			base := uint32(r.IntN(30000))
			limit := uint32(r.IntN(40))
			if r.IntN(2) == 0 {
				limit = uint32(r.IntN(3000))
			}
			i := uint32(r.IntN(int(limit) + 10))
			c := byte('a')
			if r.IntN(4) == 0 {
				c = byte(r.IntN(128))
			}
			// memchr loop: skip the iteration at i when its 8 bytes hold no
			// c and i+8 <= limit (the loop goes on after it).
			want := i
			for want+8 <= limit && !strings.ContainsRune(string(data[base+want:base+want+8]), rune(c)) {
				want += 8
			}
			res, err := m.ExportedFunction("memchr").Call(ctx, uint64(base), uint64(i), uint64(limit), uint64(c))
			require.NoError(t, err)
			require.Equal(t, want, uint32(res[0]), "memchr base %d i %d limit %d c %q", base, i, limit, c)

			// ASCII loop: skip when the 8 bytes are ASCII and i+8 < limit.
			want = i
			ascii := func(b []byte) bool {
				for _, x := range b {
					if x >= 0x80 {
						return false
					}
				}
				return true
			}
			for want+8 < limit && ascii(data[base+want:base+want+8]) {
				want += 8
			}
			res, err = m.ExportedFunction("ascii").Call(ctx, uint64(base), uint64(i), uint64(limit))
			require.NoError(t, err)
			require.Equal(t, want, uint32(res[0]), "ascii base %d i %d limit %d", base, i, limit)
		}
	}
}

// TestIndexByteFastPath: indexByteBody keeps a memchr's results (address
// of the first c in [s, s+n), or 0) for every c, its fast path taking
// c < 256 and the original code (here a plain byte loop with locals of
// its own, which the added locals must not disturb) the rest.
func TestIndexByteFastPath(t *testing.T) {
	ctx := context.Background()
	// (s, c, n) -> i32; locals 3, 4 (i32); loop while n: if [s]==c return s.
	orig := asm{1, 2, valI32}
	orig = orig.i32(0).set(3).get(2).set(4)
	orig = orig.op(opBlock, blockTypeNil, opLoop, blockTypeNil).get(4).op(opI32Eqz, opBrIf, 1)
	orig = orig.get(0).mem(opI32Load8U, 0, 0).get(1).op(opI32Eq, opIf, blockTypeNil).get(0).op(opReturn, opEnd)
	orig = orig.get(0).i32(1).op(opI32Add).set(0).get(4).i32(1).op(opI32Sub).set(4).op(opBr, 0, opEnd, opEnd)
	orig = orig.get(3).op(opEnd)
	fast, err := indexByteBody(orig)
	require.NoError(t, err)
	m := bareModule(t, [][]byte{{0x60, 3, valI32, valI32, valI32, 1, valI32}}, []byte{0, 0},
		[][]byte{orig, fast}, map[string]uint32{"orig": 0, "fast": 1})

	r := rand.New(rand.NewPCG(3, 3))
	data := scanMemory(r)
	require.True(t, m.Memory().Write(0, data))
	for try := 0; try < 20000; try++ {
		s := uint32(r.IntN(60000))
		n := uint32(r.IntN(70))
		if r.IntN(2) == 0 {
			n = uint32(r.IntN(5000))
		}
		if s+n > 65536 {
			n = 65536 - s
		}
		c := uint32('a')
		switch r.IntN(6) {
		case 0:
			c = uint32(r.IntN(256))
		case 1:
			c = 256 + uint32(r.IntN(1000)) // never found, by the original code
		}
		want := uint32(0)
		if c < 256 {
			if k := strings.IndexByte(string(data[s:s+n]), byte(c)); k >= 0 {
				want = s + uint32(k)
			}
		}
		for _, f := range []string{"orig", "fast"} {
			res, err := m.ExportedFunction(f).Call(ctx, uint64(s), uint64(c), uint64(n))
			require.NoError(t, err)
			require.Equal(t, want, uint32(res[0]), "%s(%d, %d, %d)", f, s, c, n)
		}
	}
}

// goExampleWasm builds a Go SDK example module (smartmodule/examples).
func goExampleWasm(t testing.TB, name string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short: builds a Go SmartModule")
	}
	b, err := os.ReadFile(fixtures.GoSmartModule(t, name))
	require.NoError(t, err)
	return b
}

// TestGoValidUTF8FastPath: in a Go module, utf8.Valid is found by name
// and given its fast path (with memchr, two functions), and the Go filter
// example, which fails on a value that is not UTF-8, then decides every
// value as utf8.Valid does and as the module does without acceleration:
// values with an ASCII run of every length around the 16- and 64-byte
// steps, followed by a valid or invalid sequence, truncated or not, and
// by more text.
func TestGoValidUTF8FastPath(t *testing.T) {
	wasm := goExampleWasm(t, "filter")
	res, err := instrument(wasm, true)
	require.NoError(t, err)
	require.Equal(t, accelStats{MemFuncs: 2}, res.accel)

	ctx := context.Background()
	chains := make([]*Chain, 2)
	for i, e := range []*Engine{newEngine(t, Config{}), newEngine(t, Config{NoAcceleration: true})} {
		m, err := e.Compile(ctx, wasm)
		require.NoError(t, err)
		chains[i] = newChain(t, e, Invocation{Module: m})
	}
	tails := []string{"", "a", "é", "€", "😀", "\x80", "\xff", "\xc0\xaf", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "é\x80", "b\xf4\x90\x80\x80"}
	r := rand.New(rand.NewPCG(9, 9))
	for ascii := 0; ascii <= 200; ascii++ {
		for _, tail := range tails {
			for _, more := range []string{"", "xyz", strings.Repeat("q", 70) + "é"} {
				v := strings.Repeat("b", ascii) + tail + more
				if r.IntN(4) == 0 { // an invalid byte far after the ASCII run
					v += strings.Repeat("c", r.IntN(100)) + "\xfe"
				}
				var outs, errs [2]string
				for i, c := range chains {
					out, rtErr, err := c.Process(ctx, 0, testTimestamp, sectionOf(rec{value: v}))
					require.NoError(t, err)
					outs[i], errs[i] = string(out), fmt.Sprintf("%+v", rtErr)
					require.Equal(t, !utf8.ValidString(v), rtErr != nil, "%q", v)
				}
				require.Equal(t, outs[1], outs[0], "%q", v)
				require.Equal(t, errs[1], errs[0], "%q", v)
			}
		}
	}
}

// FuzzGoValidUTF8: for any value, the Go filter example (utf8.Valid, then
// bytes.ContainsRune) decides as utf8.Valid does, with the same output
// and error with and without acceleration. Values are prefixed with an
// ASCII run of a fuzzed length, so the fast path has something to skip.
func FuzzGoValidUTF8(f *testing.F) {
	f.Add([]byte("hello a"), uint16(0))
	f.Add([]byte("é\x80"), uint16(63))
	f.Add([]byte("\xf0\x9f\x98"), uint16(64))
	f.Add([]byte{0xed, 0xa0, 0x80}, uint16(200))
	wasm := goExampleWasm(f, "filter")
	ctx := context.Background()
	var chains [2]*Chain
	for i, e := range []*Engine{newEngine(f, Config{}), newEngine(f, Config{NoAcceleration: true})} {
		m, err := e.Compile(ctx, wasm)
		require.NoError(f, err)
		chains[i] = newChain(f, e, Invocation{Module: m})
	}
	f.Fuzz(func(t *testing.T, tail []byte, ascii uint16) {
		v := strings.Repeat("x", int(ascii%1100)) + string(tail)
		var outs, errs [2]string
		for i, c := range chains {
			out, rtErr, err := c.Process(ctx, 0, testTimestamp, sectionOf(rec{value: v}))
			require.NoError(t, err)
			require.Equal(t, !utf8.ValidString(v), rtErr != nil, "%q", v)
			outs[i], errs[i] = string(out), fmt.Sprintf("%+v", rtErr)
		}
		require.Equal(t, outs[1], outs[0], "%q", v)
		require.Equal(t, errs[1], errs[0], "%q", v)
	})
}

// goShaped builds the smallest module goValidUTF8 recognises: a mutable
// i32 global 0 (Go's stack pointer), one (i32) -> i32 function named
// name, whose body starts by reading global 0 and returns its parameter,
// exported as "valid". mutable, typ and body vary what the guards check.
func goShaped(name string, mutable bool, typ, code []byte) []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	b = wasmSection(b, secType, append([]byte{1}, typ...))
	b = wasmSection(b, secFunction, []byte{1, 0})
	b = wasmSection(b, secMemory, []byte{1, 0, 1})
	mut := byte(0)
	if mutable {
		mut = 1
	}
	b = wasmSection(b, secGlobal, []byte{1, valI32, mut, opI32Const, 0, opEnd})
	b = wasmSection(b, secExport, append(appendName([]byte{1}, "valid"), extFunc, 0))
	body := append([]byte{1, 1, valI32}, code...)
	b = wasmSection(b, secCode, append(uleb([]byte{1}, uint32(len(body))), body...))
	names := appendName(nil, "name")
	fn := appendName([]byte{1, 0}, name)
	names = append(uleb(append(names, 1), uint32(len(fn))), fn...)
	return wasmSection(b, secCustom, names)
}

// Only a function with Go's shape gets the utf8.Valid fast path: its
// name, type, a mutable i32 global 0 and a body reading global 0 first.
// The one recognised compiles and runs: on resume (parameter not 0) the
// fast path stays out of the way.
func TestValidUTF8NeedsGoShape(t *testing.T) {
	typ := []byte{0x60, 1, valI32, 1, valI32}
	code := []byte{opGlobalGet, 0, opLocalSet, 1, opLocalGet, 0, opEnd}
	for _, tc := range []struct {
		name string
		wasm []byte
		want int
	}{
		{"go's", goShaped(goValidUTF8Name, true, typ, code), 1},
		{"other name", goShaped("unicode_utf8.ValidString", true, typ, code), 0},
		{"other type", goShaped(goValidUTF8Name, true, []byte{0x60, 1, valI32, 2, valI32, valI32}, append(code[:len(code)-1:len(code)-1], opLocalGet, 0, opEnd)), 0},
		{"immutable global", goShaped(goValidUTF8Name, false, typ, code), 0},
		{"other body", goShaped(goValidUTF8Name, true, typ, []byte{opLocalGet, 0, opEnd}), 0},
	} {
		res, err := instrument(tc.wasm, true)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, res.accel.MemFuncs, tc.name)
		ctx := context.Background()
		rt := wazero.NewRuntime(ctx)
		m, err := rt.Instantiate(ctx, res.wasm)
		require.NoError(t, err, tc.name)
		for _, pc := range []uint64{0, 3} {
			got, err := m.ExportedFunction("valid").Call(ctx, pc)
			require.NoError(t, err, tc.name)
			require.Equal(t, pc, got[0], tc.name)
		}
		_ = rt.Close(ctx)
	}
}
