// Package wasmstart makes a Go c-shared SmartModule initialise itself, so
// it runs in hosts that never call the WASI reactor export _initialize,
// upstream Fluvio among them (spec/smartmodule.md §5.1, §5.4). It is a
// post-link step on the .wasm file, run on the host, not in the guest.
package wasmstart

import (
	"bytes"
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrNotWasm means the input is not a WebAssembly binary module.
	ErrNotWasm = errors.New("wasmstart: not a WebAssembly module")
	// ErrMalformed means a section or export entry is truncated.
	ErrMalformed = errors.New("wasmstart: malformed module")
	// ErrNoInitialize means the module exports no _initialize function.
	ErrNoInitialize = errors.New("wasmstart: module does not export _initialize")
	// ErrHasStart means the module already has a start section.
	ErrHasStart = errors.New("wasmstart: module already has a start section")
)

// Section ids of the WebAssembly binary format.
const (
	sectionExport = 7
	sectionStart  = 8
	exportFunc    = 0
	initExport    = "_initialize"
)

var header = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// AddStartSection returns a copy of wasm whose start section calls the
// function exported as _initialize, with that export removed so hosts that
// call _initialize themselves (our engine, WASI reactor hosts) do not run
// it twice. Other sections are copied unchanged.
func AddStartSection(wasm []byte) ([]byte, error) {
	if !bytes.HasPrefix(wasm, header) {
		return nil, ErrNotWasm
	}
	type sec struct {
		id   byte
		body []byte
	}
	var secs []sec
	for p := len(header); p < len(wasm); {
		id := wasm[p]
		size, n, err := uleb(wasm[p+1:])
		if err != nil || uint64(len(wasm)-p-1-n) < size {
			return nil, fmt.Errorf("%w: section %d at byte %d", ErrMalformed, id, p)
		}
		start := p + 1 + n
		secs = append(secs, sec{id, wasm[start : start+int(size)]})
		p = start + int(size)
		if id == sectionStart {
			return nil, ErrHasStart
		}
	}
	out := append([]byte{}, header...)
	found := false
	for _, s := range secs {
		if s.id != sectionExport {
			out = appendSection(out, s.id, s.body)
			continue
		}
		body, fn, err := dropInitExport(s.body)
		if err != nil {
			return nil, err
		}
		found = true
		out = appendSection(out, sectionExport, body)
		out = appendSection(out, sectionStart, appendULEB(nil, fn))
	}
	if !found {
		return nil, ErrNoInitialize
	}
	return out, nil
}

// dropInitExport removes the _initialize function export and returns the
// new export section body and the function's index.
func dropInitExport(b []byte) ([]byte, uint64, error) {
	count, n, err := uleb(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: export count", ErrMalformed)
	}
	p := n
	var kept [][]byte
	var fn uint64
	found := false
	for i := uint64(0); i < count; i++ {
		start := p
		nameLen, n, err := uleb(b[p:])
		if err != nil || uint64(len(b)-p-n) < nameLen+1 {
			return nil, 0, fmt.Errorf("%w: export %d", ErrMalformed, i)
		}
		name := string(b[p+n : p+n+int(nameLen)])
		p += n + int(nameLen)
		kind := b[p]
		p++
		idx, n, err := uleb(b[p:])
		if err != nil {
			return nil, 0, fmt.Errorf("%w: export %d index", ErrMalformed, i)
		}
		p += n
		if name == initExport && kind == exportFunc {
			fn, found = idx, true
			continue
		}
		kept = append(kept, b[start:p])
	}
	if !found {
		return nil, 0, ErrNoInitialize
	}
	body := appendULEB(nil, uint64(len(kept)))
	for _, e := range kept {
		body = append(body, e...)
	}
	return body, fn, nil
}

func appendSection(dst []byte, id byte, body []byte) []byte {
	dst = appendULEB(append(dst, id), uint64(len(body)))
	return append(dst, body...)
}

func appendULEB(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// uleb decodes an unsigned LEB128 of at most 5 bytes (u32, as the binary
// format uses) and returns it with its length.
func uleb(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < 5 && i < len(b); i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 0, ErrMalformed
}
