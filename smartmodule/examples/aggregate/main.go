//go:build wasip1

// Command aggregate is a SmartModule that appends each value to the
// accumulator (initial "1": a b c → 1a 1ab 1abc).
package main

import (
	"github.com/gofluvio/fluvio/smartmodule"
)

//go:wasmexport aggregate
func aggregate(ptr, size, version int32) int32 {
	return smartmodule.Aggregate(ptr, size, version, func(acc []byte, r *smartmodule.Record) ([]byte, error) {
		next := make([]byte, 0, len(acc)+len(r.Value))
		return append(append(next, acc...), r.Value...), nil
	})
}

func main() {}
