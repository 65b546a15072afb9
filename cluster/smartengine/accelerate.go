package smartengine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Acceleration of the byte-at-a-time code the Rust SDK compiles to.
//
// Why: every SmartModule built with Fluvio's Rust SDK decodes a record's
// key and value one byte per loop iteration (fluvio-protocol reads a
// Vec<u8> element by element: a call to Cursor::get_u8 and a Vec::push per
// byte), encodes them back the same way (a call per byte), and copies
// memory with compiler-builtins' memcpy, a word loop, because those modules
// were built without the bulk-memory feature. On wazero that is ~20 µs per
// 1 KiB record: filter-on-a.wasm ran at 4.5 % of plain consume speed.
//
// What: when a module is instrumented (instrument.go), three idioms are
// recognised and replaced by equivalents built on wasm's bulk-memory
// instructions, which wazero runs as Go's memmove:
//
//   - memcpy, memmove and memset whose body is byte for byte the one
//     compiler-builtins emits (bodyDigests) get a body of one memory.copy
//     or memory.fill.
//   - A decode loop: a loop whose body is, instruction for instruction,
//     decodeLoopPattern (read a byte from a Cursor with a function matching
//     getU8Pattern, push it onto a Vec) gets a call to a helper at the top
//     of each iteration that performs, in one memory.copy, the iterations
//     that cannot take any other path than the common one: as many as
//     input is left, spare capacity in the Vec allows, and leaving the
//     last iteration to the original code.
//   - An encode loop: encodeLoopPattern, pushing bytes from a slice onto a
//     Vec through a function whose common path matches putU8Prefix, likewise.
//   - Scans: core's memchr word loop (memchrLoopPattern, what
//     str::contains(char) compiles to) and the ASCII word loop of its UTF-8
//     validation (asciiLoopPattern, str::from_utf8) get a helper that
//     skips, 64 bytes at a time with SIMD, the iterations that would
//     neither stop the loop nor be its last. Go's memchr (behind
//     bytes.IndexByte, ContainsRune, Split...), recognised by digest, gets
//     a SIMD search in front of its own code, and Go's utf8.Valid,
//     recognised by name (goValidUTF8), skips the ASCII prefix of its
//     argument with SIMD before its own code checks the rest.
//
// The copy helpers check that the source, destination and the structures
// the loop updates (cursor, Vec header, result tag) do not overlap, which
// safe Rust guarantees; if they do, the helper does nothing and the
// original loop runs. The scan helpers only read, and only bytes the loop
// would read (utf8.Valid's also writes its own argument slots). A module
// the patterns do not match runs unchanged. What a module computes is the
// same, byte for byte; two things may differ in its memory: bytes beyond a
// Vec's length (uninitialised in Rust's model), and where the heap puts an
// encoded value, since the encode helper grows the Vec once (to the
// capacity the loop's doublings reach) instead of step by step. Tests
// compare every output of the real modules with and without acceleration.
// Config.NoAcceleration turns it off.

// accelStats says what acceleration changed in a module.
type accelStats struct {
	MemFuncs    int // memcpy/memmove/memset bodies replaced, Go's memchr and utf8.Valid given a fast path
	DecodeLoops int // decode loops given the fast path
	EncodeLoops int // encode loops given the fast path
	ScanLoops   int // memchr and UTF-8 validation word loops given the fast path
}

func (s accelStats) any() bool { return s.MemFuncs+s.loops() > 0 }

// loops is the number of loops that call a helper.
func (s accelStats) loops() int { return s.DecodeLoops + s.EncodeLoops + s.ScanLoops }

// Opcodes used by patterns and by the helpers.
const (
	opUnreachable  = 0x00
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opEnd          = 0x0b
	opBr           = 0x0c
	opBrIf         = 0x0d
	opReturn       = 0x0f
	opCall         = 0x10
	opSelect       = 0x1b
	opLocalGet     = 0x20
	opLocalSet     = 0x21
	opLocalTee     = 0x22
	opI32Load      = 0x28
	opI64Load      = 0x29
	opI32Load8U    = 0x2d
	opI64Load32U   = 0x35
	opI32Store     = 0x36
	opI64Store     = 0x37
	opI32Store8    = 0x3a
	opI32Const     = 0x41
	opI32Eqz       = 0x45
	opI32Eq        = 0x46
	opI32Ne        = 0x47
	opI32LtS       = 0x48
	opI32LeS       = 0x4c
	opI32LtU       = 0x49
	opI32GtU       = 0x4b
	opI32LeU       = 0x4d
	opI32GeU       = 0x4f
	opI64LeU       = 0x58
	opI64GeU       = 0x5a
	opI32Add       = 0x6a
	opI32Sub       = 0x6b
	opI32And       = 0x71
	opI32Or        = 0x72
	opI32Xor       = 0x73
	opI32Ctz       = 0x68
	opI32GtS       = 0x4a
	opI64Add       = 0x7c
	opI64Sub       = 0x7d
	opGlobalGet    = 0x23
	opI64Const     = 0x42
	opI32WrapI64   = 0xa7
	opI64ExtendI32 = 0xad
	opPrefixFC     = 0xfc
	opPrefixFD     = 0xfd
	blockTypeNil   = 0x40
	valI32         = 0x7f
	valV128        = 0x7b
	// SIMD sub-opcodes (after opPrefixFD)
	simdLoad       = 0x00
	simdLoad64Dup  = 0x0a
	simdI8x16Splat = 0x0f
	simdI8x16Eq    = 0x23
	simdOr         = 0x50
	simdAnyTrue    = 0x53
	simdI8x16Mask  = 0x64
)

// winstr is one decoded instruction: its opcode (0xfc/0xfd/0xfe-prefixed
// ones as prefix<<16|sub), up to two immediates (block type; index;
// constant as int64 bits; memarg align and offset) and where it ends.
type winstr struct {
	op  uint32
	imm [2]uint64
	end int
}

