package protocol

import (
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func spuHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func TestProduceIsolationAcks(t *testing.T) {
	tests := []struct {
		acks string
		want Isolation
	}{
		{"0001", ReadUncommitted},
		{"0000", ReadUncommitted},
		{"0002", ReadUncommitted},
		{"ffff", ReadCommitted},
		{"8000", ReadCommitted},
	}
	for _, tc := range tests {
		t.Run(tc.acks, func(t *testing.T) {
			body := spuHex(t, "00"+tc.acks+"000005dc"+"00000000"+"00000000")
			var p ProduceRequest
			r := NewReader(body)
			p.Decode(r, 23)
			require.NoError(t, r.Err())
			require.Equal(t, tc.want, p.Isolation)
		})
	}
	// Encoding writes the two values the client uses.
	rc := (&ProduceRequest{Isolation: ReadCommitted}).Encode(nil, 23)
	require.Equal(t, "00ffff", hex.EncodeToString(rc[:3]))
	ru := (&ProduceRequest{}).Encode(nil, 23)
	require.Equal(t, "000001", hex.EncodeToString(ru[:3]))
}

func TestProduceSmartModulesGate(t *testing.T) {
	p := &ProduceRequest{SmartModules: []SmartModuleInvocation{{Wasm: PredefinedWasm("m")}}}
	v7 := p.Encode(nil, 7)
	v8 := p.Encode(nil, 8)
	require.Len(t, v7, 1+2+4+4, "no smartmodules below v8")
	require.Equal(t, "00000001"+"00"+"00016d"+"00"+"0000", hex.EncodeToString(v8[len(v7):]), "v8 has the chain, no lookback below v20")
}

// allocated runs f and returns the bytes it allocated.
func spuAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestSPUDecodeHugeLengths feeds short bodies whose counts or lengths claim
// about 2 GiB: decoding fails with ErrTooLarge or ErrShortBuffer and
// allocates next to nothing.
func TestSPUDecodeHugeLengths(t *testing.T) {
	tests := []struct {
		name    string
		key     APIKey
		request bool
		version int16
		body    string
	}{
		{"produce topics", KeyProduce, true, 23, "00 0001 000005dc 7fffffff 0001 61"},
		{"produce partitions", KeyProduce, true, 23, "00 0001 000005dc 00000001 0001 61 7fffffff 00000000"},
		{"produce record set", KeyProduce, true, 23, "00 0001 000005dc 00000001 0001 61 00000001 00000000 7fffffff 00000000"},
		{"produce smartmodules", KeyProduce, true, 23, "00 0001 000005dc 00000000 7fffffff 00"},
		{"produce adhoc wasm", KeyProduce, true, 23, "00 0001 000005dc 00000000 00000001 01 7fffffff 1f8b"},
		{"produce accumulator", KeyProduce, true, 23, "00 0001 000005dc 00000000 00000001 00 0000 03 7fffffff 00"},
		{"produce params map", KeyProduce, true, 23, "00 0001 000005dc 00000000 00000001 00 0000 00 ffff 0001 61"},
		{"stream fetch chain", KeyStreamFetch, true, 23, "0001 74 00000000 0000000000000000 00001000 00 7fffffff 00"},
		{"stream fetch legacy wasm", KeyStreamFetch, true, 18, "0001 74 00000000 0000000000000000 00001000 00 7fffffff 00"},
		{"fetch topics", KeyFetch, true, 23, "00000000 00000000 00000000 00 7fffffff"},
		{"fetch forgotten", KeyFetch, true, 23, "00000000 00000000 00000000 00 00000000 00000001 0001 61 7fffffff"},
		{"fetch offsets topics", KeyFetchOffsets, true, 23, "7fffffff 0001 61"},
		{"update offsets", KeyUpdateOffsets, true, 0, "7fffffff 0000000000000002 00000001"},
		{"produce response", KeyProduce, false, 23, "00000001 0001 61 7fffffff"},
		{"fetch response record set", KeyFetch, false, 23, "00000000 0000 00000000 00000001 0001 61 00000001 00000000 0000 0000000000000000 0000000000000000 0000000000000000 00 7fffffff"},
		{"stream fetch response record set", KeyStreamFetch, false, 23, "0001 74 00000001 00000000 0000 0000000000000000 0000000000000000 0000000000000000 00 7fffffff 0000"},
		{"stream fetch response aborted", KeyStreamFetch, false, 23, "0001 74 00000001 00000000 0000 0000000000000000 0000000000000000 0000000000000000 01 7fffffff"},
		{"fetch offsets response", KeyFetchOffsets, false, 23, "00000001 0001 61 7fffffff"},
		{"update offsets response", KeyUpdateOffsets, false, 0, "7fffffff 00000001"},
		{"consumer offsets response", KeyFetchConsumerOffsets, false, 25, "0000 7fffffff 0001 61"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := spuHex(t, tc.body)
			var m Message
			if tc.request {
				m, _ = NewSPURequest(tc.key)
			} else {
				m, _ = NewSPUResponse(tc.key)
			}
			r := NewReader(body)
			n := spuAllocated(func() { m.Decode(r, tc.version) })
			require.Error(t, r.Err())
			require.True(t, errors.Is(r.Err(), ErrTooLarge) || errors.Is(r.Err(), ErrShortBuffer), "%v", r.Err())
			require.Less(t, n, uint64(64<<10), "decode allocated %d bytes", n)
		})
	}
}

