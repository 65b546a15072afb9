package client

import (
	"bytes"
	"fmt"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	wasmMagic = []byte{0x00, 'a', 's', 'm'}
)

// gzipIfRaw returns wasm gzipped (the form Fluvio sends and stores modules
// in); already gzipped input is returned as is.
func gzipIfRaw(wasm []byte) ([]byte, error) {
	if bytes.HasPrefix(wasm, gzipMagic) {
		return wasm, nil
	}
	if !bytes.HasPrefix(wasm, wasmMagic) {
		return nil, fmt.Errorf("client: not a WebAssembly module (no \\0asm header) nor gzip")
	}
	return protocol.Compress(protocol.CompressionGzip, nil, wasm)
}

// SmartModuleKind is what a SmartModule invocation asks for.
type SmartModuleKind = protocol.SmartModuleKind

// SmartModule invocations for consumers and producers.
type SmartModuleInvocation = protocol.SmartModuleInvocation

// AdHocSmartModule builds an invocation of a module sent with the request
// (raw or gzipped .wasm bytes).
func AdHocSmartModule(wasm []byte, kind protocol.SmartModuleKind, params map[string]string) (protocol.SmartModuleInvocation, error) {
	gz, err := gzipIfRaw(wasm)
	if err != nil {
		return protocol.SmartModuleInvocation{}, err
	}
	return protocol.SmartModuleInvocation{Wasm: protocol.AdHocWasm(gz), Kind: kind, Params: protocol.SmartModuleExtraParams{Params: params}}, nil
}

// PredefinedSmartModule builds an invocation of a module stored in the
// cluster under name.
func PredefinedSmartModule(name string, kind protocol.SmartModuleKind, params map[string]string) protocol.SmartModuleInvocation {
	return protocol.SmartModuleInvocation{Wasm: protocol.SmartModuleInvocationWasm{Type: protocol.WasmPredefined, Name: name}, Kind: kind, Params: protocol.SmartModuleExtraParams{Params: params}}
}
