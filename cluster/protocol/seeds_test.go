package protocol

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