func TestSPUDecodeInvalidValues(t *testing.T) {
	tests := []struct {
		name    string
		key     APIKey
		version int16
		body    string
		errText string
	}{
		{"unknown wasm tag", KeyStreamFetch, 23, "0001 74 00000000 0000000000000000 00001000 00 00000001 02 0000 00 0000 00 00", "unknown SmartModuleInvocationWasm"},
		{"unknown kind tag", KeyStreamFetch, 23, "0001 74 00000000 0000000000000000 00001000 00 00000001 00 0001 6d 08 0000 00 00", "unknown SmartModuleKind"},
		{"unknown context tag", KeyStreamFetch, 23, "0001 74 00000000 0000000000000000 00001000 00 00000001 00 0001 6d 07 04 0000 00 00", "unknown SmartModuleContextData"},
		{"unknown isolation", KeyStreamFetch, 23, "0001 74 00000000 0000000000000000 00001000 02 00000000 00", "unknown Isolation"},
		{"bad bool", KeyStreamFetch, 23, "0001 74 00000000 0000000000000000 00001000 00 00000000 02", "not valid bool"},
		{"nanos overflow", KeyStreamFetch, 23, "0001 74 00000000 0000000000000000 00001000 00 00000001 00 0001 6d 00 0000 01 0000000000000001 01 0000000000000001 3b9aca00 00", "duration"},
		{"seconds overflow", KeyStreamFetch, 23, "0001 74 00000000 0000000000000000 00001000 00 00000001 00 0001 6d 00 0000 01 0000000000000001 01 ffffffffffffffff 00000000 00", "duration"},
		{"negative record set", KeyProduce, 23, "00 0001 000005dc 00000001 0001 61 00000001 00000000 ffffffff 00000000", "negative record set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := NewSPURequest(tc.key)
			r := NewReader(spuHex(t, tc.body))
			m.Decode(r, tc.version)
			require.ErrorIs(t, r.Err(), ErrInvalid)
			require.ErrorContains(t, r.Err(), tc.errText)
		})
	}
}

func TestSmartModuleParamsSortedAndLookback(t *testing.T) {
	age := 2*time.Second + 3*time.Nanosecond
	p := SmartModuleExtraParams{Params: map[string]string{"c": "3", "a": "1", "b": "2"}, Lookback: &Lookback{Last: 5, Age: &age}}
	sorted := "0003" + "0001610001" + "31" + "0001620001" + "32" + "0001630001" + "33"
	tests := []struct {
		version int16
		want    string
	}{
		{19, sorted},
		{20, sorted + "01" + "0000000000000005"},
		{21, sorted + "01" + "0000000000000005" + "01" + "0000000000000002" + "00000003"},
	}
	for _, tc := range tests {
		got := p.Encode(nil, tc.version)
		require.Equal(t, tc.want, hex.EncodeToString(got), "v%d", tc.version)
	}
	neg := -time.Second
	got := (&SmartModuleExtraParams{Lookback: &Lookback{Age: &neg}}).Encode(nil, 21)
	require.Equal(t, "0000"+"01"+"0000000000000000"+"01"+"0000000000000000"+"00000000", hex.EncodeToString(got), "negative age encodes as zero")
}

func TestSmartModuleKindEncoding(t *testing.T) {
	tests := []struct {
		kind SmartModuleKind
		want string
	}{
		{SmartModuleKind{Type: SMKindFilter}, "00"},
		{SmartModuleKind{Type: SMKindArrayMap}, "02"},
		{SmartModuleKind{Type: SMKindAggregate, Accumulator: []byte("ab")}, "03000000026162"},
		{SmartModuleKind{Type: SMKindAggregate}, "0300000000"},
		{SmartModuleKind{Type: SMKindFilterMap}, "04"},
		{SmartModuleKind{Type: SMKindJoin, Topic: "t"}, "05000174"},
		{SmartModuleKind{Type: SMKindJoinStream, Topic: "t", DerivedStream: "d"}, "060001740001" + "64"},
		{SmartModuleKind{Type: SMKindGeneric}, "0700"},
		{SmartModuleKind{Type: SMKindGeneric, Context: SMContextAggregate, Accumulator: []byte("a")}, "07010000000161"},
		{SmartModuleKind{Type: SMKindGeneric, Context: SMContextJoin, Topic: "t"}, "0702000174"},
		{SmartModuleKind{Type: SMKindGeneric, Context: SMContextJoinStream, Topic: "t", DerivedStream: "d"}, "0703000174000164"},
	}
	for _, tc := range tests {
		t.Run(tc.kind.Type.String(), func(t *testing.T) {
			got := tc.kind.Encode(nil)
			require.Equal(t, tc.want, hex.EncodeToString(got))
			var back SmartModuleKind
			r := NewReader(got)
			back.Decode(r)
			require.NoError(t, r.Err())
			if len(tc.kind.Accumulator) == 0 {
				require.Empty(t, back.Accumulator)
				back.Accumulator = tc.kind.Accumulator
			}
			require.Equal(t, tc.kind, back)
		})
	}
}

