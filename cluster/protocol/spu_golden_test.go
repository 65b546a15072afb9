package protocol

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/internal/golden"
)

// spuSampleBatch is a small, valid batch (the captured 1-record produce batch).
func spuSampleBatch(t testing.TB) []byte {
	b, err := hex.DecodeString("0000000000000000" + "0000003dffffffff0201d38126000000000000000001a2010bb5df000001a2010bb5dfffffffffffffffffffffffffffff000000011600000001046b33047633" + "00")
	require.NoError(t, err)
	return b
}

// spuSampleInvocations exercises every SmartModule variant and version gate.
func spuSampleInvocations(t testing.TB) []SmartModuleInvocation {
	age := 90*time.Second + 5*time.Millisecond
	return []SmartModuleInvocation{
		{Wasm: PredefinedWasm("my-map"), Kind: SmartModuleKind{Type: SMKindMap}},
		{
			Wasm:   AdHocWasm([]byte{0x1f, 0x8b, 8, 0}),
			Kind:   SmartModuleKind{Type: SMKindAggregate, Accumulator: []byte("0")},
			Params: SmartModuleExtraParams{Params: map[string]string{"b": "2", "a": "1"}, Lookback: &Lookback{Last: 10, Age: &age}},
			Name:   spuPtr("agg"),
		},
		{Wasm: PredefinedWasm("j"), Kind: SmartModuleKind{Type: SMKindJoin, Topic: "other"}},
		{Wasm: PredefinedWasm("js"), Kind: SmartModuleKind{Type: SMKindJoinStream, Topic: "t", DerivedStream: "ds"}},
		{Wasm: PredefinedWasm("g"), Kind: SmartModuleKind{Type: SMKindGeneric, Context: SMContextAggregate, Accumulator: []byte("acc")},
			Params: SmartModuleExtraParams{Lookback: &Lookback{Last: 1}}},
		{Wasm: PredefinedWasm("gj"), Kind: SmartModuleKind{Type: SMKindGeneric, Context: SMContextJoinStream, Topic: "t", DerivedStream: "d"}},
	}
}

type spuGoldenCase struct {
	name     string
	key      APIKey
	request  bool
	msg      Message
	versions []int16
	// full is the version at which every field of msg is on the wire, so
	// decoding gives msg back exactly.
	full int16
}

