//go:build wasip1

// Command map is a SmartModule that upper-cases each record's value.
package main

import (
	"bytes"

	"github.com/gofluvio/fluvio/smartmodule"
)

//go:wasmexport map
func mapRecord(ptr, size, version int32) int32 {
	return smartmodule.Map(ptr, size, version, func(r *smartmodule.Record) (smartmodule.KeyValue, error) {
		return smartmodule.KeyValue{Key: r.Key, Value: bytes.ToUpper(r.Value)}, nil
	})
}

func main() {}
