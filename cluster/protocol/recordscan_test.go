package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// readRecords decodes n records with ReadRecord: the records and the
// bytes they take, or an error.
func readRecords(b []byte, n int) ([]Record, int, error) {
	r := NewReader(b)
	out := make([]Record, 0, min(n, len(b)))
	for range n {
		var rec Record
		ReadRecord(r, &rec)
		if r.Err() != nil {
			return nil, 0, r.Err()
		}
		out = append(out, rec)
	}
	return out, r.Offset(), nil
}

// Rebasing changes the deltas, and the lengths where a delta's varint
// grows or shrinks, and nothing else.
func TestAppendRebasedRecords(t *testing.T) {
	recs := []Record{
		{Value: []byte("a")},
		{Key: []byte("k"), Value: make([]byte, 300), OffsetDelta: 63, TimestampDelta: 63},
		{Key: []byte{}, Value: nil, OffsetDelta: 1 << 40, TimestampDelta: -5, Attributes: 3},
		{Value: make([]byte, 70000), OffsetDelta: 64, TimestampDelta: 8191},
	}
	var b []byte
	for i := range recs {
		b = AppendRecord(b, &recs[i])
	}
	end, ok := SkipRecords(b, len(recs))
	require.True(t, ok)
	require.Equal(t, len(b), end)
	for _, shift := range [][2]int64{{0, 0}, {1, 1}, {100, -100}, {-63, 1 << 20}, {1 << 50, -(1 << 50)}} {
		out, ok := AppendRebasedRecords([]byte("prefix"), b, len(recs), shift[0], shift[1])
		require.True(t, ok)
		require.Equal(t, "prefix", string(out[:6]))
		got, used, err := readRecords(out[6:], len(recs))
		require.NoError(t, err)
		require.Equal(t, len(out)-6, used)
		for i, want := range recs {
			want.OffsetDelta += shift[0]
			want.TimestampDelta += shift[1]
			if want.Value == nil {
				want.Value = []byte{}
			}
			require.Equal(t, want, got[i], "shift %v record %d", shift, i)
		}
	}
	_, ok = AppendRebasedRecords(nil, b, len(recs)-1, 1, 1)
	require.False(t, ok, "a record left over")
	_, ok = AppendRebasedRecords(nil, b[:len(b)-1], len(recs), 1, 1)
	require.False(t, ok, "cut short")
	_, ok = SkipRecords(b[:len(b)-1], len(recs))
	require.False(t, ok, "cut short")
}

// FuzzRecordScan: SkipRecords never accepts what ReadRecord refuses and
// agrees on the length; on what it accepts, AppendRebasedRecords gives
// the same records with shifted deltas. Neither panics on any input.
func FuzzRecordScan(f *testing.F) {
	var good []byte
	good = AppendRecord(good, &Record{Value: []byte("hello")})
	good = AppendRecord(good, &Record{Key: []byte("k"), Value: make([]byte, 300), OffsetDelta: 1, TimestampDelta: -5})
	f.Add(good, uint8(2), int64(7), int64(-7))
	f.Add(good[:len(good)-1], uint8(2), int64(0), int64(0))
	f.Add([]byte{7, 0, 0, 0, 2, 0, 0, 0}, uint8(1), int64(1<<40), int64(0))
	f.Fuzz(func(t *testing.T, b []byte, n uint8, offShift, tsShift int64) {
		end, ok := SkipRecords(b, int(n))
		_, _ = AppendRebasedRecords(nil, b, int(n), offShift, tsShift)
		if !ok {
			return
		}
		want, used, err := readRecords(b, int(n))
		require.NoError(t, err, "SkipRecords accepted what ReadRecord refuses")
		require.Equal(t, used, end)
		out, ok := AppendRebasedRecords(nil, b[:end], int(n), offShift, tsShift)
		require.True(t, ok)
		got, used, err := readRecords(out, int(n))
		require.NoError(t, err)
		require.Equal(t, len(out), used)
		for i := range want {
			want[i].OffsetDelta += offShift
			want[i].TimestampDelta += tsShift
			require.Equal(t, want[i], got[i])
		}
	})
}