// nextInstr decodes the instruction at r.off.
func nextInstr(r *wreader) (winstr, error) {
	var in winstr
	op := r.byte()
	in.op = uint32(op)
	switch {
	case op == 0x02 || op == 0x03 || op == 0x04: // block, loop, if
		in.imm[0] = r.blockTypeValue()
	case op == 0x00, op == 0x01, op == 0x05, op == 0x0b, op == 0x0f, op == 0x1a, op == 0x1b,
		op >= 0x45 && op <= 0xc4, op == 0xd1:
		// no immediates
	case op == 0x0c, op == 0x0d, op == 0x10, op == 0x12, // br, br_if, call, return_call
		op >= 0x20 && op <= 0x26, // local.*, global.*, table.get/set
		op == 0x3f, op == 0x40,   // memory.size/grow (memory index)
		op == 0xd2, // ref.func
		op == 0x08: // throw
		in.imm[0] = uint64(r.u32())
	case op == 0x0e: // br_table
		n := r.u32()
		for j := uint32(0); j <= n && r.err == nil; j++ {
			r.u32()
		}
	case op == 0x11, op == 0x13: // call_indirect, return_call_indirect
		in.imm[0] = uint64(r.u32())
		in.imm[1] = uint64(r.u32())
	case op == 0x1c: // select t*
		for range r.count() {
			r.valType() // a typed reference takes more than a byte
		}
	case op >= 0x28 && op <= 0x3e: // loads and stores
		in.imm[0], in.imm[1] = r.memargValue()
	case op == 0x41, op == 0x42: // i32.const, i64.const
		in.imm[0] = uint64(r.s64())
	case op == 0x43: // f32.const
		if b := r.take(4); b != nil {
			in.imm[0] = uint64(binary.LittleEndian.Uint32(b))
		}
	case op == 0x44: // f64.const
		if b := r.take(8); b != nil {
			in.imm[0] = binary.LittleEndian.Uint64(b)
		}
	case op == 0xd0: // ref.null ht
		r.heapType()
	case op == 0xfc:
		in.op = 0xfc<<16 | misc(r)
	case op == 0xfd:
		in.op = 0xfd<<16 | simd(r)
	case op == 0xfe:
		sub := r.u32()
		in.op = 0xfe<<16 | sub
		if sub == 0x03 { // atomic.fence
			r.byte()
		} else {
			r.memarg()
		}
	default:
		return in, fmt.Errorf("opcode 0x%02x at %d not supported", op, r.off-1)
	}
	in.end = r.off
	return in, r.err
}

// ptok is one immediate of a pattern: a literal, anything, or a binding
// that must hold the same value wherever it appears.
type ptok struct {
	kind byte // 'l' literal, '_' any, '$' binding
	val  uint64
	name string
}

type pinstr struct {
	op   uint32
	imm  [2]ptok
	nimm int
}

// mnemonics maps the instructions patterns use to opcode and number of
// immediates (memargs count two: align, offset; block types one, written
// as nothing for the empty type).
var mnemonics = map[string]struct {
	op   uint32
	nimm int
}{
	"unreachable": {opUnreachable, 0}, "block": {opBlock, 0}, "end": {opEnd, 0},
	"br": {opBr, 1}, "br_if": {opBrIf, 1}, "return": {opReturn, 0}, "call": {opCall, 1},
	"local.get": {opLocalGet, 1}, "local.set": {opLocalSet, 1}, "local.tee": {opLocalTee, 1},
	"i32.load": {opI32Load, 2}, "i64.load": {opI64Load, 2}, "i32.load8_u": {opI32Load8U, 2},
	"i32.store": {opI32Store, 2}, "i64.store": {opI64Store, 2}, "i32.store8": {opI32Store8, 2},
	"i32.const": {opI32Const, 1}, "i32.eqz": {opI32Eqz, 0}, "i32.eq": {opI32Eq, 0},
	"i32.ne": {opI32Ne, 0}, "i32.gt_u": {opI32GtU, 0}, "i32.ge_u": {opI32GeU, 0},
	"i64.ge_u": {opI64GeU, 0}, "i32.add": {opI32Add, 0}, "i32.wrap_i64": {opI32WrapI64, 0},
	"i64.extend_i32_u": {opI64ExtendI32, 0}, "i32.and": {opI32And, 0}, "i32.xor": {opI32Xor, 0},
	"i32.le_u": {opI32LeU, 0},
}

// mustPattern parses a pattern: one instruction per line, immediates as
// numbers, _ (any) or $name (binding); memargs as "align offset".
func mustPattern(src string) []pinstr {
	var out []pinstr
	for _, line := range strings.Split(strings.TrimSpace(src), "\n") {
		f := strings.Fields(line)
		m, ok := mnemonics[f[0]]
		if !ok || len(f)-1 != m.nimm {
			panic("smartengine: bad pattern line " + strconv.Quote(line))
		}
		p := pinstr{op: m.op, nimm: m.nimm}
		if m.op == opBlock {
			p.nimm, p.imm[0] = 1, ptok{kind: 'l', val: blockTypeNil}
		}
		for i, t := range f[1:] {
			switch {
			case t == "_":
				p.imm[i] = ptok{kind: '_'}
			case t[0] == '$':
				p.imm[i] = ptok{kind: '$', name: t[1:]}
			default:
				v, err := strconv.ParseInt(t, 10, 64)
				if err != nil {
					panic("smartengine: bad pattern immediate " + strconv.Quote(line))
				}
				p.imm[i] = ptok{kind: 'l', val: uint64(v)}
			}
		}
		out = append(out, p)
	}
	return out
}

// matchAt reports whether code[at:] starts with pat, filling binds.
func matchAt(pat []pinstr, code []winstr, at int, binds map[string]uint64) bool {
	if len(code)-at < len(pat) {
		return false
	}
	clear(binds)
	for i, p := range pat {
		in := code[at+i]
		if in.op != p.op {
			return false
		}
		if in.op >= 0x28 && in.op <= 0x3e && in.imm[0]&0x40 != 0 {
			return false // multi-memory: the helpers work on memory 0 only
		}
		for j := 0; j < p.nimm; j++ {
			t, v := p.imm[j], in.imm[j]
			switch t.kind {
			case 'l':
				if v != t.val {
					return false
				}
			case '$':
				if b, ok := binds[t.name]; ok && b != v {
					return false
				} else if !ok {
					binds[t.name] = v
				}
			}
		}
	}
	return true
}

