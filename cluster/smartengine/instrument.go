package smartengine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Deadline instrumentation.
//
// Why rewrite modules instead of wazero's WithCloseOnContextDone? That
// option makes every loop iteration of compiled code call a trampoline that
// leaves machine code for Go to check whether the module was closed. The
// SmartModules of the field decode records byte by byte, so that check ran
// once per byte and cost 3–5× the whole transform (filter-on-a.wasm: 11k vs
// 60k records/s of 1 KiB). Instead every loop header gets
//
//	global.get $fuel  i32.const 1  i32.sub  global.set $fuel
//	global.get $fuel  i32.const 0  i32.le_s
//	if
//	  i32.const 0  memory.grow 0  drop       ;; leaves machine code for Go
//	  global.get $stop  if  unreachable  end
//	  i32.const fuelPerYield  global.set $fuel
//	end
//
// on two mutable globals the module exports (stopGlobalExport,
// fuelGlobalExport). When a call outlives its deadline (or its context
// ends) the host sets $stop to 1 and $fuel to 0 from a timer; the guest
// traps at its next loop iteration and the engine reports ErrTimeout.
//
// Why the countdown and the memory.grow of nothing? Go cannot preempt a
// goroutine running compiled wasm: its preemption signal finds no Go code
// at the interrupted instruction. A module looping forever would then hold
// its thread until it returned, and so would block every stop-the-world
// phase of the garbage collector, which waits for all goroutines, the
// timer that sets $stop among them: the whole process would hang (it did,
// in a test). wazero runs memory.grow in Go, so every fuelPerYield
// iterations the guest passes through Go code, where the runtime can stop
// it for the collector or let the timer run. Should the host's write of
// $fuel be lost to the guest's own decrement, $stop is still seen within
// fuelPerYield iterations. A module without a memory (no SmartModule) gets
// only the $stop check. Code without loops always ends (recursion hits the
// stack limit).
//
// A start section is removed and its function exported under
// startFuncExport, so the engine runs it after instantiation under the same
// deadline; instantiation itself (memory, tables, data) cannot loop.

// fuelPerYield is how many loop iterations a guest runs between two
// passes through Go: about 0.1 ms at most, for a cost of one exit to Go
// (~100 ns) per 65536 iterations.
const fuelPerYield = 1 << 16

// Exports added by instrument. Guests cannot know them in advance; a module
// already exporting one of these names is refused.
const (
	stopGlobalExport = "__fluvio_smartengine_stop"
	fuelGlobalExport = "__fluvio_smartengine_fuel"
	startFuncExport  = "__fluvio_smartengine_start"
)

// Wasm binary constants used by instrument.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
	extFunc      = 0
	extTable     = 1
	extMemory    = 2
	extGlobal    = 3
	extTag       = 4
)

// errInstrument wraps every failure to instrument a module; such a module
// is refused as ErrCompile.
var errInstrument = errors.New("instrument module")

// instrumented is the result of instrument.
type instrumented struct {
	wasm     []byte
	hasStart bool // the module had a start section, now exported as startFuncExport
	accel    accelStats
	// The module's data segments, applied: wasm has no data section and
	// the instance's memory gets data at dataAt instead (see dataImage).
	data   []byte
	dataAt uint32
}

