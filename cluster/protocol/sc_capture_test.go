package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func scFrames(t *testing.T) []capturedFrame { return framesOfSide(t, "sc") }

func decodeSCFrame(t *testing.T, f *capturedFrame) Message {
	t.Helper()
	return decodeCapturedFrame(t, f, NewSCRequest, NewSCResponse)
}

func TestSCCapturesRoundTrip(t *testing.T) {
	captureRoundTrip(t, "sc", NewSCRequest, NewSCResponse,
		"in/18", "out/18", "in/1001", "out/1001", "in/1002", "out/1002", "in/1003", "out/1003", "in/1004", "out/1004")
}

// findSCFrame returns the first decoded SC frame satisfying match.
func findSCFrame(t *testing.T, match func(f *capturedFrame, m Message) bool) Message {
	t.Helper()
	for _, f := range scFrames(t) {
		m := decodeSCFrame(t, &f)
		if match(&f, m) {
			return m
		}
	}
	t.Fatal("no matching SC frame")
	return nil
}

func TestSCCapturesContents(t *testing.T) {
	t.Run("ApiVersions request", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool { _, ok := m.(*ApiVersionsRequest); return ok })
		require.Equal(t, &ApiVersionsRequest{ClientVersion: "0.14.9", ClientOS: "linux", ClientArch: "x86_64"}, m)
	})
	t.Run("ApiVersions response advertises watch 15-16", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			resp, ok := m.(*ApiVersionsResponse)
			return ok && resp.PlatformVersion == "0.11.11" && len(resp.APIKeys) == 6
		})
		vr, ok := m.(*ApiVersionsResponse).Lookup(KeyWatch)
		require.True(t, ok)
		require.Equal(t, VersionRange{15, 16}, vr)
	})
	t.Run("SPU watch request", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			w, ok := m.(*WatchRequest)
			return ok && w.Label == LabelSPU
		})
		require.Equal(t, &WatchRequest{Label: LabelSPU}, m)
	})
	t.Run("SPU watch full sync", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			w, ok := m.(*WatchResponse)
			return ok && w.Label == LabelSPU && len(w.All) > 0
		})
		w := m.(*WatchResponse)
		require.Empty(t, w.Changes)
		require.Len(t, w.All, 1)
		spu := w.All[0].Spec.(*SpuSpec)
		require.Equal(t, int32(5001), spu.ID)
		require.Equal(t, uint16(19010), spu.PublicEndpoint.Port)
		require.Equal(t, "127.0.0.1", *spu.PublicEndpoint.Ingress[0].Hostname)
		require.Equal(t, &SpuStatus{Resolution: SpuStatusOnline}, w.All[0].Status)
	})
	t.Run("Topic watch full sync", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			w, ok := m.(*WatchResponse)
			return ok && w.Label == LabelTopic && len(w.All) > 0
		})
		obj := m.(*WatchResponse).All[0]
		require.Equal(t, "pre-topic", obj.Name)
		spec := obj.Spec.(*TopicSpec)
		require.Equal(t, uint32(1), spec.Partitions())
		require.Equal(t, TopicCompressionAny, spec.CompressionType)
		require.Equal(t, map[uint32][]int32{0: {5001}}, obj.Status.(*TopicStatus).ReplicaMap)
	})
	t.Run("Partition watch change", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			w, ok := m.(*WatchResponse)
			return ok && w.Label == LabelPartition && len(w.Changes) > 0
		})
		ch := m.(*WatchResponse).Changes[0]
		require.Equal(t, MsgUpdate, ch.Op)
		require.Equal(t, "test-topic-0", ch.Object.Name)
		require.Equal(t, int32(5001), ch.Object.Spec.(*PartitionSpec).Leader)
		require.Equal(t, PartitionOnline, ch.Object.Status.(*PartitionStatus).Resolution)
	})
	t.Run("Topic delete change", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			w, ok := m.(*WatchResponse)
			return ok && w.Label == LabelTopic && len(w.Changes) > 0 && w.Changes[0].Op == MsgDelete
		})
		require.Equal(t, "test-topic", m.(*WatchResponse).Changes[0].Object.Name)
	})
	t.Run("Create topic request", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			c, ok := m.(*CreateRequest)
			return ok && c.Name == "test-topic"
		})
		c := m.(*CreateRequest)
		require.Equal(t, LabelTopic, c.Label)
		require.Equal(t, "test-topic", c.Name)
		require.False(t, c.DryRun)
		require.Nil(t, c.Timeout)
		require.Equal(t, NewComputedTopicSpec(1, 1), c.Spec)
	})
	t.Run("Create status already exists", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			s, ok := m.(*Status)
			return ok && !s.ErrorCode.IsOK() && s.ErrorCode.Code == TopicAlreadyExists
		})
		require.Error(t, m.(*Status).Err())
	})
	t.Run("List topics", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			l, ok := m.(*ListResponse)
			return ok && l.Label == LabelTopic
		})
		var names []string
		for _, o := range m.(*ListResponse).Objects {
			names = append(names, o.Name)
		}
		require.Equal(t, []string{"pre-topic", "test-topic"}, names)
	})
	t.Run("Delete topic request", func(t *testing.T) {
		m := findSCFrame(t, func(f *capturedFrame, m Message) bool {
			d, ok := m.(*DeleteRequest)
			return ok && d.Key == "test-topic"
		})
		d := m.(*DeleteRequest)
		require.Equal(t, LabelTopic, d.Label)
		require.Equal(t, "test-topic", d.KeyString())
		require.False(t, d.Force)
	})
}