// distinct reports whether the named bindings all differ.
func distinct(binds map[string]uint64, names ...string) bool {
	for i, a := range names {
		for _, b := range names[i+1:] {
			if binds[a] == binds[b] {
				return false
			}
		}
	}
	return true
}

// getU8Pattern: bytes::Buf::get_u8 on a Cursor<&[u8]> laid out as
// {pos u64 @0, ptr @8, len @16}. Whole body; only the path ending in
// return is taken when a byte is left, the others panic.
var getU8Pattern = mustPattern(`
block
block
local.get 0
i64.load _ 0
local.tee 1
local.get 0
i32.const 16
i32.add
i32.load _ 0
local.tee 2
i64.extend_i32_u
i64.ge_u
br_if 0
local.get 2
local.get 1
i32.wrap_i64
local.tee 3
i32.eq
br_if 0
local.get 2
local.get 3
i32.ge_u
br_if 1
local.get 3
local.get 2
i32.const _
call _
unreachable
end
i32.const _
i32.const _
i32.const _
call _
unreachable
end
block
block
local.get 3
i32.const 1
i32.add
local.tee 4
i32.eqz
br_if 0
local.get 4
local.get 2
i32.gt_u
br_if 1
local.get 0
i32.load _ 8
local.get 3
i32.add
i32.load8_u _ 0
local.set 2
local.get 0
local.get 4
i64.extend_i32_u
i64.store _ 0
local.get 2
return
end
i32.const _
i32.const _
i32.const _
call _
unreachable
end
i32.const _
i32.const _
i32.const _
call _
unreachable
end`)

// putU8Prefix: the start of fluvio-protocol's u8 encoder into a Vec<u8>
// {ptr @0, cap @4, len @8} (param 2), writing result tag 4 (Ok) to param
// 0. When len is below the capacity and not i32::MAX this is the whole
// path taken: it returns before anything that follows.
var putU8Prefix = mustPattern(`
block
local.get 2
i32.const 8
i32.add
i32.load _ 0
local.tee 3
i32.const 2147483647
i32.eq
br_if 0
block
local.get 2
i32.load _ 4
local.get 3
i32.ne
br_if 0
local.get 2
local.get 3
i32.const 1
call $grow
local.get 2
i32.const 8
i32.add
i32.load _ 0
local.set 3
end
local.get 0
i32.const 4
i32.store8 _ 0
local.get 2
i32.const 8
i32.add
local.get 3
i32.const 1
i32.add
i32.store _ 0
local.get 2
i32.load _ 0
local.get 3
i32.add
local.get 1
i32.store8 _ 0
return
end`)

// decodeLoopPattern: a loop body (after `loop`) reading $n bytes from the
// cursor in local $c into the Vec in local $v.
var decodeLoopPattern = mustPattern(`
local.get $c
i64.load _ 0
local.tee $pos
local.get $c
i32.load _ 16
local.tee $len
i64.extend_i32_u
i64.ge_u
br_if _
local.get $len
local.get $pos
i32.wrap_i64
i32.eq
br_if _
local.get $c
call $get
local.set $b
block
local.get $v
i32.load _ 8
local.tee $len
local.get $v
i32.load _ 4
i32.ne
br_if 0
local.get $v
local.get $len
call _
local.get $v
i32.load _ 8
local.set $len
end
local.get $v
local.get $len
i32.const 1
i32.add
i32.store _ 8
local.get $v
i32.load _ 0
local.get $len
i32.add
local.get $b
i32.store8 _ 0
local.get $n
i32.const -1
i32.add
local.tee $n
br_if 0`)

// encodeLoopPattern: a loop body pushing $n bytes from address $p onto the
// Vec at $a+$k2, the encoder's result tag at $a+$k1.
var encodeLoopPattern = mustPattern(`
local.get $a
i32.const $k1
i32.add
local.get $p
i32.load8_u _ 0
local.get $a
i32.const $k2
i32.add
call $put
local.get $a
i32.load8_u _ $k1
local.tee $t
i32.const 4
i32.ne
br_if _
local.get $p
i32.const 1
i32.add
local.set $p
local.get $n
i32.const -1
i32.add
local.tee $n
br_if 0
end`)

// memchrLoopPattern: core's word-at-a-time memchr (inlined wherever a
// module searches bytes for a byte, as str::contains(char) does): a loop
// body testing the two 4-byte words at $base+$i for the byte repeated in
// $needle, leaving the loop on a hit, and going on while $i+8 <= $limit.
// The word test is exact ("some byte equals the needle") only for a needle
// below 0x80, the only ones LLVM compiles to this form (it drops the xor
// from the ~x term because the needle's high bits are clear).
var memchrLoopPattern = mustPattern(`
local.get $base
local.get $i
i32.add
local.tee $w
i32.load _ 0
` + hasNeedlePattern + `br_if $exit1
local.get $w
i32.const 4
i32.add
i32.load _ 0
` + hasNeedlePattern + `br_if $exit2
local.get $i
i32.const 8
i32.add
local.tee $i
local.get $limit
i32.le_u
br_if 0
end`)

// hasNeedlePattern: whether the word on the stack (kept in $x) has a byte
// equal to the one repeated in $needle, as memchr tests it.
const hasNeedlePattern = `local.tee $x
i32.const -1
i32.xor
local.get $x
i32.const $needle
i32.xor
i32.const -16843009
i32.add
i32.and
i32.const -2139062144
i32.and
`

// asciiLoopPattern: the ASCII fast path of core's UTF-8 validation
// (str::from_utf8): a loop body leaving on a byte >= 0x80 in the two words
// at $p+$i, then going on while $i+8 < $lim.
var asciiLoopPattern = mustPattern(`
local.get $p
local.get $i
i32.add
local.tee $w
i32.load _ 0
i32.const -2139062144
i32.and
br_if $exit1
local.get $w
i32.const 4
i32.add
i32.load _ 0
i32.const -2139062144
i32.and
br_if $exit2
local.get $i
i32.const 8
i32.add
local.tee $i
local.get $lim
i32.ge_u
br_if $exit3
br 0
end`)