// instrument returns wasm with a stop check at every loop header (see the
// note above) and, when accelerate is set, the idioms of accelerate.go
// replaced. Custom sections named .debug_* are dropped: their code offsets
// would be wrong.
func instrument(wasm []byte, accelerate bool) (instrumented, error) {
	var res instrumented
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return res, fmt.Errorf("%w: not a wasm binary", errInstrument)
	}
	type section struct {
		id   byte
		body []byte
	}
	var secs []section
	var seen [256]bool
	r := &wreader{b: wasm, off: 8}
	for r.off < len(r.b) {
		id := r.byte()
		n := r.u32()
		body := r.take(int(n))
		if r.err != nil {
			return res, fmt.Errorf("%w: section %d: %w", errInstrument, id, r.err)
		}
		if id != secCustom && seen[id] { // sections are rewritten by id
			return res, fmt.Errorf("%w: section %d repeated", errInstrument, id)
		}
		seen[id] = true
		secs = append(secs, section{id, body})
	}

	var importedGlobals, importedFuncs uint32
	hasMemory, importsMemory := false, false
	var types, funcs, code []byte // bodies of the type, function and code sections
	var globals []byte            // body of the global section without its count
	var globalCount uint32
	var exports []byte
	var exportCount uint32
	var names []byte // the "name" custom section's contents
	var dataSec []byte
	hasDataCount := false
	startFunc := int64(-1)
	for _, s := range secs {
		switch s.id {
		case secImport:
			f, g, m, err := countImports(s.body)
			if err != nil {
				return res, err
			}
			importedFuncs, importedGlobals = f, g
			hasMemory = hasMemory || m > 0
			importsMemory = m > 0
		case secCustom:
			sr := &wreader{b: s.body}
			if sr.name() == "name" && sr.err == nil {
				names = s.body[sr.off:]
			}
		case secMemory:
			hasMemory = hasMemory || (&wreader{b: s.body}).u32() > 0
		case secData:
			dataSec = s.body
		case secDataCount:
			hasDataCount = true
		case secType:
			types = s.body
		case secFunction:
			funcs = s.body
		case secCode:
			code = s.body
		case secGlobal:
			sr := &wreader{b: s.body}
			globalCount = sr.u32()
			globals = s.body[sr.off:]
			if sr.err != nil {
				return res, fmt.Errorf("%w: global section: %w", errInstrument, sr.err)
			}
		case secExport:
			sr := &wreader{b: s.body}
			exportCount = sr.count() // bounded: a bad count must not loop 2^32 times
			exports = s.body[sr.off:]
			for range exportCount {
				name := sr.name()
				sr.byte()
				sr.u32()
				if name == stopGlobalExport || name == fuelGlobalExport || name == startFuncExport {
					return res, fmt.Errorf("%w: the module exports the reserved name %s", errInstrument, name)
				}
			}
			if sr.err != nil {
				return res, fmt.Errorf("%w: export section: %w", errInstrument, sr.err)
			}
		case secStart:
			sr := &wreader{b: s.body}
			startFunc = int64(sr.u32())
			if sr.err != nil {
				return res, fmt.Errorf("%w: start section: %w", errInstrument, sr.err)
			}
		}
	}
	stopIdx := importedGlobals + globalCount
	if hasMemory && !importsMemory && !hasDataCount && dataSec != nil {
		res.data, res.dataAt = dataImage(dataSec)
	}

	// The code section first: whether helpers are appended to the type,
	// function and code sections depends on what it finds.
	var a *accel
	// Every idiom accelerated works on memory; the helpers load from it.
	if accelerate && hasMemory && code != nil && types != nil && funcs != nil {
		a = &accel{}
		goValid := goValidUTF8(names, types, funcs, globals, importedFuncs, importedGlobals, code)
		if err := a.survey(code, importedFuncs, goValid); err != nil {
			return res, fmt.Errorf("%w: code section: %w", errInstrument, err)
		}
		defined := (&wreader{b: funcs}).u32()
		a.setHelperIndices(importedFuncs + defined)
	}
	codeSec, err := instrumentCode(code, loopCheck(stopIdx, stopIdx+1, hasMemory), a)
	if err != nil {
		return res, err
	}
	if a != nil {
		res.accel = a.stats
		if a.stats.loops() > 0 {
			// the helpers' types go after the module's (a rec group's
			// types count each)
			tr, typeBase := &wreader{b: types}, uint64(0)
			for range tr.count() {
				typeBase += tr.typeEntry()
			}
			if types, err = appendVec(types, helperTypes...); err != nil {
				return res, fmt.Errorf("%w: type section: %w", errInstrument, err)
			}
			var idx [][]byte
			for _, t := range helperTypeOf {
				idx = append(idx, binary.AppendUvarint(nil, typeBase+uint64(t)))
			}
			if funcs, err = appendVec(funcs, idx...); err != nil {
				return res, fmt.Errorf("%w: function section: %w", errInstrument, err)
			}
			var bodies [][]byte
			for _, b := range a.helperBodies() {
				bodies = append(bodies, append(binary.AppendUvarint(nil, uint64(len(b))), b...))
			}
			if codeSec, err = appendVec(codeSec, bodies...); err != nil {
				return res, fmt.Errorf("%w: code section: %w", errInstrument, err)
			}
		}
	}

	// New global: mutable i32 initialised to 0.
	// New globals: $stop, mutable i32 0, and $fuel, mutable i32 fuelPerYield.
	globalSec := binary.AppendUvarint(nil, uint64(globalCount+2))
	globalSec = append(globalSec, globals...)
	globalSec = append(globalSec, 0x7f, 0x01, 0x41, 0x00, 0x0b)
	globalSec = append(appendSleb(append(globalSec, 0x7f, 0x01, 0x41), fuelPerYield), 0x0b)
	// Exports: the two globals and, if any, the former start function.
	added := uint32(2)
	if startFunc >= 0 {
		added++
	}
	exportSec := binary.AppendUvarint(nil, uint64(exportCount+added))
	exportSec = append(exportSec, exports...)
	exportSec = appendName(exportSec, stopGlobalExport)
	exportSec = append(exportSec, extGlobal)
	exportSec = binary.AppendUvarint(exportSec, uint64(stopIdx))
	exportSec = appendName(exportSec, fuelGlobalExport)
	exportSec = append(exportSec, extGlobal)
	exportSec = binary.AppendUvarint(exportSec, uint64(stopIdx+1))
	if startFunc >= 0 {
		exportSec = appendName(exportSec, startFuncExport)
		exportSec = append(exportSec, extFunc)
		exportSec = binary.AppendUvarint(exportSec, uint64(startFunc))
		res.hasStart = true
	}

	out := make([]byte, 0, len(wasm)+len(wasm)/8+64)
	out = append(out, wasm[:8]...)
	wroteGlobal, wroteExport := false, false
	// order is the position of known sections in the binary order; the
	// global and export sections go before the first section that must
	// follow them.
	order := func(id byte) int {
		switch id {
		case secDataCount:
			return 9 // after element (9), before code (10)
		case secCode:
			return 10
		case 11:
			return 11
		case 13: // tag: between memory and global
			return 5
		}
		return int(id)
	}
	appendSec := func(id byte, body []byte) {
		out = append(out, id)
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	for _, s := range secs {
		if s.id != secCustom {
			if !wroteGlobal && order(s.id) > secGlobal {
				appendSec(secGlobal, globalSec)
				wroteGlobal = true
			}
			if !wroteExport && order(s.id) > secExport {
				appendSec(secExport, exportSec)
				wroteExport = true
			}
		}
		switch {
		case s.id == secGlobal || s.id == secExport || s.id == secStart:
			continue // rewritten (start: dropped)
		case s.id == secData && res.data != nil:
			continue // applied as one image
		case s.id == secCustom:
			nr := &wreader{b: s.body}
			if strings.HasPrefix(nr.name(), ".debug_") {
				continue
			}
			appendSec(s.id, s.body)
		case s.id == secCode:
			appendSec(s.id, codeSec)
		case s.id == secType:
			appendSec(s.id, types)
		case s.id == secFunction:
			appendSec(s.id, funcs)
		case s.id == secTable:
			t, err := capTables(s.body)
			if err != nil {
				return res, err
			}
			appendSec(s.id, t)
		default:
			appendSec(s.id, s.body)
		}
	}
	if !wroteGlobal {
		appendSec(secGlobal, globalSec)
	}
	if !wroteExport {
		appendSec(secExport, exportSec)
	}
	res.wasm = out
	return res, nil
}

