//go:build wasip1

// Command look-back is a SmartModule that drops values already seen: the
// history fed to look_back seeds the set, so a restarted consumer does not
// repeat values produced before it started. A history value "poison"
// fails look_back (to show the error path).
package main

import (
	"errors"

	"github.com/gofluvio/fluvio/smartmodule"
)

var seen = map[string]bool{}

//go:wasmexport look_back
func lookBack(ptr, size, version int32) int32 {
	return smartmodule.LookBack(ptr, size, version, func(r *smartmodule.Record) error {
		if string(r.Value) == "poison" {
			return errors.New("poisoned history")
		}
		seen[string(r.Value)] = true
		return nil
	})
}

//go:wasmexport filter
func filter(ptr, size, version int32) int32 {
	return smartmodule.Filter(ptr, size, version, func(r *smartmodule.Record) (bool, error) {
		v := string(r.Value)
		if seen[v] {
			return false, nil
		}
		seen[v] = true
		return true, nil
	})
}

func main() {}
