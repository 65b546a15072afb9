package protocol

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// addSCSeeds seeds a fuzz target with captured bodies and golden messages.
func addSCSeeds(f *testing.F, dir string) {
	for _, s := range captureSeeds(f, "sc", dir) {
		f.Add(uint16(s.key), s.version, s.body)
	}
	for _, tc := range scGoldenCases() {
		if tc.request != (dir == "in") {
			continue
		}
		vr := SCMessageVersions[tc.key]
		for _, v := range []int16{vr.Min, 16, vr.Max} {
			f.Add(uint16(tc.key), v, tc.msg.Encode(nil, v))
		}
	}
}

func FuzzSCRequest(f *testing.F) {
	addSCSeeds(f, "in")
	f.Fuzz(func(t *testing.T, key uint16, version int16, body []byte) {
		fuzzDecode(t, NewSCRequest, key, version, body)
	})
}

func FuzzSCResponse(f *testing.F) {
	addSCSeeds(f, "out")
	f.Fuzz(func(t *testing.T, key uint16, version int16, body []byte) {
		fuzzDecode(t, NewSCResponse, key, version, body)
	})
}

// TestSCHugeCountsFailWithoutAllocating feeds 50-byte bodies whose vectors
// and maps claim 2 GiB: each must fail to decode, allocating only a handful
// of small objects (no buffer sized by the claimed count).
func TestSCHugeCountsFailWithoutAllocating(t *testing.T) {
	pad := func(h string) []byte {
		b := mustHex(t, h)
		require.LessOrEqual(t, len(b), 50)
		return append(b, make([]byte, 50-len(b))...)
	}
	// typeBuf builds a 50-byte TypeBuffer body whose payload fills the rest.
	typeBuf := func(label, payload string) []byte {
		head := AppendString(nil, label)
		n := 50 - len(head) - 4
		b := mustHex(t, payload)
		require.LessOrEqual(t, len(b), n)
		head = AppendUint32(head, uint32(n))
		return append(append(head, b...), make([]byte, n-len(b))...)
	}
	huge := "7fffffff" // Vec count 2^31-1
	tests := []struct {
		name    string
		key     APIKey
		request bool
		body    []byte
		want    string // in the error: which count was refused
	}{
		{"apiversions keys", KeyApiVersions, false, pad("0000" + huge), "2147483647 elements"},
		{"list name filters", KeyList, true, typeBuf(LabelTopic, huge), "2147483647 elements"},
		{"list response objects", KeyList, false, typeBuf(LabelTopic, huge), "2147483647 elements"},
		{"watch response changes", KeyWatch, false, typeBuf(LabelTopic, "0000000000000001"+huge), "2147483647 elements"},
		{"watch response all", KeyWatch, false, typeBuf(LabelSPU, "0000000000000001"+"00000000"+huge), "2147483647 elements"},
		{"topic replica map", KeyList, false, typeBuf(LabelTopic, "00000001"+"0001"+"74"+"01"+"00000001"+"00000001"+"00"+"00"+"00"+"04"+"00"+"00"+"04"+"ffff"), "65535 elements"},
		{"partition replicas", KeyList, false, typeBuf(LabelPartition, "00000001"+"0001"+"74"+"00000001"+huge), "2147483647 elements"},
		{"assigned partition maps", KeyCreate, true, typeBuf(LabelTopic, "0001"+"74"+"00"+"00"+"00"+huge), "2147483647 elements"},
		{"typebuffer length", KeyCreate, true, pad("0005546f706963" + "ffffffff"), "payload of 4294967295 bytes"},
		{"smartmodule wasm bytes", KeyCreate, true, typeBuf(LabelSmartModule, "0001"+"73"+"00"+"00"+"00"+"00"+"00"+huge), "need 2147483647 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			newMsg := NewSCResponse
			if tt.request {
				newMsg = NewSCRequest
			}
			var err error
			allocs := testing.AllocsPerRun(20, func() {
				m, _ := newMsg(tt.key)
				r := NewReader(tt.body)
				m.Decode(r, 16)
				err = r.Err()
			})
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.LessOrEqual(t, allocs, float64(16), "decode allocated %v times", allocs)

			// And the bytes allocated stay small.
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			m, _ := newMsg(tt.key)
			m.Decode(NewReader(tt.body), 16)
			runtime.ReadMemStats(&after)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<10))
		})
	}
}
