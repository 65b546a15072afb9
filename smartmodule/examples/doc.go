// Package examples holds SmartModules written with the Go SDK, one main
// package per kind; examples_test.go builds each for GOOS=wasip1 and runs
// it through the engine. Build one with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o filter.wasm ./smartmodule/examples/filter
package examples
