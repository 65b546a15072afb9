package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// AppendProduceFrame with the batches written at split gives the bytes of
// EncodeRequestFrame, at versions with and without SmartModules.
func TestAppendProduceFrame(t *testing.T) {
	b1, err := AppendBatch(nil, &Batch{Header: NewBatch(1700000000000, []Record{{Value: []byte("one")}}).Header, Records: []Record{{Value: []byte("one")}}}, CompressionNone)
	require.NoError(t, err)
	b2, err := AppendBatch(nil, &Batch{Header: NewBatch(1700000000001, []Record{{Key: []byte("k"), Value: []byte("two")}}).Header, Records: []Record{{Key: []byte("k"), Value: []byte("two")}}}, CompressionNone)
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		version int16
		batches [][]byte
		sms     []SmartModuleInvocation
	}{
		{"v7 one batch", 7, [][]byte{b1}, nil},
		{"v8 two batches", 8, [][]byte{b1, b2}, nil},
		{"v25 smartmodule", 25, [][]byte{b2}, []SmartModuleInvocation{{Wasm: PredefinedWasm("m")}}},
		{"empty record set", 25, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var set []byte
			for _, b := range tc.batches {
				set = append(set, b...)
			}
			h := RequestHeader{APIKey: KeyProduce, APIVersion: tc.version, CorrelationID: 42, ClientID: "fluvio"}
			req := &ProduceRequest{TimeoutMs: 1500, Topics: []TopicProduceData{{Name: "t", Partitions: []PartitionProduceData{{PartitionIndex: 3, Records: RecordSet{Batches: set}}}}}, SmartModules: tc.sms}
			want := EncodeRequestFrame(nil, &h, req)

			head := &ProduceRequest{TimeoutMs: 1500, Topics: []TopicProduceData{{Name: "t", Partitions: []PartitionProduceData{{PartitionIndex: 3}}}}, SmartModules: tc.sms}
			frame, split := AppendProduceFrame([]byte("prefix"), &h, head, len(set))
			require.Equal(t, "prefix", string(frame[:6]), "appends to dst")
			got := append(append(append([]byte{}, frame[6:split]...), set...), frame[split:]...)
			require.Equal(t, want, got)
		})
	}
	require.Panics(t, func() { AppendProduceFrame(nil, &RequestHeader{}, &ProduceRequest{}, 0) })
}
