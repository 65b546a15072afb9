//go:build wasip1

// Command filter-map is a SmartModule that drops odd numbers and halves
// even ones; a value that is not a number is an error.
package main

import (
	"fmt"
	"strconv"

	"github.com/gofluvio/fluvio/smartmodule"
)

//go:wasmexport filter_map
func filterMap(ptr, size, version int32) int32 {
	return smartmodule.FilterMap(ptr, size, version, func(r *smartmodule.Record) (smartmodule.KeyValue, bool, error) {
		n, err := strconv.Atoi(string(r.Value))
		if err != nil {
			return smartmodule.KeyValue{}, false, fmt.Errorf("value %q is not a number", r.Value)
		}
		if n%2 != 0 {
			return smartmodule.KeyValue{}, false, nil
		}
		return smartmodule.KeyValue{Key: r.Key, Value: []byte(strconv.Itoa(n / 2))}, true, nil
	})
}

func main() {}
