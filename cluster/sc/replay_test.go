package sc

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

type capture struct {
	Side, Dir, Conn, Hex, Note string
}

// clientFrames returns the frames the real client sent to the SC.
func clientFrames(t *testing.T, name string) [][]byte {
	f, err := os.Open(fixtures.Path(t, "wire", name))
	require.NoError(t, err)
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c capture
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		if c.Side == "sc" && c.Dir == "in" {
			b, err := hex.DecodeString(c.Hex)
			require.NoError(t, err)
			out = append(out, b)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// TestReplayRealClientSession sends the v0.11.11 client's captured requests
// (connect, three watches, create topic, list, three more watches, delete)
// and checks every answer decodes as the client would decode it.
func TestReplayRealClientSession(t *testing.T) {
	frames := clientFrames(t, "session-basic.jsonl")
	s := startSC(t, "")
	connectSPU(t, s, 5001)
	eventually(t, func() bool { return len(s.Controller().onlineSPUs()) == 1 }, "spu online")
	c := dialSC(t, s)
	var created string
	for _, f := range frames {
		r := protocol.NewReader(f[4:])
		var h protocol.RequestHeader
		h.Decode(r)
		require.NoError(t, r.Err())
		ch := make(chan []byte, 64)
		c.mu.Lock()
		c.subs[h.CorrelationID] = ch
		c.mu.Unlock()
		_, err := c.nc.Write(f)
		require.NoError(t, err)
		resp, ok := protocol.NewSCResponse(h.APIKey)
		require.True(t, ok)
		recvInto(t, ch, h.APIVersion, resp)
		switch m := resp.(type) {
		case *protocol.Status:
			require.NoError(t, m.Err(), "key %d", h.APIKey)
			if h.APIKey == protocol.KeyCreate {
				created = m.Name
			}
		case *protocol.WatchResponse:
			require.NotEmpty(t, m.All, "full syncs are never empty (%s)", m.Label)
		case *protocol.ListResponse:
			require.Contains(t, names(m.Objects), created)
		}
	}
	require.NotEmpty(t, created)
}
