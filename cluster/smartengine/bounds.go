package smartengine

import (
	"errors"
	"fmt"
)

// checkBounds walks a module's structure and refuses one whose counts and
// lengths claim more entries or bytes than the section holding them has.
//
// Why, when wazero validates modules? wazero's decoder allocates what a
// count says before it reads the entries: a 37-byte module declaring 2^31
// tables made it allocate 33 GB, and the process died of it (Go cannot
// recover from running out of memory). Ad hoc modules come from any
// client, so every module is checked here before wazero sees it. Each
// entry takes at least a byte, so a count bounded by the bytes left keeps
// every allocation proportional to the module's size. Locals are bounded
// separately: two bytes can declare 2^32 of them.
//
// The walk must read every structure exactly as wazero v1.12's decoder
// (internal/wasm/binary) does, byte for byte: wazero reads a section from
// the whole module, not from the section's bytes, so where the two parses
// part, wazero reads a count from bytes this walk took for something
// else, and allocates it before it notices the section's length is wrong.
// Two such partings (a rec group in the type section, a name subsection
// longer than its contents) let modules of 20 and 28 bytes make wazero ask
// for 32 and 128 GB; tables with an initializer were a third. Where wazero
// would refuse a byte, the walk refuses it too, which keeps the two parses
// from parting on input wazero reads differently, and sections must come
// in wazero's order, each once. FuzzBoundsAgreeWithWazero checks that what
// passes never makes wazero allocate more than its size warrants.
//
// What compiling and instantiating cost is bounded as well: a module's
// functions may declare maxLocals locals plus one per byte of code, and
// its tables' minimums may sum to at most maxTableElements (instantiation
// allocates them at once, 8 bytes an element); capTables bounds their
// growth. Function type indices must name a declared type.
func checkBounds(wasm []byte) error {
	_, err := walkModule(wasm)
	return err
}

// checkInstrumented is checkBounds for the module wazero compiles: its
// tables can also grow to at most maxTableElements in all.
func checkInstrumented(wasm []byte) error {
	st, err := walkModule(wasm)
	if err == nil && st.tables.max > maxTableElements {
		err = fmt.Errorf("%w: tables may grow to %d elements, more than %d", errInstrument, st.tables.max, maxTableElements)
	}
	return err
}

// maxTableElements bounds the elements of a module's tables together (8
// MB of references). Rust SmartModules have one table of a few hundred,
// Go ones one of about 6000.
const maxTableElements = 1 << 20

// tableSizes sums the limits of a module's defined tables; a table
// without a maximum counts as able to grow to 2^32 elements.
type tableSizes struct{ min, max uint64 }

// walkState is what the walk keeps across sections.
type walkState struct {
	tables tableSizes
	types  uint64 // function types declared, rec group members each
	locals uint64 // declared by all functions
}

func walkModule(wasm []byte) (walkState, error) {
	var st walkState
	tables := &st.tables
	if len(wasm) < 8 || string(wasm[:8]) != "\x00asm\x01\x00\x00\x00" {
		return st, fmt.Errorf("%w: not a wasm binary of version 1", errInstrument)
	}
	r := &wreader{b: wasm, off: 8}
	last := byte(0)
	for r.off < len(r.b) {
		id := r.byte()
		body := r.take(int(r.u32()))
		if r.err != nil {
			return st, fmt.Errorf("%w: section %d: %w", errInstrument, id, r.err)
		}
		var ok bool
		if last, ok = sectionOrder(id, last); !ok {
			// instrument rewrites sections by id, so a repeated one would
			// take another's contents
			return st, fmt.Errorf("%w: section %d out of order or repeated", errInstrument, id)
		}
		if err := checkSection(id, &wreader{b: body}, &st); err != nil {
			return st, fmt.Errorf("%w: section %d: %w", errInstrument, id, err)
		}
	}
	if tables.min > maxTableElements {
		return st, fmt.Errorf("%w: tables of %d elements, more than %d", errInstrument, tables.min, maxTableElements)
	}
	return st, nil
}

// sectionOrder says whether a section with this id may follow the last
// non-custom one, as wazero's checkSectionOrder does (the binary order,
// with tags between memory and global and data count between element and
// code), and returns the new last.
func sectionOrder(id, last byte) (byte, bool) {
	switch {
	case id == secCustom:
		return last, true
	case id == secTag:
		return id, last <= secMemory
	case last == secTag:
		return id, id >= secGlobal && id <= secDataCount
	case id > secDataCount:
		return id, false
	case id == secDataCount:
		return id, last <= secElement
	case last == secDataCount:
		return id, id >= secCode
	}
	return id, id > last
}