// capTables rewrites a table section so that its tables together can hold
// at most maxTableElements references (see checkBounds): table.grow
// allocates what it asks for, and a table without a maximum (Go modules'
// one) could grow to 2^32 elements, 32 GB. Each table's maximum becomes
// its minimum plus what is left of the budget, in order, or less if it
// declared less; growth past it fails as growth past a declared maximum
// does (table.grow returns -1). Neither Rust nor Go modules grow tables.
func capTables(body []byte) ([]byte, error) {
	r := &wreader{b: body}
	n := r.count()
	out := binary.AppendUvarint(nil, uint64(n))
	tabs := make([]tableEntry, 0, n)
	var sum uint64
	for range n {
		tabs = append(tabs, r.tableType())
		sum += uint64(tabs[len(tabs)-1].min)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: table section: %w", errInstrument, r.err)
	}
	if sum > maxTableElements {
		return nil, fmt.Errorf("%w: tables of %d elements, more than %d", errInstrument, sum, maxTableElements)
	}
	left := maxTableElements - sum
	for _, t := range tabs {
		grow := min(left, max(t.max, uint64(t.min))-uint64(t.min))
		left -= grow
		out = append(out, t.head...)
		out = append(out, 0x01)
		out = binary.AppendUvarint(out, uint64(t.min))
		out = binary.AppendUvarint(out, uint64(t.min)+grow)
		out = append(out, t.tail...)
	}
	return out, nil
}

