package protocol

import (
	"testing"
)

// addSPUSeeds seeds a fuzz target with the captured SPU bodies of one
// direction ("in" requests, "out" responses) and the golden messages.
func addSPUSeeds(f *testing.F, dir string) {
	for _, s := range captureSeeds(f, "spu", dir) {
		f.Add(uint16(s.key), s.version, s.body)
	}
	for _, tc := range spuGoldenCases(f) {
		if tc.request != (dir == "in") {
			continue
		}
		for _, v := range tc.versions {
			f.Add(uint16(tc.key), v, tc.msg.Encode(nil, v))
		}
	}
}

func FuzzSPURequest(f *testing.F) {
	addSPUSeeds(f, "in")
	f.Fuzz(func(t *testing.T, key uint16, version int16, body []byte) {
		fuzzDecode(t, NewSPURequest, key, version, body)
	})
}

func FuzzSPUResponse(f *testing.F) {
	addSPUSeeds(f, "out")
	f.Fuzz(func(t *testing.T, key uint16, version int16, body []byte) {
		fuzzDecode(t, NewSPUResponse, key, version, body)
	})
}
