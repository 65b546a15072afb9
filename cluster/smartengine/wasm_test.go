package smartengine

import (
	"testing"
)

// A minimal WebAssembly assembler for hand-made modules that no SDK would
// produce: foreign imports, endless loops, hostile output pointers.

// Function types of the hand-made modules.
const (
	typePtrLen  = 0 // (i32, i32) -> ()
	typeAlloc   = 1 // (i32) -> i32
	typeABI     = 2 // (i32, i32, i32) -> i32
	typeNullary = 3 // () -> ()
)

type wasmFunc struct {
	name string // export name; "" for none
	typ  byte
	body []byte // instructions without the final end
}

func uleb(dst []byte, v uint32) []byte {
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			dst = append(dst, b|0x80)
			continue
		}
		return append(dst, b)
	}
}

func sleb(dst []byte, v int32) []byte { return appendSleb(dst, int64(v)) }

func wasmName(dst []byte, s string) []byte { return append(uleb(dst, uint32(len(s))), s...) }

func wasmSection(dst []byte, id byte, body []byte) []byte {
	return append(uleb(append(dst, id), uint32(len(body))), body...)
}

// assemble builds a module importing imports (all of type (i32,i32)->()),
// with one memory of minPages exported as "memory", and funcs.
func assemble(imports [][2]string, minPages uint32, funcs []wasmFunc) []byte {
	b := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	types := []byte{4,
		0x60, 2, 0x7f, 0x7f, 0,
		0x60, 1, 0x7f, 1, 0x7f,
		0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f,
		0x60, 0, 0,
	}
	b = wasmSection(b, 1, types)
	if len(imports) > 0 {
		imp := uleb(nil, uint32(len(imports)))
		for _, im := range imports {
			imp = wasmName(imp, im[0])
			imp = wasmName(imp, im[1])
			imp = append(imp, 0x00, typePtrLen)
		}
		b = wasmSection(b, 2, imp)
	}
	fs := uleb(nil, uint32(len(funcs)))
	for _, f := range funcs {
		fs = append(fs, f.typ)
	}
	b = wasmSection(b, 3, fs)
	b = wasmSection(b, 5, uleb([]byte{1, 0x00}, minPages))
	exp := []byte{}
	n := 1
	exp = wasmName(exp, "memory")
	exp = append(exp, 0x02, 0)
	for i, f := range funcs {
		if f.name == "" {
			continue
		}
		exp = wasmName(exp, f.name)
		exp = uleb(append(exp, 0x00), uint32(len(imports)+i))
		n++
	}
	b = wasmSection(b, 7, append(uleb(nil, uint32(n)), exp...))
	code := uleb(nil, uint32(len(funcs)))
	for _, f := range funcs {
		body := append(append([]byte{0}, f.body...), opEnd)
		code = append(uleb(code, uint32(len(body))), body...)
	}
	return wasmSection(b, 10, code)
}

// i32c is i32.const v.
func i32c(v int32) []byte { return sleb([]byte{opI32Const}, v) }

// allocFunc always returns address 1024.
var allocFunc = wasmFunc{name: "alloc", typ: typeAlloc, body: i32c(1024)}

// wasmWithImports is a module with the given imports, alloc and, when
// withFilter, a filter returning 0 without output.
func wasmWithImports(t testing.TB, imports [][2]string, withFilter bool) []byte {
	t.Helper()
	funcs := []wasmFunc{allocFunc}
	if withFilter {
		funcs = append(funcs, wasmFunc{name: "filter", typ: typeABI, body: i32c(0)})
	}
	return assemble(imports, 1, funcs)
}

// loopingFilter never returns from filter.
func loopingFilter() []byte {
	body := []byte{opLoop, blockTypeNil, opBr, 0, opEnd}
	body = append(body, i32c(0)...)
	return assemble([][2]string{{"env", "copy_records"}}, 1, []wasmFunc{allocFunc, {name: "filter", typ: typeABI, body: body}})
}

// outputFilter's filter calls copy_records(ptr, n) and returns rc.
func outputFilter(ptr, n, rc int32) []byte {
	body := append(i32c(ptr), i32c(n)...)
	body = append(body, opCall, 0) // import 0 = copy_records
	body = append(body, i32c(rc)...)
	return assemble([][2]string{{"env", "copy_records"}}, 1, []wasmFunc{allocFunc, {name: "filter", typ: typeABI, body: body}})
}
