package smartengine

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestAccelerationRecognisesRustSDKModules: the four Rust SDK modules of
// the same toolchain get memcpy, memmove and memset replaced and their
// value decode and encode loops accelerated; filter-contains-a (another
// toolchain, WASI) shares only one memory function.
func TestAccelerationRecognisesRustSDKModules(t *testing.T) {
	for name, want := range map[string]accelStats{
		"filter-on-a.wasm":          {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1},
		"map-uppercase.wasm":        {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1},
		"filter-map-even-half.wasm": {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1},
		"aggregate-concat.wasm":     {MemFuncs: 3, DecodeLoops: 1, EncodeLoops: 1},
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
// ones; one value in 20 is not UTF-8.
func randomText(r *rand.Rand, _ int) string {
	sizes := []int{0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 100, 1023, 1024, 1025, 4096, 70000}
	n := sizes[r.IntN(len(sizes))]
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcxyzABC 01"[r.IntN(12)]
	}
	if n > 0 && r.IntN(20) == 0 {
		b[r.IntN(n)] = 0xff
	}
	return string(b)
}

// helperModule instantiates the accelerate helpers alone with a memory, so
// their guards can be checked on states the real modules never reach.
func helperModule(t *testing.T) (api.Module, api.Memory) {
	t.Helper()
	ctx := context.Background()
	a := &accel{decodeFast: 0, encodeFast: 1, disjoint: 2}
	types, err := appendVec([]byte{0}, helperTypes...)
	require.NoError(t, err)
	funcs, err := appendVec([]byte{0}, []byte{0}, []byte{1}, []byte{2})
	require.NoError(t, err)
	var bodies [][]byte
	for _, b := range a.helperBodies() {
		bodies = append(bodies, append(binary.AppendUvarint(nil, uint64(len(b))), b...))
	}
	code, err := appendVec([]byte{0}, bodies...)
	require.NoError(t, err)
	exports := []byte{3}
	exports = append(wasmName(exports, "decode"), extFunc, 0)
	exports = append(wasmName(exports, "encode"), extFunc, 1)
	exports = append(wasmName(exports, "memory"), extMemory, 0)
	wasm := []byte("\x00asm\x01\x00\x00\x00")
	wasm = wasmSection(wasm, secType, types)
	wasm = wasmSection(wasm, secFunction, funcs)
	wasm = wasmSection(wasm, 5, []byte{1, 0, 1}) // one memory of 1 page
	wasm = wasmSection(wasm, secExport, exports)
	wasm = wasmSection(wasm, secCode, code)
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = rt.Close(ctx) })
	m, err := rt.Instantiate(ctx, wasm)
	require.NoError(t, err)
	return m, m.Memory()
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
	setup(2000, 30, 10)
	p, n := call(1000, 50)
	require.Equal(t, [2]uint32{1020, 30}, [2]uint32{p, n})
	got, _ := mem.Read(2010, 20)
	require.Equal(t, "abcdefghijabcdefghij", string(got))
	l, _ := mem.ReadUint32Le(vec + 8)
	require.Equal(t, uint32(30), l)
	tg, _ := mem.ReadByte(tag)
	require.Equal(t, byte(4), tg)

	for name, st := range map[string][4]uint32{ // vptr, vcap, vlen, p
		"Vec full":          {2000, 30, 30, 1000},
		"length at i32 max": {2000, 0xffffffff, 0x7fffffff, 1000},
		"overlapping copy":  {1005, 300, 0, 1000},
		"source over Vec":   {2000, 300, 0, 20},
		"source over tag":   {2000, 300, 0, 60},
		"copy over tag":     {50, 300, 0, 1000},
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
// encode loops, memcpy) with and without acceleration.
func FuzzAccelerationEquivalence(f *testing.F) {
	f.Add([]byte("hello"), []byte("k"), uint8(3))
	f.Add([]byte{}, []byte{}, uint8(0))
	f.Add([]byte(strings.Repeat("ab\xffc", 300)), []byte("key"), uint8(1))
	ctx := context.Background()
	fast := newEngine(f, Config{})
	slow := newEngine(f, Config{NoAcceleration: true})
	engines := [2]*Engine{fast, slow}
	mods := [2]*Module{compileFixture(f, fast, "map-uppercase.wasm"), compileFixture(f, slow, "map-uppercase.wasm")}
	var chains [2]*Chain
	open := func(t testing.TB) {
		for i, e := range engines {
			if chains[i] != nil {
				_ = chains[i].Close(ctx)
			}
			c, err := e.NewChain(ctx, 25, Invocation{Module: mods[i]})
			require.NoError(t, err)
			chains[i] = c
		}
	}
	open(f)
	f.Cleanup(func() {
		for _, c := range chains {
			_ = c.Close(ctx)
		}
	})
	f.Fuzz(func(t *testing.T, value, key []byte, mode uint8) {
		in := sectionOf(rec{value: string(value), key: string(key), hasKey: mode&1 == 1},
			rec{value: string(key) + string(value), offDelta: 1})
		if mode&2 == 2 && len(in) > 0 { // malformed: cut short
			in = in[:len(in)-1-int(mode>>2)%len(in)]
		}
		var outs, errs [2]string
		failed := false
		for i, c := range chains {
			out, rtErr, err := c.Process(ctx, 0, testTimestamp, in)
			outs[i], errs[i] = string(out), fmt.Sprintf("%+v %v", rtErr, err)
			failed = failed || err != nil
		}
		if failed { // a failed chain is not used again: start both afresh
			open(t)
		}
		require.Equal(t, outs[1], outs[0])
		require.Equal(t, errs[1], errs[0])
	})
}
