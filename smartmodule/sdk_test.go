package smartmodule

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// Spec §4.4: three records, base offset 100, base timestamp 1700000000000.
const (
	specRecords = "0000000316000000000a6170706c650016000a02000a6672756974001e00120401046b330c62616e616e6100"
	specV22     = "00000000000000640000002c" + specRecords + "000000000000000000018bcfe56800"
	specV25     = "00000000000000640000002c" + specRecords + "0000018bcfe56800"
	specV11     = "00000000000000640000002c" + specRecords + "0000"
	specOutput  = "0000000216000000000a6170706c65001e00120401046b330c62616e616e610000"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func containsA(r *Record) (bool, error) {
	for _, c := range r.Value {
		if c == 'a' {
			return true, nil
		}
	}
	return false, nil
}

func TestFilterMatchesReferenceBytes(t *testing.T) {
	for _, tt := range []struct {
		version int32
		input   string
	}{{22, specV22}, {25, specV25}, {11, specV11}} {
		rc, out := filterBytes(unhex(t, tt.input), tt.version, containsA)
		require.Equal(t, int32(2), rc, "version %d", tt.version)
		require.Equal(t, specOutput, hex.EncodeToString(out), "version %d", tt.version)
	}
}

func TestRecordFields(t *testing.T) {
	var got []Record
	_, _ = filterBytes(unhex(t, specV22), 22, func(r *Record) (bool, error) {
		got = append(got, Record{Key: r.Key, Value: r.Value, Offset: r.Offset, Timestamp: r.Timestamp})
		return true, nil
	})
	require.Equal(t, []Record{
		{Value: []byte("apple"), Offset: 100, Timestamp: 1700000000000},
		{Value: []byte("fruit"), Offset: 101, Timestamp: 1700000000005},
		{Key: []byte("k3"), Value: []byte("banana"), Offset: 102, Timestamp: 1700000000009},
	}, got)
}

// Spec §4.5: the error names the failing record; earlier records are kept.
func TestFilterErrorOutput(t *testing.T) {
	rc, out := filterBytes(unhex(t, specV22), 22, func(r *Record) (bool, error) {
		if string(r.Value) == "fruit" {
			return false, errors.New("bad fruit")
		}
		return true, nil
	})
	require.Equal(t, int32(1), rc)
	want := "00000001" + "16000000000a6170706c6500" + // apple
		"01" + "0009" + hex.EncodeToString([]byte("bad fruit")) +
		"0000000000000065" + "00" + "00" + "0a" + hex.EncodeToString([]byte("fruit"))
	require.Equal(t, want, hex.EncodeToString(out))
}

func TestAggregateOutput(t *testing.T) {
	in := unhex(t, specV22)
	in = append(in, 0, 0, 0, 1, '1') // accumulator "1"
	rc, out := aggregateBytes(in, 22, func(acc []byte, r *Record) ([]byte, error) {
		return append(append([]byte{}, acc...), r.Value[0]), nil
	})
	require.Equal(t, int32(3), rc)
	// No error, then the accumulator "1afb".
	require.Equal(t, []byte{0, 0, 0, 0, 4, '1', 'a', 'f', 'b'}, out[len(out)-9:])
	// Each record's value is the accumulator after it.
	var vals []string
	var r Record
	for it := newRecords(&input{records: out}); it.next(&r); {
		vals = append(vals, string(r.Value))
	}
	require.Equal(t, []string{"1a", "1af", "1afb"}, vals)
}

func TestInitParams(t *testing.T) {
	in := unhex(t, "000100036b6579000161"+"00") // {key: a}, lookback None
	var got Params
	rc, out := initBytes(in, 22, func(p Params) error { got = p; return nil })
	require.Zero(t, rc)
	require.Nil(t, out)
	require.Equal(t, Params{"key": "a"}, got)

	rc, out = initBytes(unhex(t, "000000"), 22, func(p Params) error {
		if _, ok := p.Get("key"); !ok {
			return errors.New("Missing param key")
		}
		return nil
	})
	require.Equal(t, statusInitError, rc)
	require.Equal(t, "00114d697373696e6720706172616d206b6579", hex.EncodeToString(out))
}

func TestMalformedInput(t *testing.T) {
	rc, out := filterBytes([]byte{1, 2, 3}, 22, containsA)
	require.Equal(t, statusDecodeBaseInput, rc)
	require.Nil(t, out)
	bad := unhex(t, specV22)
	bad[13] = 0x7f // records count far beyond the bytes
	rc, out = filterBytes(bad, 22, containsA)
	require.Equal(t, statusDecodeRecords, rc, "a count beyond the data is a records decode error")
	require.Nil(t, out)
}

func TestLongHintTruncated(t *testing.T) {
	long := make([]byte, 40000)
	for i := range long {
		long[i] = 'x'
	}
	_, out := filterBytes(unhex(t, specV22), 22, func(*Record) (bool, error) { return false, errors.New(string(long)) })
	// count (4) + error flag (1) + u16 length 32767.
	require.Equal(t, []byte{0x7f, 0xff}, out[5:7])
}

func FuzzDecodeInput(f *testing.F) {
	for _, s := range []string{specV22, specV25, specV11} {
		b, _ := hex.DecodeString(s)
		f.Add(b, int32(22), false)
	}
	f.Add([]byte{}, int32(25), true)
	f.Fuzz(func(t *testing.T, b []byte, version int32, aggregate bool) {
		in, err := decodeInput(b, version, aggregate)
		if err != nil {
			return
		}
		n := 0
		var r Record
		for it := newRecords(&in); it.next(&r); {
			n++
			require.LessOrEqual(t, len(r.Key)+len(r.Value), len(b))
		}
		require.LessOrEqual(t, n, len(b))
		rc, out := filterBytes(b, version, containsA)
		if rc >= 0 {
			require.LessOrEqual(t, len(out), len(b)+8)
		}
	})
}

// TestBuffersReusedAcrossCalls: the ABI path (alloc, write, filter,
// dealloc or not) gives each call its own correct output while input and
// output buffers are recycled, and a freed output is not handed out while
// the host still holds the current one.
func TestBuffersReusedAcrossCalls(t *testing.T) {
	write := func(in []byte) int32 {
		p := allocate(int32(len(in)))
		copy(pinned[p], in)
		return p
	}
	inputs := []string{specV22, specV25, specV22}
	var prevIn int32
	for i, in := range inputs {
		b := unhex(t, in)
		version := int32(22)
		if in == specV25 {
			version = 25
		}
		p := write(b)
		if i > 0 {
			require.Equal(t, prevIn, p, "call %d: the last input buffer is reused", i)
		}
		prevIn = p
		rc := Filter(p, int32(len(b)), version, containsA)
		require.Equal(t, int32(2), rc)
		require.Equal(t, specOutput, hex.EncodeToString(lastOutput), "call %d", i)
		if i == 1 { // the host frees this one; the next output may reuse it
			release(addr(lastOutput))
			require.Nil(t, lastOutput)
		}
	}
}
