package protocol

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
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

// fuzzSPU decodes body as the message for key at version. It must not
// panic, must allocate in proportion to the body, and whatever decodes must
// encode to bytes that decode to the same encoding again.
func fuzzSPU(t *testing.T, newMsg func(APIKey) (Message, bool), key uint16, version int16, body []byte) {
	m, ok := newMsg(APIKey(key))
	if !ok {
		return
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := NewReader(body)
	m.Decode(r, version)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > uint64(64*len(body)+64<<10) {
		t.Fatalf("decoding %d bytes allocated %d bytes", len(body), n)
	}
	if r.Err() != nil {
		return
	}
	enc := m.Encode(nil, version)
	m2, _ := newMsg(APIKey(key))
	r2 := NewReader(enc)
	m2.Decode(r2, version)
	require.NoError(t, r2.Err(), "re-encoded body does not decode")
	require.Zero(t, r2.Remaining())
	require.Equal(t, enc, m2.Encode(nil, version), "encoding is not stable")
}

func FuzzSPURequest(f *testing.F) {
	addSPUSeeds(f, "in")
	f.Fuzz(func(t *testing.T, key uint16, version int16, body []byte) {
		fuzzSPU(t, NewSPURequest, key, version, body)
	})
}

func FuzzSPUResponse(f *testing.F) {
	addSPUSeeds(f, "out")
	f.Fuzz(func(t *testing.T, key uint16, version int16, body []byte) {
		fuzzSPU(t, NewSPUResponse, key, version, body)
	})
}