// maxDataImage bounds the memory image dataImage builds.
const maxDataImage = 16 << 20

// dataImage applies a data section's segments, in order, to a zeroed
// image of the memory they cover, and returns it with its address: what
// instantiation writes into memory 0, as one copy. Why? Go modules carry
// tens of thousands of data segments, and wazero applying them one by one
// (evaluating each offset) was most of the 3 ms an instance of a Go
// SmartModule took to start. It returns nil unless every segment is
// active, in memory 0, at an i32.const offset, and the image stays under
// maxDataImage; the data section is then kept as it is.
func dataImage(sec []byte) ([]byte, uint32) {
	type segment struct {
		at    uint64
		bytes []byte
	}
	r := &wreader{b: sec}
	n := r.u32()
	if r.err != nil || n == 0 || uint64(n) > uint64(len(sec)) {
		return nil, 0
	}
	segs := make([]segment, 0, n)
	lo, hi := uint64(math.MaxUint64), uint64(0)
	for range n {
		if r.u32() != 0 || r.byte() != opI32Const { // passive or explicit memory: keep the section
			return nil, 0
		}
		from := r.off
		v := r.s64() // i32.const: a signed LEB of at most 5 bytes; the address is its 32 bits
		if r.off-from > 5 || v < math.MinInt32 || v > math.MaxInt32 || r.byte() != opEnd {
			return nil, 0
		}
		at := uint64(uint32(int32(v)))
		b := r.take(int(r.u32()))
		if r.err != nil {
			return nil, 0
		}
		segs = append(segs, segment{at, b})
		lo, hi = min(lo, at), max(hi, at+uint64(len(b)))
	}
	if r.off != len(sec) || hi-lo > maxDataImage {
		return nil, 0
	}
	img := make([]byte, hi-lo)
	for _, s := range segs {
		copy(img[s.at-lo:], s.bytes)
	}
	return img, uint32(lo)
}

// countImports returns the number of imported functions and globals.
func countImports(b []byte) (funcs, globals, memories uint32, err error) {
	r := &wreader{b: b}
	n := r.u32()
	for i := uint32(0); i < n && r.err == nil; i++ {
		r.name()
		r.name()
		switch r.byte() {
		case extFunc:
			r.u32()
			funcs++
		case extTable:
			r.tableType()
		case extMemory:
			r.limits()
			memories++
		case extGlobal:
			r.globalType()
			globals++
		case extTag:
			r.byte()
			r.u32()
		default:
			r.fail(errors.New("unknown import kind"))
		}
	}
	if r.err != nil {
		return 0, 0, 0, fmt.Errorf("%w: import section: %w", errInstrument, r.err)
	}
	return funcs, globals, memories, nil
}

