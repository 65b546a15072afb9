package protocol

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/internal/fixtures"
)

// capturedFrame is one frame of ../shared/fixtures/wire/*.jsonl with the
// request it answers resolved.
type capturedFrame struct {
	File string
	Line int
	Side string // "sc" or "spu"
	Dir  string // "in": sent by the real client; "out": accepted by it
	Conn string
	Note string
	// Frame is the whole frame, length prefix included.
	Frame []byte
	// Payload is Frame without its 4-byte length prefix.
	Payload []byte
	// For "in" frames: the decoded request header and the body bytes.
	Header RequestHeader
	Body   []byte
	// For "out" frames: the correlation id, the header of the request it
	// answers (the latest "in" frame on the same connection with the same
	// correlation id) and the response body bytes.
	CorrelationID int32
	Request       *RequestHeader
}

// loadCapturedFrames reads every capture file, in name order.
func loadCapturedFrames(t *testing.T) []capturedFrame {
	t.Helper()
	dir := fixtures.Path(t, "wire")
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	sort.Strings(files)
	require.NotEmpty(t, files)
	var out []capturedFrame
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		// last request header per connection and correlation id
		lastReq := map[string]map[int32]*RequestHeader{}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		line := 0
		for sc.Scan() {
			line++
			var rec struct {
				Side, Dir, Conn, Hex, Note string
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), "%s:%d", f, line)
			if rec.Dir != "in" && rec.Dir != "out" {
				if rec.Dir == "close" {
					delete(lastReq, rec.Conn)
				}
				continue
			}
			frame, err := hex.DecodeString(rec.Hex)
			require.NoError(t, err, "%s:%d", f, line)
			require.GreaterOrEqual(t, len(frame), 8, "%s:%d", f, line)
			cf := capturedFrame{File: filepath.Base(f), Line: line, Side: rec.Side, Dir: rec.Dir, Conn: rec.Conn, Note: rec.Note, Frame: frame, Payload: frame[4:]}
			r := NewReader(cf.Payload)
			if rec.Dir == "in" {
				cf.Header.Decode(r)
				require.NoError(t, r.Err(), "%s:%d header", f, line)
				cf.Body = r.Rest()
				if lastReq[rec.Conn] == nil {
					lastReq[rec.Conn] = map[int32]*RequestHeader{}
				}
				h := cf.Header
				lastReq[rec.Conn][h.CorrelationID] = &h
			} else {
				cf.CorrelationID = r.Int32()
				cf.Body = r.Rest()
				cf.Request = lastReq[rec.Conn][cf.CorrelationID]
				require.NotNil(t, cf.Request, "%s:%d: response without request", f, line)
			}
			out = append(out, cf)
		}
		require.NoError(t, sc.Err())
		fh.Close()
	}
	return out
}

func TestCapturedFramesLoad(t *testing.T) {
	frames := loadCapturedFrames(t)
	var in, outN int
	for _, f := range frames {
		if f.Dir == "in" {
			in++
		} else {
			outN++
		}
	}
	require.Greater(t, in, 50)
	require.Greater(t, outN, 50)
}

// framesOfSide returns the captured frames of one side ("sc" or "spu").
func framesOfSide(t *testing.T, side string) []capturedFrame {
	t.Helper()
	var out []capturedFrame
	for _, f := range loadCapturedFrames(t) {
		if f.Side == side {
			out = append(out, f)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// frameKeyVersion is the api key and version a frame's body is encoded at.
func frameKeyVersion(f *capturedFrame) (APIKey, int16) {
	if f.Dir == "in" {
		return f.Header.APIKey, f.Header.APIVersion
	}
	return f.Request.APIKey, f.Request.APIVersion
}

// decodeCapturedFrame decodes a captured frame's body with a registry
// (newRequest for "in" frames, newResponse for "out" ones) and requires
// every byte consumed.
func decodeCapturedFrame(t *testing.T, f *capturedFrame, newRequest, newResponse func(APIKey) (Message, bool)) Message {
	t.Helper()
	key, version := frameKeyVersion(f)
	newMsg := newResponse
	if f.Dir == "in" {
		newMsg = newRequest
	}
	m, ok := newMsg(key)
	require.True(t, ok, "%s:%d: no %s message for key %d", f.File, f.Line, f.Side, key)
	r := NewReader(f.Body)
	m.Decode(r, version)
	require.NoError(t, r.Err(), "%s:%d key %d v%d", f.File, f.Line, key, version)
	require.Zero(t, r.Remaining(), "%s:%d: trailing bytes", f.File, f.Line)
	return m
}

// hexLines renders b as hex, 32 bytes a line (the golden files' format).
func hexLines(b []byte) string {
	var sb strings.Builder
	h := hex.EncodeToString(b)
	for len(h) > 64 {
		sb.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	sb.WriteString(h + "\n")
	return sb.String()
}

// captureRoundTrip decodes every captured frame of side and checks that
// its body and its whole frame encode back byte for byte; want lists
// "dir/key" pairs the captures must contain.
func captureRoundTrip(t *testing.T, side string, newRequest, newResponse func(APIKey) (Message, bool), want ...string) {
	seen := map[string]int{}
	for _, f := range framesOfSide(t, side) {
		key, version := frameKeyVersion(&f)
		t.Run(fmt.Sprintf("%s:%d/%s/key=%d/v%d", f.File, f.Line, f.Dir, key, version), func(t *testing.T) {
			m := decodeCapturedFrame(t, &f, newRequest, newResponse)
			require.Equal(t, hex.EncodeToString(f.Body), hex.EncodeToString(m.Encode(nil, version)))
			var frame []byte
			if f.Dir == "in" {
				frame = EncodeRequestFrame(nil, &f.Header, m)
			} else {
				frame = EncodeResponseFrame(nil, f.CorrelationID, version, m)
			}
			require.Equal(t, f.Frame, frame)
		})
		seen[fmt.Sprintf("%s/%d", f.Dir, key)]++
	}
	for _, k := range want {
		require.Positive(t, seen[k], "no captured %s frame %s", side, k)
	}
}
