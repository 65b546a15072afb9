//go:build wasip1

// Command params is a SmartModule that keeps records whose value contains
// the param "key" (required: init fails with "Missing param key").
package main

import (
	"bytes"
	"errors"

	"github.com/gofluvio/fluvio/smartmodule"
)

var needle []byte

//go:wasmexport init
func smInit(ptr, size, version int32) int32 {
	return smartmodule.Init(ptr, size, version, func(p smartmodule.Params) error {
		v, ok := p.Get("key")
		if !ok {
			return errors.New("Missing param key")
		}
		needle = []byte(v)
		return nil
	})
}

//go:wasmexport filter
func filter(ptr, size, version int32) int32 {
	return smartmodule.Filter(ptr, size, version, func(r *smartmodule.Record) (bool, error) {
		return bytes.Contains(r.Value, needle), nil
	})
}

func main() {}