// loopCheck is the code instrument puts at every loop header (see the
// note at the top): the stop check, behind a countdown that passes
// through Go when withYield.
func loopCheck(stop, fuel uint32, withYield bool) []byte {
	stopCheck := asm{}.op(0x23).uleb(stop).op(opIf, blockTypeNil, opUnreachable, opEnd)
	if !withYield {
		return stopCheck
	}
	s := asm{}.op(0x23).uleb(fuel).i32(1).op(opI32Sub).op(0x24).uleb(fuel)
	s = s.op(0x23).uleb(fuel).i32(0).op(opI32LeS, opIf, blockTypeNil)
	s = s.i32(0).op(0x40, 0x00, 0x1a) // memory.grow 0 (memory 0), drop
	s = s.op(stopCheck...)
	s = s.i32(fuelPerYield).op(0x24).uleb(fuel)
	return s.op(opEnd)
}

// instrumentCode rewrites the code section: each function body gets the
// stop check after every loop instruction, and with a, accelerated loops
// and memory functions.
func instrumentCode(b []byte, check []byte, a *accel) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	r := &wreader{b: b}
	n := r.u32()
	out := make([]byte, 0, len(b)+len(b)/8)
	out = binary.AppendUvarint(out, uint64(n))
	var fn []byte
	var scratch []winstr
	for i := uint32(0); i < n; i++ {
		size := r.u32()
		body := r.take(int(size))
		if r.err != nil {
			return nil, fmt.Errorf("%w: code section: function %d: %w", errInstrument, i, r.err)
		}
		if a != nil && (a.mem[i] == memCopy || a.mem[i] == memFill) {
			fn = memBody(a.mem[i])
			a.stats.MemFuncs++
			out = binary.AppendUvarint(out, uint64(len(fn)))
			out = append(out, fn...)
			continue
		}
		var err error
		fn, err = instrumentBody(fn[:0], body, check, a, &scratch)
		if err == nil && a != nil && a.mem[i] == memIndexByte {
			fn, err = indexByteBody(fn)
			a.stats.MemFuncs++
		}
		if err == nil && a != nil && a.mem[i] == memValidUTF8 {
			fn, err = validUTF8Body(fn)
			a.stats.MemFuncs++
		}
		if err != nil {
			return nil, fmt.Errorf("%w: function %d: %w", errInstrument, i, err)
		}
		out = binary.AppendUvarint(out, uint64(len(fn)))
		out = append(out, fn...)
	}
	if r.err != nil || r.off != len(b) {
		return nil, fmt.Errorf("%w: code section: malformed", errInstrument)
	}
	return out, nil
}

// instrumentBody copies one function body to dst, inserting check after
// each loop's block type, and after it the fast path of an accelerated
// loop (accelerate.go) when a is not nil. scratch is reused for decoding.
func instrumentBody(dst, body, check []byte, a *accel, scratch *[]winstr) ([]byte, error) {
	start, code, err := decodeAll(body, *scratch)
	if err != nil {
		return nil, err
	}
	*scratch = code
	dst = append(dst, body[:start]...)
	from := start // start of the bytes not yet copied to dst
	for i, in := range code {
		if in.op != opLoop {
			continue
		}
		dst = append(dst, body[from:in.end]...)
		dst = append(dst, check...)
		if a != nil {
			dst = append(dst, a.siteCall(code, i+1)...)
		}
		from = in.end
	}
	return append(dst, body[from:]...), nil
}