// Memory functions recognised by the SHA-256 of their body (locals and
// code, as in the code section): compiler-builtins' memcpy, memmove and
// memset for wasm32 without bulk memory, as found in SmartModules built
// with Fluvio's Rust SDK.
const (
	memCopy = iota + 1
	memFill
	memIndexByte
	memValidUTF8 // Go's unicode/utf8.Valid, recognised by name (goValidUTF8)
)

var bodyDigests = map[string]int{
	"c3913f3abbac98f6d6e13e70ec6a76f30b6b43194b4836b2f3d7c3cc982a7727": memCopy, // memcpy
	"82c638affbc229c820fbab001d944df425ac1ebad826862dc8254c6e64e67732": memCopy, // memmove
	"ecbe5a30ab5f40272a4ff2050e224deebb8e160591c3841278cb9c44083707f8": memFill, // memset
	// Go's memchr (internal/bytealg, hand-written wasm behind IndexByte,
	// bytes.IndexRune, strings.Contains...): memchr(s, c, n) returns the
	// address of the first byte c in [s, s+n), or 0.
	"55d0ed588c529962a8c8c9505629d271574a301bfe4393fb29a9e44f6361cb77": memIndexByte,
}

// digestOf returns the hex SHA-256 of a function body.
func digestOf(body []byte) string {
	s := sha256.Sum256(body)
	return hex.EncodeToString(s[:])
}

// accel holds what pass one found: which functions are get_u8, put_u8 and
// memory functions, and the indices the helpers get.
type accel struct {
	getU8, putU8 map[uint32]bool // function index
	mem          map[uint32]int  // defined function number → memCopy/memFill
	decodeFast   uint32          // function indices of the appended helpers
	encodeFast   uint32
	memchrFast   uint32
	asciiFast    uint32
	grow         int64 // the encoder's reserve function, or -1
	stats        accelStats
	binds        map[string]uint64
	code         []winstr
}

// decodeAll decodes a function body: where its code starts and its
// instructions.
func decodeAll(body []byte, code []winstr) (int, []winstr, error) {
	r := &wreader{b: body}
	groups := r.u32()
	for i := uint32(0); i < groups && r.err == nil; i++ {
		r.u32()
		r.valType() // a typed reference takes more than a byte
	}
	if r.err != nil {
		return 0, nil, r.err
	}
	start := r.off
	code = code[:0]
	for r.off < len(body) {
		in, err := nextInstr(r)
		if err != nil {
			return 0, nil, err
		}
		code = append(code, in)
	}
	return start, code, nil
}

// survey is pass one over the code section: it classifies functions.
// imported is the number of imported functions; goValid is the defined
// function number of Go's utf8.Valid (see goValidUTF8), or -1.
func (a *accel) survey(codeSec []byte, imported uint32, goValid int64) error {
	a.getU8, a.putU8, a.mem = map[uint32]bool{}, map[uint32]bool{}, map[uint32]int{}
	if goValid >= 0 {
		a.mem[uint32(goValid)] = memValidUTF8
	}
	a.binds = map[string]uint64{}
	grows := map[uint32]bool{}
	r := &wreader{b: codeSec}
	n := r.u32()
	for i := uint32(0); i < n && r.err == nil; i++ {
		body := r.take(int(r.u32()))
		if r.err != nil {
			break
		}
		if len(body) > 4096 { // the idioms are small functions: no need to hash the rest
			continue
		}
		if kind, ok := bodyDigests[digestOf(body)]; ok {
			a.mem[i] = kind
			continue
		}
		_, code, err := decodeAll(body, a.code)
		if err != nil {
			return err
		}
		a.code = code
		switch {
		case len(code) == len(getU8Pattern) && matchAt(getU8Pattern, code, 0, a.binds):
			a.getU8[imported+i] = true
		case matchAt(putU8Prefix, code, 0, a.binds):
			a.putU8[imported+i] = true
			grows[uint32(a.binds["grow"])] = true
		}
	}
	a.grow = -1
	if len(grows) == 1 { // one encoder (the usual case): its reserve is the helper's
		for g := range grows {
			a.grow = int64(g)
		}
	}
	return r.err
}

// siteCall returns the instructions to insert at the top of the loop whose
// body starts at code[at], or nil if the loop is not one of the idioms.
func (a *accel) siteCall(code []winstr, at int) []byte {
	b := a.binds
	if len(a.getU8) > 0 && matchAt(decodeLoopPattern, code, at, b) &&
		a.getU8[uint32(b["get"])] && distinct(b, "c", "v", "n", "pos", "len", "b") {
		a.stats.DecodeLoops++
		return asm(nil).get(b["c"]).get(b["v"]).get(b["n"]).call(a.decodeFast).set(b["n"])
	}
	if len(a.putU8) > 0 && matchAt(encodeLoopPattern, code, at, b) &&
		a.putU8[uint32(b["put"])] && distinct(b, "a", "p", "n", "t") {
		a.stats.EncodeLoops++
		return asm(nil).get(b["p"]).get(b["n"]).
			get(b["a"]).i32(int64(b["k2"])).op(opI32Add).
			get(b["a"]).i32(int64(b["k1"])).op(opI32Add).
			call(a.encodeFast).set(b["n"]).set(b["p"])
	}
	if matchAt(memchrLoopPattern, code, at, b) && b["exit1"] > 0 && b["exit2"] > 0 &&
		distinct(b, "base", "i", "w", "x", "limit") {
		needle := uint32(b["needle"])
		if c := needle & 0xff; c < 0x80 && needle == c*0x01010101 {
			a.stats.ScanLoops++
			return asm(nil).get(b["base"]).get(b["i"]).get(b["limit"]).i32(int64(c)).
				call(a.memchrFast).set(b["i"])
		}
	}
	if matchAt(asciiLoopPattern, code, at, b) && b["exit1"] > 0 && b["exit2"] > 0 && b["exit3"] > 0 &&
		distinct(b, "p", "i", "w", "lim") {
		a.stats.ScanLoops++
		return asm(nil).get(b["p"]).get(b["i"]).get(b["lim"]).call(a.asciiFast).set(b["i"])
	}
	return nil
}