// maxLocals is the most locals a function may declare (the limit browsers'
// engines apply).
const maxLocals = 50000

var errCount = errors.New("a count exceeds the bytes that follow it")

// count reads a vector's length and checks that its entries can fit.
func (r *wreader) count() uint32 {
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(len(r.b)-r.off) {
		r.fail(errCount)
	}
	if r.err != nil {
		return 0
	}
	return n
}

// valType reads a value type as wazero's decodeValueTypes does: a
// number, vector or reference type byte, or (ref null? ht).
func (r *wreader) valType() {
	switch c := r.byte(); c {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69: // i32 i64 f32 f64 v128 funcref externref exnref
	case 0x63, 0x64: // (ref null ht), (ref ht)
		r.heapType()
	default:
		r.fail(fmt.Errorf("value type %#x", c))
	}
}

// heapType reads a reference's heap type: a signed 33-bit LEB.
func (r *wreader) heapType() { r.sleb(5) }

// sleb reads a signed LEB of at most n bytes.
func (r *wreader) sleb(n int) {
	from := r.off
	r.s64()
	if r.off-from > n {
		r.fail(errors.New("integer too long"))
	}
}

// fail records err unless an earlier error is recorded.
func (r *wreader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// tableType reads a table type as wazero's decodeTable does: 0x40 0x00
// before a table with an initializer, the element type (any byte but the
// reference type prefixes, which take a heap type), the limits and the
// initializer. A table without a maximum gets 2^32.
func (r *wreader) tableType() tableEntry {
	from := r.off
	init := r.off < len(r.b) && r.b[r.off] == 0x40
	if init {
		r.byte()
		if r.byte() != 0 {
			r.fail(errors.New("table prefix 0x40 without 0x00"))
		}
	}
	if c := r.byte(); c == 0x63 || c == 0x64 {
		r.heapType()
	}
	t := tableEntry{head: r.b[from:r.off], max: 1 << 32}
	flags := r.byte()
	if flags > 1 { // 2, 3: shared, which tables cannot be
		r.fail(fmt.Errorf("table limits flags %#x", flags))
	}
	t.min = r.u32()
	if flags == 1 {
		t.max = uint64(r.u32())
	}
	from = r.off
	if init {
		r.constExpr()
	}
	t.tail = r.b[from:r.off]
	return t
}

// tableEntry is a table type: its limits, and its bytes before and after
// them.
type tableEntry struct {
	head, tail []byte
	min        uint32
	max        uint64
}

// globalType reads a value type and its mutability.
func (r *wreader) globalType() {
	r.valType()
	if m := r.byte(); m > 1 {
		r.fail(fmt.Errorf("global mutability %#x", m))
	}
}

// funcType reads a function type: 0x60 and its parameter and result types.
func (r *wreader) funcType() {
	if c := r.byte(); c != 0x60 {
		r.fail(fmt.Errorf("function type %#x", c))
	}
	for range r.count() {
		r.valType()
	}
	for range r.count() {
		r.valType()
	}
}

// typeEntry reads an entry of the type section, a function type or a rec
// group (0x4e) of them, and returns how many types it declares.
func (r *wreader) typeEntry() uint64 {
	if r.off < len(r.b) && r.b[r.off] == 0x4e {
		r.byte()
		n := r.count()
		for range n {
			r.funcType()
		}
		return uint64(n)
	}
	r.funcType()
	return 1
}

// constExpr skips a constant expression up to its end, reading each
// instruction as wazero's decodeConstantExpression does.
func (r *wreader) constExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case opEnd:
			return
		case 0x41: // i32.const
			r.sleb(5)
		case 0x42: // i64.const
			r.sleb(10)
		case 0x43:
			r.take(4)
		case 0x44:
			r.take(8)
		case 0x23, 0xd2: // global.get, ref.func
			r.u32()
		case 0xd0: // ref.null: a reference type byte or a type index
			r.u32()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constant arithmetic
		case 0xfd: // v128.const: wazero reads its opcode as one byte
			if r.byte() != 0x0c {
				r.fail(errors.New("unexpected vector instruction in a constant expression"))
			}
			r.take(16)
		default:
			r.fail(fmt.Errorf("unexpected opcode %#x in a constant expression", op))
		}
	}
}

// typeIndex reads a function's type index, which must name a declared
// type: wazero v1.12 validates a call to a function before it checks that
// function's type index, and indexed past its types (a panic).
func (r *wreader) typeIndex(st *walkState) {
	if t := r.u32(); r.err == nil && uint64(t) >= st.types {
		r.fail(fmt.Errorf("type index %d, but %d types", t, st.types))
	}
}

