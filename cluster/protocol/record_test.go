package protocol

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.Join(strings.Fields(s), "")
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestRecordGolden(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		hex  string
	}{
		{
			name: "captured key1/value1 (spec 5.2)",
			rec:  Record{Key: []byte("key1"), Value: []byte("value1")},
			hex:  "22 00 00 00 01 08 6b657931 0c 76616c756531 00",
		},
		{
			name: "present empty key, offset delta 1 (spec 7.4)",
			rec:  Record{OffsetDelta: 1, Key: []byte{}, Value: []byte("norecord-key")},
			hex:  "26 00 00 02 01 00 18 6e6f7265636f72642d6b6579 00",
		},
		{
			// Spec §7.8 prints the prefix as 0e (7), but the body below is 8
			// bytes and the Rust encoder writes the length of the bytes it
			// produced (record/data.rs), so the prefix is 10 (8).
			name: "null key (spec 7.8, length corrected)",
			rec:  Record{Key: nil, Value: []byte("hi")},
			hex:  "10 00 00 00 00 04 6869 00",
		},
		{
			name: "compressed payload record (spec 7.7)",
			rec:  Record{OffsetDelta: 1, Key: []byte("key-b"), Value: []byte("world world world world")},
			hex:  "46 00 00 02 01 0a 6b65792d62 2e 776f726c6420776f726c6420776f726c6420776f726c64 00",
		},
		{
			name: "negative timestamp delta, empty value",
			rec:  Record{TimestampDelta: -1, OffsetDelta: 63, Value: []byte{}},
			hex:  "0c 00 01 7e 00 00 00",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.hex)
			got := AppendRecord(nil, &tc.rec)
			require.Equal(t, want, got)
			require.Equal(t, len(want), RecordSize(&tc.rec))

			// trailing bytes are not consumed
			dec, n, err := DecodeRecord(append(append([]byte{}, want...), 0xaa, 0xbb))
			require.NoError(t, err)
			require.Equal(t, len(want), n)
			require.Equal(t, tc.rec.Key == nil, dec.Key == nil, "key presence must survive")
			require.Equal(t, string(tc.rec.Key), string(dec.Key))
			require.Equal(t, string(tc.rec.Value), string(dec.Value))
			require.Equal(t, tc.rec.OffsetDelta, dec.OffsetDelta)
			require.Equal(t, tc.rec.TimestampDelta, dec.TimestampDelta)
			require.Equal(t, want, AppendRecord(nil, &dec), "round trip must be byte-exact")
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty input", "", ErrShortBuffer},
		{"length beyond input", "22 00 00 00", ErrShortBuffer},
		{"negative length", "01 00", ErrInvalid},
		{"huge varint length", "feffffffffffffffff01", ErrShortBuffer},
		{"fields shorter than length", "12 00 00 00 00 04 6869 00 00", ErrInvalid},
		{"fields longer than length (spec 7.8 as printed)", "0e 00 00 00 00 04 6869 00", ErrShortBuffer},
		{"bad key presence byte", "10 00 00 00 02 04 6869 00", ErrInvalid},
		{"key length beyond record", "10 00 00 00 01 7e 6869 00", ErrTooLarge},
		{"negative value length", "10 00 00 00 00 03 6869 00", ErrInvalid},
		{"varint too long", "ffffffffffffffffffffff", ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := DecodeRecord(unhex(t, tc.hex))
			require.ErrorIs(t, err, tc.want)
			require.Zero(t, n)
		})
	}
}