// memBody returns the replacement body of a memory function.
func memBody(kind int) []byte {
	s := asm{0}.get(2).op(opIf, blockTypeNil).get(0).get(1).get(2) // no locals; if n != 0
	if kind == memCopy {
		s = s.op(opPrefixFC, 10, 0, 0) // memory.copy
	} else {
		s = s.op(opPrefixFC, 11, 0) // memory.fill
	}
	return s.op(opEnd).get(0).op(opEnd)
}

// Types of the helpers, appended to the type section.
var helperTypes = [][]byte{
	{0x60, 3, valI32, valI32, valI32, 1, valI32},                 // decodeFast
	{0x60, 4, valI32, valI32, valI32, valI32, 2, valI32, valI32}, // encodeFast
	{0x60, 4, valI32, valI32, valI32, valI32, 1, valI32},         // memchrFast
}

// helperTypeOf is the helperTypes entry of each helper, in helperBodies'
// order.
var helperTypeOf = []int{0, 1, 2, 0}

// helperBodies returns the bodies of decodeFast, encodeFast, memchrFast
// and asciiFast, whose indices are consecutive from decodeFast.
func (a *accel) helperBodies() [][]byte {
	return [][]byte{decodeFastBody(), encodeFastBody(a.grow), memchrFastBody(), asciiFastBody()}
}

// setHelperIndices numbers the helpers from first.
func (a *accel) setHelperIndices(first uint32) {
	a.decodeFast, a.encodeFast, a.memchrFast, a.asciiFast = first, first+1, first+2, first+3
}

// asm is a tiny assembler for the helpers.
type asm []byte

func (s asm) get(i uint64) asm  { return localOp(s, opLocalGet, i) }
func (s asm) set(i uint64) asm  { return localOp(s, opLocalSet, i) }
func (s asm) op(b ...byte) asm  { return append(s, b...) }
func (s asm) i32(v int64) asm   { return appendSleb(append(s, opI32Const), v) }
func (s asm) call(f uint32) asm { return localOp(s, opCall, uint64(f)) }
func (s asm) tee(i uint64) asm  { return localOp(s, opLocalTee, i) }
func (s asm) uleb(v uint32) asm { return binary.AppendUvarint(s, uint64(v)) }
func (s asm) simd(sub byte) asm { return append(s, opPrefixFD, sub) }
func (s asm) simdMem(sub byte, align, off uint64) asm {
	s = binary.AppendUvarint(s.simd(sub), align)
	return binary.AppendUvarint(s, off)
}
func (s asm) mem(op byte, align, off uint64) asm {
	s = binary.AppendUvarint(append(s, op), align)
	return binary.AppendUvarint(s, off)
}

// returnIf returns the given locals when the value on the stack is
// non-zero.
func (s asm) returnIf(locals ...uint64) asm {
	s = s.op(opIf, blockTypeNil)
	for _, l := range locals {
		s = s.get(l)
	}
	return s.op(opReturn, opEnd)
}

// minInto sets local dst to min(dst, other) (unsigned).
func (s asm) minInto(dst, other uint64) asm {
	return s.get(other).get(dst).get(other).get(dst).op(opI32LtU, opSelect).set(dst)
}

// requireDisjoint returns the given locals unless [a, a+alen) and
// [b, b+blen) are disjoint (a+alen <= b || b+blen <= a, in 64 bits so
// nothing wraps). a, alen and b are locals, blen a constant.
func (s asm) requireDisjoint(a, alen, b uint64, blen int64, ret ...uint64) asm {
	return s.disjoint(a, alen, b, appendSleb([]byte{opI64Const}, blen)).returnIf(ret...)
}

// requireDisjointL is requireDisjoint with blen a local.
func (s asm) requireDisjointL(a, alen, b, blen uint64, ret ...uint64) asm {
	return s.disjoint(a, alen, b, asm(nil).get(blen).op(opI64ExtendI32)).returnIf(ret...)
}

// disjoint pushes whether [a, a+alen) and [b, b+blen) overlap, blen64
// being the code that pushes blen as an i64.
func (s asm) disjoint(a, alen, b uint64, blen64 []byte) asm {
	s = s.get(a).op(opI64ExtendI32).get(alen).op(opI64ExtendI32, opI64Add).get(b).op(opI64ExtendI32, opI64LeU)
	s = s.get(b).op(opI64ExtendI32).op(blen64...)
	s = s.op(opI64Add).get(a).op(opI64ExtendI32, opI64LeU)
	return s.op(opI32Or, opI32Eqz)
}

// decodeFastBody: decodeFast(cursor, vec, n) → n'. Locals: 3 pos, 4 k,
// 5 src, 6 dst, 7 vlen, 8 tmp.
func decodeFastBody() []byte {
	const c, v, n, pos, k, src, dst, vlen, tmp = 0, 1, 2, 3, 4, 5, 6, 7, 8
	s := asm{1, 6, valI32}
	s = s.get(n).i32(2).op(opI32LtS).returnIf(n)
	// pos (u64) >= len: nothing left
	s = s.get(c).mem(opI64Load, 3, 0).get(c).mem(opI64Load32U, 2, 16).op(opI64GeU).returnIf(n)
	s = s.get(c).mem(opI32Load, 2, 0).set(pos)
	s = s.get(c).mem(opI32Load, 2, 16).get(pos).op(opI32Sub).set(k) // input left
	s = s.get(v).mem(opI32Load, 2, 8).set(vlen)
	s = s.get(v).mem(opI32Load, 2, 4).get(vlen).op(opI32LeU).returnIf(n) // no spare capacity
	s = s.get(v).mem(opI32Load, 2, 4).get(vlen).op(opI32Sub).set(tmp).minInto(k, tmp)
	s = s.get(n).i32(1).op(opI32Sub).set(tmp).minInto(k, tmp)
	s = s.get(c).mem(opI32Load, 2, 8).get(pos).op(opI32Add).set(src)
	s = s.get(v).mem(opI32Load, 2, 0).get(vlen).op(opI32Add).set(dst)
	s = s.requireDisjointL(src, k, dst, k, n)
	s = s.requireDisjoint(src, k, c, 24, n)
	s = s.requireDisjoint(src, k, v, 12, n)
	s = s.requireDisjoint(dst, k, c, 24, n)
	s = s.requireDisjoint(dst, k, v, 12, n)
	s = s.get(dst).get(src).get(k).op(opPrefixFC, 10, 0, 0)
	s = s.get(v).get(vlen).get(k).op(opI32Add).mem(opI32Store, 2, 8)
	s = s.get(c).get(pos).get(k).op(opI32Add, opI64ExtendI32).mem(opI64Store, 3, 0)
	s = s.get(n).get(k).op(opI32Sub, opEnd)
	return s
}

