//go:build wasip1

// Command filter is a SmartModule that keeps records whose value contains
// "a" and fails on a value that is not UTF-8.
package main

import (
	"bytes"
	"errors"
	"unicode/utf8"

	"github.com/gofluvio/fluvio/smartmodule"
)

//go:wasmexport filter
func filter(ptr, size, version int32) int32 {
	return smartmodule.Filter(ptr, size, version, func(r *smartmodule.Record) (bool, error) {
		if !utf8.Valid(r.Value) {
			return false, errors.New("value is not valid UTF-8")
		}
		return bytes.ContainsRune(r.Value, 'a'), nil
	})
}

func main() {}
