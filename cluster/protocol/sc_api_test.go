package protocol

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSCRegistry(t *testing.T) {
	for key := range SCMessageVersions {
		req, ok := NewSCRequest(key)
		require.True(t, ok, "request %d", key)
		require.NotNil(t, req)
		resp, ok := NewSCResponse(key)
		require.True(t, ok, "response %d", key)
		require.NotNil(t, resp)
	}
	for _, key := range []APIKey{KeyProduce, KeyMirroring, 1007, 9999} {
		_, ok := NewSCRequest(key)
		require.False(t, ok, "request %d", key)
		_, ok = NewSCResponse(key)
		require.False(t, ok, "response %d", key)
	}
	// Every advertised SC range is one we can decode.
	for key, vr := range SCVersions {
		mine := SCMessageVersions[key]
		require.True(t, mine.Contains(vr.Max), "key %d advertised max %d", key, vr.Max)
	}
}

func TestSCTypeBufferRejects(t *testing.T) {
	tests := []struct {
		name    string
		m       Message
		body    []byte
		version int16
		is      error
	}{
		{"unknown label", &WatchRequest{}, (&WatchRequest{Label: "Mirror"}).Encode(nil, 16), 16, ErrUnknownLabel},
		{"lowercase label", &ListRequest{}, (&ListRequest{Label: "topic"}).Encode(nil, 16), 16, ErrUnknownLabel},
		{"partitions cannot be created", &CreateRequest{}, (&CreateRequest{Label: LabelPartition, Spec: &PartitionSpec{}}).Encode(nil, 16), 16, ErrUnknownLabel},
		{"SPUs cannot be deleted", &DeleteRequest{}, (&DeleteRequest{Label: LabelSPU, Key: "5001"}).Encode(nil, 16), 16, ErrUnknownLabel},
		{"partitions cannot be updated", &UpdateRequest{}, (&UpdateRequest{Label: LabelPartition, Key: "t-0"}).Encode(nil, 16), 16, ErrUnknownLabel},
		{"classic layout", &CreateRequest{}, (&CreateRequest{Label: LabelTopic, Spec: NewComputedTopicSpec(1, 1)}).Encode(nil, 16), 10, ErrInvalid},
		{"payload shorter than declared", &WatchRequest{}, mustHex(t, "0005546f706963"+"00000009"+"0000"), 16, ErrTooLarge},
		{"payload error surfaces", &ListResponse{}, mustHex(t, "0003535055"+"00000008"+"00000001"+"00013500"), 16, ErrShortBuffer},
		{"bad MsgType", &WatchResponse{}, mustHex(t, "0003535055"+"00000010"+"0000000000000001"+"00000001"+"02000000"), 16, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.body)
			tt.m.Decode(r, tt.version)
			require.Error(t, r.Err())
			require.True(t, errors.Is(r.Err(), tt.is), "got %v", r.Err())
		})
	}
}

func TestSCClassicVersionsEncodeNothing(t *testing.T) {
	for _, m := range []Message{
		&CreateRequest{Label: LabelTopic, Spec: NewComputedTopicSpec(1, 1)},
		&DeleteRequest{Label: LabelTopic, Key: "t"},
		&ListRequest{Label: LabelTopic},
		&ListResponse{Label: LabelTopic},
		&WatchRequest{Label: LabelTopic},
		&WatchResponse{Label: LabelTopic},
		&UpdateRequest{Label: LabelTopic},
	} {
		require.Empty(t, m.Encode(nil, SCDynObjVersion-1), "%T", m)
	}
}

func TestSCUpdateAddMirrorBothShapes(t *testing.T) {
	// v0.11.11 layout at v16: no home_to_mirror.
	v16 := &UpdateRequest{Label: LabelTopic, Key: "t1", TopicAction: UpdateTopicAction{Kind: UpdateAddMirror, RemoteCluster: "edge"}}
	body := v16.Encode(nil, 16)
	require.Equal(t, mustHex(t, "0005546f706963"+"0000000b"+"00027431"+"01"+"000465646765"), body)
	var got UpdateRequest
	scDecodeExact(t, &got, body, 16)
	require.Equal(t, v16, &got)

	// A HEAD client at v16 still sends the unversioned bool; it decodes.
	head := mustHex(t, "0005546f706963"+"0000000c"+"00027431"+"01"+"000465646765"+"01")
	scDecodeExact(t, &got, head, 16)
	require.True(t, got.TopicAction.HomeToMirror)
	require.Equal(t, "edge", got.TopicAction.RemoteCluster)

	// AddPartition is the same at every version.
	ap := &UpdateRequest{Label: LabelTopic, Key: "t1", TopicAction: UpdateTopicAction{Kind: UpdateAddPartition, Count: 2}}
	require.Equal(t, ap.Encode(nil, 11), ap.Encode(nil, 19))
}

func TestSCStatusErr(t *testing.T) {
	require.NoError(t, NewStatusOK("t1").Err())

	err := NewStatusError("t1", NewError(TopicAlreadyExists), "Topic already exists").Err()
	require.Error(t, err)
	var perr *Error
	require.True(t, errors.As(err, &perr))
	require.Equal(t, TopicAlreadyExists, perr.Code.Code)
	require.Contains(t, err.Error(), "Topic already exists")

	err = NewStatusError("t2", NewError(TopicNotFound), "").Err()
	require.True(t, errors.As(err, &perr))
	require.Equal(t, TopicNotFound, perr.Code.Code)
	require.Contains(t, err.Error(), "t2")
}

func TestSCMetadataNilSpecEncodesZeroValue(t *testing.T) {
	// A Metadata without spec or status encodes the label's zero values,
	// which decode back.
	resp := &ListResponse{Label: LabelSPU, Objects: []Metadata{{Name: "5001"}}}
	var got ListResponse
	scDecodeExact(t, &got, resp.Encode(nil, 16), 16)
	require.Equal(t, &SpuSpec{}, got.Objects[0].Spec)
	require.Equal(t, &SpuStatus{}, got.Objects[0].Status)
}
