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
func checkBounds(wasm []byte) error {
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return fmt.Errorf("%w: not a wasm binary", errInstrument)
	}
	r := &wreader{b: wasm, off: 8}
	for r.off < len(r.b) {
		id := r.byte()
		body := r.take(int(r.u32()))
		if r.err != nil {
			return fmt.Errorf("%w: section %d: %w", errInstrument, id, r.err)
		}
		if err := checkSection(id, &wreader{b: body}); err != nil {
			return fmt.Errorf("%w: section %d: %w", errInstrument, id, err)
		}
	}
	return nil
}

// maxLocals is the most locals a function may declare (the limit browsers'
// engines apply).
const maxLocals = 50000

var errCount = errors.New("a count exceeds the bytes that follow it")

// count reads a vector's length and checks that its entries can fit.
func (r *wreader) count() uint32 {
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(len(r.b)-r.off) {
		r.err = errCount
	}
	if r.err != nil {
		return 0
	}
	return n
}

func (r *wreader) valType() {
	if c := r.byte(); c == 0x63 || c == 0x64 { // (ref null? ht)
		r.s64()
	}
}

func (r *wreader) tableType() {
	r.valType()
	r.limits()
}

// globalType reads a value type and its mutability.
func (r *wreader) globalType() {
	r.valType()
	r.byte()
}

// constExpr skips a constant expression up to its end.
func (r *wreader) constExpr() {
	for r.err == nil {
		switch op := r.byte(); op {
		case opEnd:
			return
		case 0x41, 0x42: // i32.const, i64.const
			r.s64()
		case 0x43:
			r.take(4)
		case 0x44:
			r.take(8)
		case 0x23, 0xd2: // global.get, ref.func
			r.u32()
		case 0xd0: // ref.null ht
			r.s64()
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constant arithmetic
		case 0xfd: // v128.const
			if r.u32() != 12 {
				r.err = errors.New("unexpected vector instruction in a constant expression")
			}
			r.take(16)
		default:
			r.err = fmt.Errorf("unexpected opcode %#x in a constant expression", op)
		}
	}
}

func checkSection(id byte, r *wreader) error {
	switch id {
	case secCustom:
		if r.name() == "name" && r.err == nil {
			checkNames(r)
		}
	case secType:
		for range r.count() {
			r.byte() // 0x60
			for range r.count() {
				r.valType()
			}
			for range r.count() {
				r.valType()
			}
		}
	case secImport:
		for range r.count() {
			r.name()
			r.name()
			switch r.byte() {
			case 0: // func
				r.u32()
			case 1:
				r.tableType()
			case 2: // memory
				r.limits()
			case 3:
				r.globalType()
			case 4: // tag
				r.byte()
				r.u32()
			}
		}
	case secFunction:
		for range r.count() {
			r.u32()
		}
	case 4: // table
		for range r.count() {
			r.tableType()
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
	case 9: // element
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
	case 13: // tag
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
		r.err = fmt.Errorf("element segment flags %d", flags)
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

// checkNames walks the name section's subsections wazero decodes.
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
		}
		if s.err != nil {
			r.err = s.err
		}
	}
}