// encodeFastBody: encodeFast(p, n, vec, tag) → (p', n'). Locals: 4 vlen,
// 5 k, 6 dst, 7 tmp, 8 buf. grow, when not negative, is the function the
// encoder calls to make room in the Vec, RawVec's reserve(vec, len,
// additional): where the loop grows the Vec by doubling, one reallocation
// and copy after the other (ten for a 1 KiB value), the helper reserves at
// once the capacity those doublings end with. The Vec ends with the same
// bytes and the same capacity as the loop would leave it.
func encodeFastBody(grow int64) []byte {
	const p, n, v, tag, vlen, k, dst, tmp, buf = 0, 1, 2, 3, 4, 5, 6, 7, 8
	s := asm{1, 5, valI32}
	s = s.get(n).i32(2).op(opI32LtS).returnIf(p, n)
	s = s.get(v).mem(opI32Load, 2, 8).set(vlen)
	s = s.get(n).i32(1).op(opI32Sub).set(k)
	// The encoder refuses a Vec whose length reaches i32::MAX: near it,
	// the loop does all (and reserving k+1 below stays within i32::MAX).
	s = s.get(vlen).i32(0x7ffffffe).op(opI32GeU).returnIf(p, n)
	s = s.i32(0x7ffffffe).get(vlen).op(opI32Sub).set(tmp).minInto(k, tmp)
	s = s.get(k).op(opI32Eqz).returnIf(p, n)
	s = s.requireDisjoint(p, k, v, 12, p, n)
	s = s.requireDisjoint(p, k, tag, 1, p, n)
	if grow >= 0 {
		// The loop pushes k+1 bytes (its last iteration too). If they do
		// not fit (and the source is not in the buffer that growing
		// frees), reserve what the loop's growth would end with: the
		// capacity doubled (at least 8) until they fit. Here dst holds
		// len+k+1 and tmp the capacity.
		s = s.get(v).mem(opI32Load, 2, 4).set(tmp)
		s = s.get(vlen).get(k).op(opI32Add).i32(1).op(opI32Add).set(dst)
		s = s.get(tmp).get(dst).op(opI32LtU, opIf, blockTypeNil)
		s = s.get(v).mem(opI32Load, 2, 0).set(buf)
		s = s.requireDisjointL(p, k, buf, tmp, p, n)
		s = s.op(opBlock, blockTypeNil, opLoop, blockTypeNil).get(tmp).get(dst).op(opI32GeU, opBrIf, 1)
		s = s.get(tmp).get(tmp).op(opI32Add).set(tmp)
		s = s.i32(8).get(tmp).i32(8).get(tmp).op(opI32GtU, opSelect).set(tmp)
		s = s.op(opBr, 0, opEnd, opEnd)
		s = s.get(v).get(vlen).get(tmp).get(vlen).op(opI32Sub).call(uint32(grow)).op(opEnd)
	}
	s = s.get(v).mem(opI32Load, 2, 4).get(vlen).op(opI32LeU).returnIf(p, n) // no spare capacity
	s = s.get(v).mem(opI32Load, 2, 4).get(vlen).op(opI32Sub).set(tmp).minInto(k, tmp)
	s = s.get(v).mem(opI32Load, 2, 0).get(vlen).op(opI32Add).set(dst)
	s = s.requireDisjointL(p, k, dst, k, p, n)
	s = s.requireDisjoint(dst, k, v, 12, p, n)
	s = s.requireDisjoint(dst, k, tag, 1, p, n)
	s = s.get(dst).get(p).get(k).op(opPrefixFC, 10, 0, 0)
	s = s.get(v).get(vlen).get(k).op(opI32Add).mem(opI32Store, 2, 8)
	s = s.get(tag).i32(4).mem(opI32Store8, 0, 0)
	s = s.get(p).get(k).op(opI32Add).get(n).get(k).op(opI32Sub, opEnd)
	return s
}

// scanWidth is how many bytes the scan helpers test per iteration: four
// 16-byte loads, the highest first, so that wazero checks the bounds of
// the first only (it knows the others lie below).
const scanWidth = 64

// wideScan pushes the OR of test applied to each 16 bytes of the
// scanWidth bytes at the address in local a, loaded highest first.
func (s asm) wideScan(a uint64, test func(asm) asm) asm {
	for off := uint64(scanWidth - 16); ; off -= 16 {
		s = test(s.get(a).simdMem(simdLoad, 0, off))
		if off < scanWidth-16 {
			s = s.simd(simdOr)
		}
		if off == 0 {
			return s
		}
	}
}

// memchrFastBody: memchrFast(base, i, limit, c) → i'. It performs the
// iterations of a memchr word loop (memchrLoopPattern) that would neither
// find byte c nor be the loop's last: while the 8 bytes at base+i hold no
// c and i+8 <= limit, i += 8; scanWidth bytes at a time with SIMD while
// it can. Reads only bytes the loop would read. Locals: 4 splat of c, 5
// address.
func memchrFastBody() []byte {
	const base, i, limit, c, nv, a = 0, 1, 2, 3, 4, 5
	s := asm{2, 1, valV128, 1, valI32}
	s = s.get(c).simd(simdI8x16Splat).set(nv)
	// scanWidth bytes while i+scanWidth <= limit
	s = s.op(opBlock, blockTypeNil).get(limit).i32(scanWidth).op(opI32LtU, opBrIf, 0)
	s = s.op(opLoop, blockTypeNil).get(i).get(limit).i32(scanWidth).op(opI32Sub, opI32GtU, opBrIf, 1)
	s = s.get(base).get(i).op(opI32Add).set(a)
	s = s.wideScan(a, func(s asm) asm { return s.get(nv).simd(simdI8x16Eq) }).simd(simdAnyTrue).op(opBrIf, 1)
	s = s.get(i).i32(scanWidth).op(opI32Add).set(i).op(opBr, 0, opEnd, opEnd)
	// then 8 bytes while i+8 <= limit
	s = s.op(opBlock, blockTypeNil).get(limit).i32(8).op(opI32LtU, opBrIf, 0)
	s = s.op(opLoop, blockTypeNil).get(i).get(limit).i32(8).op(opI32Sub, opI32GtU, opBrIf, 1)
	s = s.get(base).get(i).op(opI32Add).simdMem(simdLoad64Dup, 0, 0).get(nv).simd(simdI8x16Eq)
	s = s.simd(simdAnyTrue).op(opBrIf, 1)
	s = s.get(i).i32(8).op(opI32Add).set(i).op(opBr, 0, opEnd, opEnd)
	return s.get(i).op(opEnd)
}

