package protocol

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

func spuFrames(t *testing.T) []capturedFrame { return framesOfSide(t, "spu") }

func decodeSPUFrame(t *testing.T, f *capturedFrame) Message {
	t.Helper()
	return decodeCapturedFrame(t, f, NewSPURequest, NewSPUResponse)
}

// Every SPU message the client uses is in the captures.
func TestSPUCapturesRoundTrip(t *testing.T) {
	captureRoundTrip(t, "spu", NewSPURequest, NewSPUResponse,
		"in/0", "out/0", "in/1002", "out/1002", "in/1003", "out/1003", "in/1005", "out/1005")
}

// findSPUFrame returns the first SPU frame satisfying match.
func findSPUFrame(t *testing.T, frames []capturedFrame, match func(f *capturedFrame, m Message) bool) (capturedFrame, Message) {
	t.Helper()
	for _, f := range frames {
		m := decodeSPUFrame(t, &f)
		if match(&f, m) {
			return f, m
		}
	}
	t.Fatal("no matching captured frame")
	return capturedFrame{}, nil
}

func TestSPUCapturesContents(t *testing.T) {
	frames := spuFrames(t)

	t.Run("produce", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			p, ok := m.(*ProduceRequest)
			return ok && f.Dir == "in" && len(p.Topics) == 1 && p.Topics[0].Name == "test-topic" && len(p.Topics[0].Partitions) == 1
		})
		p := m.(*ProduceRequest)
		require.Nil(t, p.TransactionalID)
		require.Equal(t, ReadUncommitted, p.Isolation)
		require.EqualValues(t, 1500, p.TimeoutMs)
		require.Empty(t, p.SmartModules)
		part := p.Topics[0].Partitions[0]
		require.EqualValues(t, 0, part.PartitionIndex)
		// The record set is whole batches, untouched: magic 2 at offset 16,
		// and its batch_len accounts for every byte.
		b := part.Records.Batches
		require.GreaterOrEqual(t, len(b), BatchFileHeaderSize)
		require.EqualValues(t, BatchMagic, b[16])
		require.Equal(t, 1, part.Records.Count())
		h, err := ParseBatchHeader(b)
		require.NoError(t, err)
		require.Equal(t, len(b), h.Size())
	})

	t.Run("produce 2 records exact batch", func(t *testing.T) {
		want, _ := hex.DecodeString("0000000000000001" + "00000057ffffffff02ce25ba10000000000001000001a2010bb5dd000001a2010bb5ddffffffffffffffffffffffffffff000000022200000001086b6579310c76616c75653100260000020100186e6f7265636f72642d6b657900")
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			p, ok := m.(*ProduceRequest)
			return ok && len(p.Topics) == 1 && len(p.Topics[0].Partitions) == 1 && len(p.Topics[0].Partitions[0].Records.Batches) == 99
		})
		require.Equal(t, want, m.(*ProduceRequest).Topics[0].Partitions[0].Records.Batches)
	})

	t.Run("produce response", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			_, ok := m.(*ProduceResponse)
			return ok
		})
		p := m.(*ProduceResponse)
		require.Len(t, p.Responses, 1)
		require.True(t, p.Responses[0].Partitions[0].ErrorCode.IsOK())
	})

	t.Run("fetch offsets", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			_, ok := m.(*FetchOffsetsRequest)
			return ok
		})
		req := m.(*FetchOffsetsRequest)
		require.Len(t, req.Topics, 1)
		require.Equal(t, []FetchOffsetPartition{{PartitionIndex: 0}}, req.Topics[0].Partitions)
		require.Nil(t, req.ConsumerID)
	})

	t.Run("stream fetch predefined my-map", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			s, ok := m.(*StreamFetchRequest)
			return ok && len(s.SmartModules) == 1 && s.SmartModules[0].Wasm.Type == WasmPredefined
		})
		s := m.(*StreamFetchRequest)
		require.Equal(t, "pre-topic", s.Topic)
		require.EqualValues(t, 1, s.FetchOffset)
		require.EqualValues(t, 4096, s.MaxBytes)
		require.Equal(t, ReadUncommitted, s.Isolation)
		sm := s.SmartModules[0]
		require.Equal(t, "my-map", sm.Wasm.Name)
		require.Equal(t, SMKindMap, sm.Kind.Type)
		require.Nil(t, sm.Params.Params)
		require.Nil(t, sm.Params.Lookback)
		require.Nil(t, sm.Name)
		require.Nil(t, s.ConsumerID)
	})

	t.Run("stream fetch ad-hoc gzip", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			s, ok := m.(*StreamFetchRequest)
			return ok && len(s.SmartModules) == 1 && s.SmartModules[0].Wasm.Type == WasmAdHoc && len(s.SmartModules[0].Wasm.AdHoc) > 5
		})
		sm := m.(*StreamFetchRequest).SmartModules[0]
		require.Equal(t, []byte{0x1f, 0x8b}, sm.Wasm.AdHoc[:2])
		require.Equal(t, SMKindFilter, sm.Kind.Type)
	})

	t.Run("stream fetch plain from beginning", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			s, ok := m.(*StreamFetchRequest)
			return ok && s.Topic == "test-topic" && len(s.SmartModules) == 0
		})
		s := m.(*StreamFetchRequest)
		require.EqualValues(t, DefaultStreamFetchMaxBytes, s.MaxBytes)
		require.Nil(t, s.WasmModule)
		require.Nil(t, s.SmartModule)
		require.Nil(t, s.DerivedStream)
	})

	t.Run("stream records response", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			s, ok := m.(*StreamFetchResponse)
			return ok && s.Topic == "test-topic" && len(s.Partition.Records.Batches) > 0
		})
		s := m.(*StreamFetchResponse)
		require.EqualValues(t, 1, s.StreamID)
		require.True(t, s.Partition.ErrorCode.IsOK())
		require.Nil(t, s.Partition.Aborted)
		require.Equal(t, 1, s.Partition.Records.Count())
	})

	t.Run("runtime error frame", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			s, ok := m.(*StreamFetchResponse)
			return ok && s.Partition.ErrorCode.Code == SmartModuleRuntimeError
		})
		s := m.(*StreamFetchResponse)
		require.Equal(t, "pre-topic", s.Topic)
		require.EqualValues(t, 4, s.StreamID)
		require.Equal(t, &SmartModuleTransformRuntimeError{
			Hint: "boom: not a number", Offset: 7, Kind: ErrKindMap,
			RecordKey: []byte("k7"), RecordValue: []byte("abc"),
		}, s.Partition.ErrorCode.Runtime)
		require.Empty(t, s.Partition.Records.Batches)
	})

	t.Run("not found error frame", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			s, ok := m.(*StreamFetchResponse)
			return ok && s.Partition.ErrorCode.Code == SmartModuleNotFound
		})
		s := m.(*StreamFetchResponse)
		require.EqualValues(t, 5, s.StreamID)
		require.Equal(t, "missing-sm", s.Partition.ErrorCode.Message)
	})

	t.Run("update offsets", func(t *testing.T) {
		_, m := findSPUFrame(t, frames, func(f *capturedFrame, m Message) bool {
			_, ok := m.(*UpdateOffsetsRequest)
			return ok
		})
		u := m.(*UpdateOffsetsRequest)
		require.Len(t, u.Offsets, 1)
		require.EqualValues(t, 1, u.Offsets[0].SessionID)
	})
}