func spuGoldenCases(t testing.TB) []spuGoldenCase {
	batch := spuSampleBatch(t)
	two := append(append([]byte{}, batch...), batch...)
	all := []int16{0, 23, SPUMaxVersion}
	return []spuGoldenCase{
		{"produce-request", KeyProduce, true, &ProduceRequest{
			TransactionalID: spuPtr("tx"), Isolation: ReadCommitted, TimeoutMs: 1500,
			Topics: []TopicProduceData{
				{Name: "t1", Partitions: []PartitionProduceData{{PartitionIndex: 0, Records: RecordSet{Batches: batch}}, {PartitionIndex: 0, Records: RecordSet{Batches: two}}}},
				{Name: "empty"},
			},
			SmartModules: spuSampleInvocations(t),
		}, all, 25},
		{"produce-response", KeyProduce, false, &ProduceResponse{
			Responses: []TopicProduceResponse{
				{Name: "t1", Partitions: []PartitionProduceResponse{
					{PartitionIndex: 0, BaseOffset: 7, LogAppendTimeMs: -1, LogStartOffset: 3},
					{PartitionIndex: 1, ErrorCode: ErrorCode{Code: RequestTimedOut, A: 1500}, BaseOffset: -1},
				}},
				{Name: "empty"},
			},
			ThrottleTimeMs: 5,
		}, all, 25},
		{"fetch-request", KeyFetch, true, &FetchRequest{
			MaxWait: 100, MinBytes: 1, MaxBytes: 1 << 20, IsolationLevel: ReadCommitted,
			Topics: []FetchableTopic{{Name: "t1", FetchPartitions: []FetchPartition{
				{PartitionIndex: 2, CurrentLeaderEpoch: 4, FetchOffset: 10, LogStartOffset: 1, MaxBytes: 4096},
			}}},
			Forgotten: []ForgottenTopic{{Name: "old", ForgottenPartitionIndexes: []int32{1, 3}}},
		}, all, 25},
		{"fetch-response", KeyFetch, false, &FetchResponse{
			ThrottleTimeMs: 1, SessionID: 9,
			Topics: []FetchableTopicResponse{{Name: "t1", Partitions: []FetchablePartitionResponse{
				{PartitionIndex: 0, HighWatermark: 3, NextFilterOffset: 2, LogStartOffset: 0, Records: RecordSet{Batches: batch}},
				{PartitionIndex: 1, ErrorCode: NewError(OffsetOutOfRange), Aborted: &[]AbortedTransaction{{ProducerID: 1, FirstOffset: 2}}},
			}}},
		}, all, 25},
		{"fetchoffsets-request", KeyFetchOffsets, true, &FetchOffsetsRequest{
			Topics:     []FetchOffsetTopic{{Name: "t1", Partitions: []FetchOffsetPartition{{0}, {3}}}},
			ConsumerID: spuPtr("c1"),
		}, all, 23},
		{"fetchoffsets-response", KeyFetchOffsets, false, &FetchOffsetsResponse{
			Topics: []FetchOffsetTopicResponse{{Name: "t1", Partitions: []FetchOffsetPartitionResponse{
				{PartitionIndex: 0, StartOffset: 1, LastStableOffset: 5},
				{ErrorCode: NewError(PartitionNotLeader), PartitionIndex: 3},
			}}},
		}, all, 25},
		{"streamfetch-request", KeyStreamFetch, true, &StreamFetchRequest{
			Topic: "t1", Partition: 1, FetchOffset: 42, MaxBytes: 4096, Isolation: ReadCommitted,
			SmartModules: spuSampleInvocations(t), ConsumerID: spuPtr("c1"),
		}, all, 25},
		{"streamfetch-request-legacy", KeyStreamFetch, true, &StreamFetchRequest{
			Topic: "t1", FetchOffset: 1, MaxBytes: DefaultStreamFetchMaxBytes,
			WasmModule:    []byte{0, 0x61, 0x73, 0x6d},
			SmartModule:   &SmartModuleInvocation{Wasm: PredefinedWasm("f"), Kind: SmartModuleKind{Type: SMKindFilter}, Params: SmartModuleExtraParams{Params: map[string]string{"k": "v"}}},
			DerivedStream: &DerivedStreamInvocation{Stream: "ds", Params: SmartModuleExtraParams{Params: map[string]string{"x": "y"}}},
			SmartModules:  []SmartModuleInvocation{{Wasm: PredefinedWasm("m"), Kind: SmartModuleKind{Type: SMKindArrayMap}}},
		}, []int16{10, 11, 16, 17, 18, 19}, 18},
		{"streamfetch-response", KeyStreamFetch, false, &StreamFetchResponse{
			Topic: "t1", StreamID: 1,
			Partition: FetchablePartitionResponse{
				PartitionIndex: 0, HighWatermark: 1, NextFilterOffset: 1,
				ErrorCode: ErrorCode{Code: SmartModuleRuntimeError, Runtime: &SmartModuleTransformRuntimeError{
					Hint: "boom", Offset: 7, Kind: ErrKindMap, RecordValue: []byte("abc"),
				}},
				Records: RecordSet{Batches: batch},
			},
		}, all, 25},
		{"updateoffsets-request", KeyUpdateOffsets, true, &UpdateOffsetsRequest{
			Offsets: []OffsetUpdate{{Offset: 2, SessionID: 1}, {Offset: 9, SessionID: 4}},
		}, []int16{0}, 0},
		{"updateoffsets-response", KeyUpdateOffsets, false, &UpdateOffsetsResponse{
			Status: []OffsetUpdateStatus{{SessionID: 1}, {SessionID: 4, Error: NewError(FetchSessionNotFoud)}},
		}, []int16{0}, 0},
		{"updateconsumeroffset-request", KeyUpdateConsumerOffset, true, &UpdateConsumerOffsetRequest{Offset: 41, SessionID: 2}, all, 25},
		{"updateconsumeroffset-response", KeyUpdateConsumerOffset, false, &UpdateConsumerOffsetResponse{Offset: 41, ErrorCode: NewError(OffsetManagementDisabled)}, all, 25},
		{"deleteconsumeroffset-request", KeyDeleteConsumerOffset, true, &DeleteConsumerOffsetRequest{ReplicaID: ReplicaKey{Topic: "t1", Partition: 2}, ConsumerID: "c1"}, all, 25},
		{"deleteconsumeroffset-response", KeyDeleteConsumerOffset, false, &DeleteConsumerOffsetResponse{}, all, 25},
		{"fetchconsumeroffsets-request", KeyFetchConsumerOffsets, true, &FetchConsumerOffsetsRequest{
			FilterOpts: &ConsumerOffsetFilter{ReplicaID: &ReplicaKey{Topic: "t1"}, ConsumerID: spuPtr("c1")},
		}, all, 25},
		{"fetchconsumeroffsets-response", KeyFetchConsumerOffsets, false, &FetchConsumerOffsetsResponse{
			Consumers: []ConsumerOffset{{ConsumerID: "c1", ReplicaID: ReplicaKey{Topic: "t1", Partition: 0}, Offset: 41, ModifiedTime: 1795313874399}},
		}, all, 25},
	}
}

func TestSPUGolden(t *testing.T) {
	for _, tc := range spuGoldenCases(t) {
		for _, v := range tc.versions {
			t.Run(fmt.Sprintf("%s/v%d", tc.name, v), func(t *testing.T) {
				got := tc.msg.Encode(nil, v)
				golden.Assert(t, filepath.Join("spu", fmt.Sprintf("%s-v%d", tc.name, v)), hexLines(got))

				// The golden bytes decode with the registry and encode back.
				var fresh Message
				var ok bool
				if tc.request {
					fresh, ok = NewSPURequest(tc.key)
				} else {
					fresh, ok = NewSPUResponse(tc.key)
				}
				require.True(t, ok)
				r := NewReader(got)
				fresh.Decode(r, v)
				require.NoError(t, r.Err())
				require.Zero(t, r.Remaining())
				require.Equal(t, got, fresh.Encode(nil, v))
				if v == tc.full {
					require.Equal(t, tc.msg, fresh)
				}
			})
		}
	}
}