// asciiFastBody: asciiFast(p, i, lim) → i'. It performs the iterations of
// an ASCII word loop (asciiLoopPattern) that would neither meet a byte >=
// 0x80 nor be the loop's last: while the 8 bytes at p+i are ASCII and
// i+8 < lim, i += 8; scanWidth bytes at a time with SIMD while it can.
// Locals: 3 address.
func asciiFastBody() []byte {
	const p, i, lim, a = 0, 1, 2, 3
	s := asm{1, 1, valI32}
	// scanWidth bytes while i+scanWidth < lim
	s = s.op(opBlock, blockTypeNil).get(lim).i32(scanWidth).op(opI32LeU, opBrIf, 0)
	s = s.op(opLoop, blockTypeNil).get(i).get(lim).i32(scanWidth).op(opI32Sub, opI32GeU, opBrIf, 1)
	s = s.get(p).get(i).op(opI32Add).set(a)
	s = s.wideScan(a, func(s asm) asm { return s }).simd(simdI8x16Mask).op(opBrIf, 1)
	s = s.get(i).i32(scanWidth).op(opI32Add).set(i).op(opBr, 0, opEnd, opEnd)
	// then 8 bytes while i+8 < lim
	s = s.op(opBlock, blockTypeNil).get(lim).i32(8).op(opI32LeU, opBrIf, 0)
	s = s.op(opLoop, blockTypeNil).get(i).get(lim).i32(8).op(opI32Sub, opI32GeU, opBrIf, 1)
	s = s.get(p).get(i).op(opI32Add).simdMem(simdLoad64Dup, 0, 0).simd(simdI8x16Mask).op(opBrIf, 1)
	s = s.get(i).i32(8).op(opI32Add).set(i).op(opBr, 0, opEnd, opEnd)
	return s.get(i).op(opEnd)
}

// indexByteBody gives Go's memchr (memchr(s, c, n) → address of the first
// c in [s, s+n), or 0) a SIMD fast path: body is the function's own
// (instrumented) body with, before its code, a search (scanWidth bytes at
// a time, then 16, then 1) that returns the same result for any c below
// 256, the only ones Go passes. For other c the original code runs. Two
// locals are added: a v128 (splat of c) and an i32 (match mask).
func indexByteBody(body []byte) ([]byte, error) {
	const s0, c, n = 0, 1, 2
	s, nv, code, err := addLocals(body, 3, [2]byte{1, valV128}, [2]byte{1, valI32})
	if err != nil {
		return nil, err
	}
	m := nv + 1
	s = s.op(opBlock, blockTypeNil).get(c).i32(255).op(opI32GtU, opBrIf, 0)
	s = s.get(c).simd(simdI8x16Splat).set(nv)
	// scanWidth bytes at a time while none is c (the 16-byte loop then
	// finds which)
	s = s.op(opBlock, blockTypeNil, opLoop, blockTypeNil).get(n).i32(scanWidth).op(opI32LtU, opBrIf, 1)
	s = s.wideScan(s0, func(s asm) asm { return s.get(nv).simd(simdI8x16Eq) }).simd(simdAnyTrue).op(opBrIf, 1)
	s = s.get(s0).i32(scanWidth).op(opI32Add).set(s0).get(n).i32(scanWidth).op(opI32Sub).set(n)
	s = s.op(opBr, 0, opEnd, opEnd)
	s = s.op(opBlock, blockTypeNil, opLoop, blockTypeNil).get(n).i32(16).op(opI32LtU, opBrIf, 1)
	s = s.get(s0).simdMem(simdLoad, 0, 0).get(nv).simd(simdI8x16Eq).simd(simdI8x16Mask)
	s = s.tee(m).op(opIf, blockTypeNil).get(s0).get(m).op(opI32Ctz, opI32Add, opReturn, opEnd)
	s = s.get(s0).i32(16).op(opI32Add).set(s0).get(n).i32(16).op(opI32Sub).set(n)
	s = s.op(opBr, 0, opEnd, opEnd)
	s = s.op(opBlock, blockTypeNil, opLoop, blockTypeNil).get(n).op(opI32Eqz, opBrIf, 1)
	s = s.get(s0).mem(opI32Load8U, 0, 0).get(c).op(opI32Eq, opIf, blockTypeNil).get(s0).op(opReturn, opEnd)
	s = s.get(s0).i32(1).op(opI32Add).set(s0).get(n).i32(1).op(opI32Sub).set(n)
	s = s.op(opBr, 0, opEnd, opEnd)
	s = s.i32(0).op(opReturn, opEnd)
	return append(s, code...), nil
}

// goValidUTF8Name is the name Go's linker gives utf8.Valid in the name
// section of a wasm binary (it writes "/" as "_").
const goValidUTF8Name = "unicode_utf8.Valid"