func TestRecordSetBatches(t *testing.T) {
	batch := spuSampleBatch(t)
	tests := []struct {
		name  string
		bytes []byte
		want  int
	}{
		{"empty", nil, 0},
		{"one", batch, 1},
		{"two", append(append([]byte{}, batch...), batch...), 2},
		{"truncated trailing batch", append(append([]byte{}, batch...), batch[:40]...), 1},
		{"trailing preamble only", append(append([]byte{}, batch...), batch[:12]...), 1},
		{"batch_len too small", append(append([]byte{}, batch[:8]...), 0, 0, 0, 4, 1, 2, 3, 4), 0},
		{"negative batch_len", append(append([]byte{}, batch[:8]...), 0xff, 0xff, 0xff, 0xff), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := RecordSet{Batches: tc.bytes}
			require.Equal(t, tc.want, rs.Count())
			for b := range rs.All() {
				require.Equal(t, batch, b)
			}
			enc := rs.Encode(nil)
			require.Equal(t, rs.Size(), len(enc))
			var back RecordSet
			r := NewReader(enc)
			back.Decode(r)
			require.NoError(t, r.Err())
			require.Equal(t, len(tc.bytes), len(back.Batches))
		})
	}
}

func TestConsumerOffsetFilterMatches(t *testing.T) {
	c := &ConsumerOffset{ConsumerID: "c1", ReplicaID: ReplicaKey{Topic: "t", Partition: 1}}
	tests := []struct {
		name   string
		filter *ConsumerOffsetFilter
		want   bool
	}{
		{"nil", nil, true},
		{"empty", &ConsumerOffsetFilter{}, true},
		{"replica match", &ConsumerOffsetFilter{ReplicaID: &ReplicaKey{Topic: "t", Partition: 1}}, true},
		{"replica other partition", &ConsumerOffsetFilter{ReplicaID: &ReplicaKey{Topic: "t", Partition: 0}}, false},
		{"consumer match", &ConsumerOffsetFilter{ConsumerID: spuPtr("c1")}, true},
		{"consumer other", &ConsumerOffsetFilter{ConsumerID: spuPtr("c2")}, false},
		{"both", &ConsumerOffsetFilter{ReplicaID: &ReplicaKey{Topic: "t", Partition: 1}, ConsumerID: spuPtr("c1")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.filter.Matches(c))
		})
	}
}

func TestSPURegistry(t *testing.T) {
	keys := []APIKey{KeyApiVersions, KeyProduce, KeyFetch, KeyFetchOffsets, KeyStreamFetch, KeyUpdateOffsets,
		KeyUpdateConsumerOffset, KeyDeleteConsumerOffset, KeyFetchConsumerOffsets}
	for _, k := range keys {
		req, ok := NewSPURequest(k)
		require.True(t, ok, "request %d", k)
		resp, ok := NewSPUResponse(k)
		require.True(t, ok, "response %d", k)
		require.NotSame(t, req, resp)
	}
	for _, k := range []APIKey{KeyStartMirror, KeyWatch, 9999} {
		_, ok := NewSPURequest(k)
		require.False(t, ok, "request %d", k)
		_, ok = NewSPUResponse(k)
		require.False(t, ok, "response %d", k)
	}
	// Each call returns a fresh message.
	a, _ := NewSPURequest(KeyProduce)
	b, _ := NewSPURequest(KeyProduce)
	require.NotSame(t, a, b)
}

func TestDecodeSPURequestAndResponse(t *testing.T) {
	// The captured UpdateOffsets request of spec §7.5.
	body := spuHex(t, "00000001 0000000000000002 00000001")
	m, err := DecodeSPURequest(&RequestHeader{APIKey: KeyUpdateOffsets, APIVersion: 0}, body)
	require.NoError(t, err)
	require.Equal(t, &UpdateOffsetsRequest{Offsets: []OffsetUpdate{{Offset: 2, SessionID: 1}}}, m)

	_, err = DecodeSPURequest(&RequestHeader{APIKey: KeyUpdateOffsets}, body[:6])
	require.ErrorIs(t, err, ErrTooLarge)
	require.ErrorContains(t, err, "key 1005 v0")

	_, err = DecodeSPURequest(&RequestHeader{APIKey: KeyStartMirror}, nil)
	require.ErrorIs(t, err, ErrInvalid)

	resp, err := DecodeSPUResponse(KeyUpdateOffsets, 0, spuHex(t, "00000001 00000001 0bba"))
	require.NoError(t, err)
	require.Equal(t, FetchSessionNotFoud, resp.(*UpdateOffsetsResponse).Status[0].Error.Code)
	_, err = DecodeSPUResponse(9999, 0, nil)
	require.ErrorIs(t, err, ErrInvalid)
}