func checkSection(id byte, r *wreader, st *walkState) error {
	switch id {
	case secCustom:
		if r.name() == "name" && r.err == nil {
			checkNames(r)
		}
	case secType:
		for range r.count() {
			st.types += r.typeEntry()
		}
	case secImport:
		for range r.count() {
			r.name()
			r.name()
			switch k := r.byte(); k {
			case extFunc:
				r.typeIndex(st)
			case extTable: // cannot be provided: not counted
				r.tableType()
			case extMemory:
				r.limits()
			case extGlobal:
				r.globalType()
			case extTag:
				r.byte()
				r.u32()
			default:
				r.fail(fmt.Errorf("import kind %#x", k))
			}
		}
	case secFunction:
		for range r.count() {
			r.typeIndex(st)
		}
	case secTable:
		for range r.count() {
			t := r.tableType()
			st.tables.min += uint64(t.min)
			st.tables.max += t.max
		}
	case secMemory:
		for range r.count() {
			r.limits()
		}
	case secGlobal:
		for range r.count() {
			r.globalType()
			r.constExpr()
		}
	case secExport:
		for range r.count() {
			r.name()
			r.byte()
			r.u32()
		}
	case secElement:
		for range r.count() {
			checkElement(r)
		}
	case secCode:
		for range r.count() {
			body := r.take(int(r.u32()))
			if r.err != nil {
				break
			}
			b := &wreader{b: body}
			total := uint64(0)
			for range b.count() {
				total += uint64(b.u32())
				b.valType()
			}
			if b.err != nil {
				return fmt.Errorf("locals: %w", b.err)
			}
			if total > maxLocals {
				return fmt.Errorf("a function declares %d locals, more than %d", total, maxLocals)
			}
			// Compiling costs time and memory per local: beyond one
			// function's worth, a module pays for its locals in code
			// bytes. (Five bytes declare 50000; real modules have a few
			// per function: a Go one 7131 in 1.6 MB of code.)
			if st.locals += total; st.locals > maxLocals+uint64(len(r.b)) {
				return fmt.Errorf("functions declare %d locals in all, more than %d and the code's size", st.locals, maxLocals)
			}
		}
	case secData:
		for range r.count() {
			switch r.u32() {
			case 0:
				r.constExpr()
			case 2:
				r.u32()
				r.constExpr()
			}
			r.take(int(r.u32()))
		}
	case secTag:
		for range r.count() {
			r.byte()
			r.u32()
		}
	default:
		return nil // start, data count, unknown ids: nothing to allocate
	}
	if r.err == nil && id != secCustom && r.off != len(r.b) {
		// wazero refuses it too; refusing it here keeps instrument from
		// appending entries after bytes that would then be read as some.
		return fmt.Errorf("%d bytes after the last entry", len(r.b)-r.off)
	}
	return r.err
}

// checkElement walks one element segment (its eight encodings).
func checkElement(r *wreader) {
	flags := r.u32()
	if flags > 7 {
		r.fail(fmt.Errorf("element segment flags %d", flags))
		return
	}
	if flags&1 == 0 { // active
		if flags&2 != 0 {
			r.u32() // table index
		}
		r.constExpr()
	}
	if flags&3 != 0 { // element kind or reference type
		if flags&4 != 0 {
			r.valType()
		} else {
			r.byte()
		}
	}
	for range r.count() {
		if flags&4 != 0 {
			r.constExpr()
		} else {
			r.u32()
		}
	}
}

// checkNames walks the name section's subsections wazero decodes. wazero
// reads those three from the whole section, not from the subsection's
// size, so each must end exactly where its size says: one longer than
// its contents had wazero read the next subsection from inside it.
func checkNames(r *wreader) {
	for r.err == nil && r.off < len(r.b) {
		id := r.byte()
		s := &wreader{b: r.take(int(r.u32()))}
		if r.err != nil {
			return
		}
		switch id {
		case 0:
			s.name()
		case 1:
			for range s.count() {
				s.u32()
				s.name()
			}
		case 2:
			for range s.count() {
				s.u32()
				for range s.count() {
					s.u32()
					s.name()
				}
			}
		default:
			continue // skipped by its size
		}
		if s.err == nil && s.off != len(s.b) {
			s.err = fmt.Errorf("name subsection %d: %d bytes after its contents", id, len(s.b)-s.off)
		}
		if s.err != nil {
			r.err = s.err
		}
	}
}