// TestSPUDerivedVectors checks the vectors of spec §7.8.
func TestSPUDerivedVectors(t *testing.T) {
	myMap := "my-map"
	tests := []struct {
		name    string
		version int16
		msg     interface {
			Encode([]byte, int16) []byte
			Decode(*Reader, int16)
		}
		fresh func() interface {
			Encode([]byte, int16) []byte
			Decode(*Reader, int16)
		}
		hex string
	}{
		{
			name: "invocation v23", version: 23,
			msg: &SmartModuleInvocation{Wasm: PredefinedWasm("my-map"), Kind: SmartModuleKind{Type: SMKindMap}},
			fresh: func() interface {
				Encode([]byte, int16) []byte
				Decode(*Reader, int16)
			} {
				return &SmartModuleInvocation{}
			},
			hex: "00" + "00066d792d6d6170" + "01" + "0000" + "00",
		},
		{
			name: "invocation v25 with name", version: 25,
			msg: &SmartModuleInvocation{Wasm: PredefinedWasm("my-map"), Kind: SmartModuleKind{Type: SMKindMap}, Name: &myMap},
			fresh: func() interface {
				Encode([]byte, int16) []byte
				Decode(*Reader, int16)
			} {
				return &SmartModuleInvocation{}
			},
			hex: "00" + "00066d792d6d6170" + "01" + "0000" + "00" + "01" + "00066d792d6d6170",
		},
		{
			name: "fetch consumer offsets v25", version: 25,
			msg: &FetchConsumerOffsetsRequest{FilterOpts: &ConsumerOffsetFilter{
				ReplicaID: &ReplicaKey{Topic: "t", Partition: 0}, ConsumerID: spuPtr("c1"),
			}},
			fresh: func() interface {
				Encode([]byte, int16) []byte
				Decode(*Reader, int16)
			} {
				return &FetchConsumerOffsetsRequest{}
			},
			hex: "01" + "01" + "000174" + "00000000" + "01" + "00026331",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.msg.Encode(nil, tc.version)
			require.Equal(t, tc.hex, hex.EncodeToString(got))
			back := tc.fresh()
			r := NewReader(got)
			back.Decode(r, tc.version)
			require.NoError(t, r.Err())
			require.Zero(t, r.Remaining())
			require.Equal(t, tc.msg, back)
		})
	}
}

func spuPtr[T any](v T) *T { return &v }
