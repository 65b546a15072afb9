package smartmodules

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// FuzzCheckRecords: the fast scan of checkRecords never accepts what the
// full decoder refuses, and both count the same records.
func FuzzCheckRecords(f *testing.F) {
	good := protocol.AppendArrayLen(nil, 2)
	good = protocol.AppendRecord(good, &protocol.Record{Value: []byte("hello")})
	good = protocol.AppendRecord(good, &protocol.Record{Key: []byte("k"), Value: make([]byte, 300), OffsetDelta: 1, TimestampDelta: -5})
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{0, 0, 0, 1, 7, 0, 0, 0, 2, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, section []byte) {
		n, err := checkRecords(section)
		if len(section) < 4 {
			require.Error(t, err)
			return
		}
		fast := fastCheck(section[4:], recordCount(section))
		r := protocol.NewReader(section)
		want := r.ArrayLen(minRecordSize)
		var rec protocol.Record
		for i := 0; i < want && r.Err() == nil; i++ {
			protocol.ReadRecord(r, &rec)
		}
		slowOK := r.Err() == nil && r.Remaining() == 0 && binary.BigEndian.Uint32(section) <= uint32(len(section)-4)/minRecordSize
		if fast {
			require.True(t, slowOK, "the scan accepted what the decoder refuses")
		}
		require.Equal(t, slowOK, err == nil)
		if err == nil {
			require.Equal(t, want, n)
		}
	})
}

// The fast scan accepts well-formed sections (it is the path every
// batch takes): keys or none, empty and long values, large deltas.
func TestScanRecordsAcceptsWellFormed(t *testing.T) {
	var recs []protocol.Record
	for i, v := range []string{"", "a", string(make([]byte, 200)), string(make([]byte, 70000))} {
		r := protocol.Record{Value: []byte(v), OffsetDelta: int64(i) << 40, TimestampDelta: -int64(i) * 1000}
		if i%2 == 1 {
			r.Key = []byte("key")
		}
		recs = append(recs, r)
	}
	section := protocol.AppendArrayLen(nil, len(recs))
	for i := range recs {
		section = protocol.AppendRecord(section, &recs[i])
	}
	require.True(t, fastCheck(section[4:], len(recs)))
	require.False(t, fastCheck(section[4:], len(recs)-1), "a record too many")
	require.False(t, fastCheck(section[4:len(section)-1], len(recs)), "cut short")
	n, err := checkRecords(section)
	require.NoError(t, err)
	require.Equal(t, len(recs), n)
}
