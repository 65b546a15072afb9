package protocol

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

// Bodies of the spec §7.2 ApiVersions frames (header stripped).
const (
	apiVersionsReqHex  = "0006302e31342e3900056c696e757800067838365f3634"
	apiVersionsRespHex = "00000000000603e90009001003ea0001001003eb000f001003ec000f001003ed000e001003ee000100100007302e31312e3131"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestApiVersionsRequestCaptured(t *testing.T) {
	body := mustHex(t, apiVersionsReqHex)
	var req ApiVersionsRequest
	r := NewReader(body)
	req.Decode(r, 2)
	require.NoError(t, r.Err())
	require.Zero(t, r.Remaining())
	require.Equal(t, ApiVersionsRequest{ClientVersion: "0.14.9", ClientOS: "linux", ClientArch: "x86_64"}, req)
	require.Equal(t, body, req.Encode(nil, 2))
	// v0 has no fields.
	require.Empty(t, req.Encode(nil, 0))
}

func TestNewApiVersionsResponseMatchesV0_11_11(t *testing.T) {
	ranges := map[APIKey]VersionRange{
		KeyUpdate:    {1, 16},
		KeyCreate:    {9, 16},
		KeyWatch:     {15, 16},
		KeyDelete:    {1, 16},
		KeyMirroring: {14, 16},
		KeyList:      {15, 16},
	}
	resp := NewApiVersionsResponse(ranges, "0.11.11")
	require.Equal(t, mustHex(t, apiVersionsRespHex), resp.Encode(nil, 2))

	var got ApiVersionsResponse
	r := NewReader(mustHex(t, apiVersionsRespHex))
	got.Decode(r, 2)
	require.NoError(t, r.Err())
	require.Equal(t, *resp, got)
	vr, ok := got.Lookup(KeyWatch)
	require.True(t, ok)
	require.Equal(t, VersionRange{15, 16}, vr)
	_, ok = got.Lookup(KeyProduce)
	require.False(t, ok)
}

func TestApiVersionsResponseRejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		hex  string
	}{
		{"truncated key", "0000000000020001"},
		{"count beyond frame", "00007fffffff0000"},
		{"unknown error code", "7fff00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m ApiVersionsResponse
			r := NewReader(mustHex(t, tt.hex))
			m.Decode(r, 2)
			require.Error(t, r.Err())
		})
	}
}