// misc skips the immediates of a 0xfc-prefixed instruction and returns
// its sub-opcode.
func misc(r *wreader) uint32 {
	sub := r.u32()
	switch {
	case sub <= 7: // saturating truncations
	case sub == 8: // memory.init
		r.u32()
		r.u32()
	case sub == 9, sub == 13, sub == 15, sub == 16, sub == 17: // data.drop, elem.drop, table.grow/size/fill
		r.u32()
	case sub == 10, sub == 12, sub == 14: // memory.copy, table.init, table.copy
		r.u32()
		r.u32()
	case sub == 11: // memory.fill
		r.u32()
	default:
		r.fail(fmt.Errorf("0xfc %d not supported", sub))
	}
	return sub
}

// simd skips the immediates of a 0xfd-prefixed instruction and returns its
// sub-opcode.
func simd(r *wreader) uint32 {
	sub := r.u32()
	switch {
	case sub <= 11, sub == 92, sub == 93: // loads, stores, load zero
		r.memarg()
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		r.take(16)
	case sub >= 21 && sub <= 34: // extract/replace lane
		r.byte()
	case sub >= 84 && sub <= 91: // load/store lane
		r.memarg()
		r.byte()
	}
	return sub
}

// wreader reads the wasm binary encoding; the first failure is sticky.
type wreader struct {
	b   []byte
	off int
	err error
}

var errTruncated = errors.New("truncated")

func (r *wreader) byte() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail(errTruncated)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *wreader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b)-r.off {
		r.fail(errTruncated)
		return nil
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s
}

func (r *wreader) u32() uint32 {
	var v uint64
	for shift := 0; shift < 35; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if v > 1<<32-1 {
				r.fail(errors.New("u32 overflows"))
			}
			return uint32(v)
		}
	}
	r.fail(errors.New("u32 too long"))
	return 0
}

// s64 reads a signed LEB128 of up to 64 bits.
func (r *wreader) s64() int64 {
	var v int64
	for shift := 0; shift < 70; shift += 7 {
		c := r.byte()
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		if c < 0x80 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			return v
		}
	}
	r.fail(errors.New("integer too long"))
	return 0
}

func (r *wreader) name() string { return string(r.take(int(r.u32()))) }

func (r *wreader) memarg() { r.memargValue() }

// memargValue reads a memarg: alignment flags and offset (a multi-memory
// index is skipped).
func (r *wreader) memargValue() (align, offset uint64) {
	a := r.u32()
	if a&0x40 != 0 { // multi-memory: memory index follows
		r.u32()
	}
	return uint64(a), uint64(r.u32())
}

func (r *wreader) limits() {
	flags := r.byte()
	if flags > 3 { // 1: a maximum follows; 2: shared
		r.fail(fmt.Errorf("limits flags %#x", flags))
	}
	r.u32()
	if flags&1 != 0 {
		r.u32()
	}
}

// blockTypeValue reads a block type: the byte of the empty or a value
// type, 1<<32 | a type index, or for a typed reference 1<<40 | its prefix
// byte<<32 | its heap type.
func (r *wreader) blockTypeValue() uint64 {
	c := r.byte()
	if c == 0x40 || c >= 0x6f && c <= 0x7f {
		return uint64(c)
	}
	if c == 0x63 || c == 0x64 { // (ref null? ht): prefix, then the heap type
		return 1<<40 | uint64(c)<<32 | uint64(uint32(r.s64()))
	}
	r.off--
	return 1<<32 | uint64(uint32(r.s64()))
}

// appendVec returns the body of a vector section (count, entries) with
// entries added at its end.
func appendVec(vec []byte, entries ...[]byte) ([]byte, error) {
	r := &wreader{b: vec}
	n := r.u32()
	if r.err != nil {
		return nil, r.err
	}
	out := binary.AppendUvarint(nil, uint64(n)+uint64(len(entries)))
	out = append(out, vec[r.off:]...)
	for _, e := range entries {
		out = append(out, e...)
	}
	return out, nil
}

func appendName(dst []byte, s string) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(s))), s...)
}
