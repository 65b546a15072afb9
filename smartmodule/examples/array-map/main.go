//go:build wasip1

// Command array-map is a SmartModule that splits each value into one
// record per comma-separated word, keyed by the input record's offset.
package main

import (
	"bytes"
	"strconv"

	"github.com/gofluvio/fluvio/smartmodule"
)

//go:wasmexport array_map
func arrayMap(ptr, size, version int32) int32 {
	return smartmodule.ArrayMap(ptr, size, version, func(r *smartmodule.Record) ([]smartmodule.KeyValue, error) {
		var out []smartmodule.KeyValue
		key := []byte(strconv.FormatInt(r.Offset, 10))
		for _, w := range bytes.Split(r.Value, []byte(",")) {
			if w = bytes.TrimSpace(w); len(w) > 0 {
				out = append(out, smartmodule.KeyValue{Key: key, Value: w})
			}
		}
		return out, nil
	})
}

func main() {}
