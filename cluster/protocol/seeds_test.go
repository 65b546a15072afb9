package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/internal/fixtures"
)

// fuzzSeed is a captured body with the api key and version it is encoded at.
type fuzzSeed struct {
	key     APIKey
	version int16
	body    []byte
}

// captureSeeds reads the bodies of one side ("sc" or "spu") and direction
// ("in" requests, "out" responses) from the captures, for fuzz seeds; none
// when the fixtures are absent. Responses take the key and version of the
// latest request with their correlation id on the same connection.
func captureSeeds(tb testing.TB, side, dir string) []fuzzSeed {
	shared := fixtures.SharedDir()
	if shared == "" {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(shared, "fixtures", "wire", "*.jsonl"))
	require.NoError(tb, err)
	var out []fuzzSeed
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(tb, err)
		reqs := map[string]RequestHeader{}
		for _, line := range bytes.Split(data, []byte("\n")) {
			var rec struct{ Side, Dir, Conn, Hex string }
			if len(line) == 0 || json.Unmarshal(line, &rec) != nil || rec.Side != side {
				continue
			}
			frame, err := hex.DecodeString(rec.Hex)
			if err != nil || len(frame) < 8 {
				continue
			}
			r := NewReader(frame[4:])
			switch rec.Dir {
			case "in":
				var h RequestHeader
				h.Decode(r)
				reqs[fmt.Sprint(rec.Conn, h.CorrelationID)] = h
				if dir == "in" {
					out = append(out, fuzzSeed{h.APIKey, h.APIVersion, r.Rest()})
				}
			case "out":
				h, ok := reqs[fmt.Sprint(rec.Conn, r.Int32())]
				if ok && dir == "out" {
					out = append(out, fuzzSeed{h.APIKey, h.APIVersion, r.Rest()})
				}
			}
		}
	}
	return out
}

// fuzzDecode decodes body as the message for key at version. It must not
// panic, must allocate in proportion to the body, and whatever decodes must
// encode to bytes that decode and encode to the same bytes again.
func fuzzDecode(t *testing.T, newMsg func(APIKey) (Message, bool), key uint16, version int16, body []byte) {
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