// goValidUTF8 returns the defined function number of Go's utf8.Valid in a
// module built by Go (GOARCH=wasm), or -1. Go's wasm functions take their
// arguments on Go's own stack, whose pointer is global 0: utf8.Valid(p
// []byte) bool is a (i32) -> i32 function (the parameter is the resume
// point, 0 on a call) that finds p's pointer, length and capacity at
// SP+8, SP+16 and SP+24. It is recognised by its name, that type, a
// mutable i32 global 0 defined by the module, and a body that starts by
// reading global 0, as Go's prologue does; the function has had this
// signature and behaviour in every Go release.
func goValidUTF8(names, types, funcs, globals []byte, importedFuncs, importedGlobals uint32, code []byte) int64 {
	if names == nil || importedGlobals > 0 || len(globals) < 2 || globals[0] != valI32 || globals[1] != 1 {
		return -1
	}
	idx, ok := functionNamed(names, goValidUTF8Name)
	if !ok || idx < importedFuncs {
		return -1
	}
	defined := idx - importedFuncs
	if t, ok := vecEntry(funcs, defined, func(r *wreader) { r.u32() }); !ok {
		return -1
	} else if typ, ok := vecEntry(types, (&wreader{b: t}).u32(), skipFuncType); !ok ||
		string(typ) != string([]byte{0x60, 1, valI32, 1, valI32}) {
		return -1
	}
	body, ok := vecEntry(code, defined, func(r *wreader) { r.take(int(r.u32())) })
	if !ok {
		return -1
	}
	br := &wreader{b: body}
	body = br.take(int(br.u32()))
	start, _, err := decodeAll(body, nil)
	if br.err != nil || err != nil {
		return -1
	}
	if rest := body[start:]; len(rest) < 2 || rest[0] != opGlobalGet || rest[1] != 0 {
		return -1
	}
	return int64(defined)
}

// functionNamed finds a function by name in a "name" custom section's
// contents (after the section name): subsection 1, the function names.
func functionNamed(names []byte, name string) (uint32, bool) {
	r := &wreader{b: names}
	for r.off < len(r.b) && r.err == nil {
		id := r.byte()
		sub := r.take(int(r.u32()))
		if r.err != nil || id != 1 {
			continue
		}
		sr := &wreader{b: sub}
		for n := sr.u32(); n > 0 && sr.err == nil; n-- {
			idx := sr.u32()
			if sr.name() == name && sr.err == nil {
				return idx, true
			}
		}
	}
	return 0, false
}

// vecEntry returns the bytes of entry i of a vector section body whose
// entries skip reads past.
func vecEntry(vec []byte, i uint32, skip func(*wreader)) ([]byte, bool) {
	r := &wreader{b: vec}
	n := r.u32()
	if r.err != nil || i >= n {
		return nil, false
	}
	for range i {
		skip(r)
		if r.err != nil {
			return nil, false
		}
	}
	from := r.off
	skip(r)
	return r.b[from:r.off], r.err == nil
}

// skipFuncType reads past one type section entry (func types only: a rec
// group, after which entries are no longer type indices, sets the
// reader's error).
func skipFuncType(r *wreader) { r.funcType() }

// validUTF8Body gives Go's utf8.Valid (see goValidUTF8) a SIMD fast path:
// body is the function's own (instrumented) body with, before its code,
// a scan that, on a call (resume point 0), advances the argument slice
// past its longest all-ASCII prefix in steps of scanWidth, then 16,
// bytes, always leaving at least one byte. ASCII bytes are whole
// characters, so p is valid UTF-8 exactly when what is left is: the
// original code then runs on that. The slice is updated in the argument
// slots, which belong to the callee in Go's stack-based calling
// convention. Five i32 locals are added.
func validUTF8Body(body []byte) ([]byte, error) {
	s, sp, code, err := addLocals(body, 1, [2]byte{5, valI32})
	if err != nil {
		return nil, err
	}
	p, n, k, a := sp+1, sp+2, sp+3, sp+4
	s = s.get(0).op(opI32Eqz, opIf, blockTypeNil)
	s = s.op(opGlobalGet, 0).set(sp)
	s = s.get(sp).mem(opI64Load, 3, 8).op(opI32WrapI64).set(p)
	s = s.get(sp).mem(opI64Load, 3, 16).op(opI32WrapI64).set(n)
	for _, step := range []int64{scanWidth, 16} {
		// while more than step bytes are left and the next step are ASCII
		s = s.op(opBlock, blockTypeNil, opLoop, blockTypeNil)
		s = s.get(n).get(k).op(opI32Sub).i32(step).op(opI32LeU, opBrIf, 1)
		s = s.get(p).get(k).op(opI32Add).set(a)
		if step == scanWidth {
			s = s.wideScan(a, func(s asm) asm { return s })
		} else {
			s = s.get(a).simdMem(simdLoad, 0, 0)
		}
		s = s.simd(simdI8x16Mask).op(opBrIf, 1)
		s = s.get(k).i32(step).op(opI32Add).set(k).op(opBr, 0, opEnd, opEnd)
	}
	s = s.get(k).op(opIf, blockTypeNil)
	s = s.get(sp).get(p).get(k).op(opI32Add, opI64ExtendI32).mem(opI64Store, 3, 8)
	for _, off := range []uint64{16, 24} {
		s = s.get(sp).get(sp).mem(opI64Load, 3, off).get(k).op(opI64ExtendI32, opI64Sub).mem(opI64Store, 3, off)
	}
	s = s.op(opEnd, opEnd)
	return append(s, code...), nil
}

// addLocals splits a function body (params parameters) into its local
// declarations and its code. It returns the declarations with the extra
// groups (count, type) appended, the index of the first added local, and
// the code.
func addLocals(body []byte, params uint64, extra ...[2]byte) (decls asm, first uint64, code []byte, err error) {
	r := &wreader{b: body}
	groups := r.u32()
	from := r.off
	first = params
	for i := uint32(0); i < groups && r.err == nil; i++ {
		first += uint64(r.u32())
		r.valType()
	}
	if r.err != nil {
		return nil, 0, nil, r.err
	}
	decls = binary.AppendUvarint(nil, uint64(groups)+uint64(len(extra)))
	decls = append(decls, body[from:r.off]...)
	for _, g := range extra {
		decls = append(decls, g[0], g[1])
	}
	return decls, first, body[r.off:], nil
}

// appendSleb appends v as a signed LEB128 (binary.AppendVarint is zigzag).
func appendSleb(dst []byte, v int64) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(dst, b)
		}
		dst = append(dst, b|0x80)
	}
}

func localOp(dst []byte, op byte, idx uint64) []byte {
	return binary.AppendUvarint(append(dst, op), idx)
}
