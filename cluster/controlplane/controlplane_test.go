package controlplane

import (
	"context"
	"errors"
	"net"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

func strp(s string) *string { return &s }

func sampleMessages() []Message {
	return []Message{
		&Register{SpuID: 5001, Public: Endpoint{"localhost", 9010}, Private: Endpoint{"localhost", 9011}, Rack: strp("r1"), BuildVersion: "0.1.0"},
		&Register{SpuID: 5002, Public: Endpoint{"h", 1}, Private: Endpoint{"h", 2}},
		&RegisterResponse{},
		&RegisterResponse{Error: protocol.NewError(protocol.SpuAlreadyExists), Message: "spu 5001 is already online"},
		&UpdateSpus{Epoch: 7, Full: true, Spus: []SpuInfo{{ID: 5001, Public: Endpoint{"localhost", 9010}, Private: Endpoint{"localhost", 9011}, Online: true}}},
		&UpdateSpus{Epoch: 8, Removed: []int32{5002, 5003}},
		&UpdateReplicas{Epoch: 3, Full: true, Replicas: []Replica{{
			ReplicaKey: ReplicaKey{"consumer-offset", 0}, Leader: 5001, Replicas: []int32{5001},
			Config: ReplicaConfig{Compression: protocol.TopicCompressionAny, RetentionSeconds: 604800, SegmentSize: 512000000, MaxPartitionSize: 2048000000, System: true},
		}}},
		&UpdateReplicas{Epoch: 4, Removed: []ReplicaKey{{"t", 2}}},
		&UpdateSmartModules{Epoch: 5, Full: true, Modules: []SmartModule{
			{Name: "my-filter", Wasm: []byte{0x1f, 0x8b, 1, 2, 3}},
			{Name: "f-g-1.0.0", Package: &SmartModulePackage{"f", "g", "1.0.0", "0.1.0"}, Params: []SmartModuleParam{{Name: "key", Description: strp("d"), Optional: true}}, Format: WasmText, Wasm: []byte{9}},
		}},
		&UpdateSmartModules{Epoch: 6, Removed: []string{"my-filter"}},
		&ReplicaStatusReport{Replicas: []ReplicaStatus{{ReplicaKey: ReplicaKey{"t", 0}, HW: 10, LEO: 12, Size: 4096, LogStart: 0}}},
		&ReplicaStatusReport{},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		h := protocol.RequestHeader{APIKey: m.APIKey(), APIVersion: Version, CorrelationID: 42, ClientID: "sc"}
		frame := protocol.EncodeRequestFrame(nil, &h, m)
		gotH, got, err := Decode(frame[4:])
		require.NoError(t, err, "key %d", m.APIKey())
		require.Equal(t, h, gotH)
		require.Equal(t, m, got)
	}
}

func TestDecodeRejects(t *testing.T) {
	enc := func(key protocol.APIKey, v int16, m Message) []byte {
		h := protocol.RequestHeader{APIKey: key, APIVersion: v, CorrelationID: 1, ClientID: "x"}
		return protocol.EncodeRequestFrame(nil, &h, m)[4:]
	}
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"unknown key", enc(1001, 0, &ReplicaStatusReport{}), ErrUnknownKey},
		{"future version", enc(KeyRegister, Version+1, &Register{}), protocol.ErrInvalid},
		{"truncated", enc(KeyRegister, 0, &Register{SpuID: 1, Public: Endpoint{"abc", 1}})[:15], protocol.ErrShortBuffer},
		{"huge count", append(enc(KeyReplicaStatusReport, 0, &ReplicaStatusReport{})[:14], 0x7f, 0xff, 0xff, 0xff), protocol.ErrTooLarge},
		{"bad compression", func() []byte {
			b := enc(KeyUpdateReplicas, 0, &UpdateReplicas{Replicas: []Replica{{ReplicaKey: ReplicaKey{"t", 0}}}})
			b[len(b)-4-(1+4+4+8+1)] = 9 // compression sits before retention, segment, max size, system and the Removed count
			return b
		}(), protocol.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.frame)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

// fakeSC accepts one connection and answers Register with resp, then pushes
// a full replica sync.
func fakeSC(t *testing.T, resp *RegisterResponse) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := NewConn(nc, "sc")
		defer c.Close()
		env, err := c.Recv()
		if err != nil {
			return
		}
		if err := c.Reply(env.Header.CorrelationID, resp); err != nil || !resp.Error.IsOK() {
			return
		}
		_ = c.Send(&UpdateReplicas{Epoch: 1, Full: true, Replicas: []Replica{{ReplicaKey: ReplicaKey{"t", 0}, Leader: 5001, Replicas: []int32{5001}}}})
		_, _ = c.Recv() // wait for a report or close
	}()
	return ln.Addr().String()
}

func TestDialRegisters(t *testing.T) {
	addr := fakeSC(t, &RegisterResponse{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, &Register{SpuID: 5001, Public: Endpoint{"localhost", 9010}})
	require.NoError(t, err)
	defer c.Close()
	env, err := c.Recv()
	require.NoError(t, err)
	up, ok := env.Msg.(*UpdateReplicas)
	require.True(t, ok)
	require.True(t, up.Full)
	require.True(t, up.Replicas[0].IsLeader(5001))
	require.Equal(t, "sc", env.Header.ClientID)
}

func TestDialRejected(t *testing.T) {
	addr := fakeSC(t, &RegisterResponse{Error: protocol.NewError(protocol.SpuAlreadyExists), Message: "spu 5001 is already online"})
	_, err := Dial(context.Background(), addr, &Register{SpuID: 5001})
	require.ErrorIs(t, err, ErrRegisterRejected)
	var pe *protocol.Error
	require.True(t, errors.As(err, &pe))
	require.Equal(t, protocol.SpuAlreadyExists, pe.Code.Code)
	require.Contains(t, err.Error(), "already online")
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		h := protocol.RequestHeader{APIKey: m.APIKey(), APIVersion: Version, CorrelationID: 1, ClientID: "sc"}
		f.Add(protocol.EncodeRequestFrame(nil, &h, m)[4:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h protocol.RequestHeader
		var m Message
		var err error
		alloc := allocBytes(func() { h, m, err = Decode(b) })
		// Decoders bound every count by the bytes left, so what they
		// allocate is proportional to the input.
		require.Less(t, alloc, uint64(64*len(b)+1<<20))
		if err != nil {
			return
		}
		// What decodes re-encodes to bytes that decode to the same value.
		again := protocol.EncodeRequestFrame(nil, &h, m)
		_, m2, err := Decode(again[4:])
		require.NoError(t, err)
		require.Equal(t, m, m2)
	})
}

// allocBytes reports the heap bytes allocated while f runs (read from
// runtime/metrics, which does not stop the world like ReadMemStats).
func allocBytes(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	f()
	metrics.Read(sample)
	return sample[0].Value.Uint64() - before
}
