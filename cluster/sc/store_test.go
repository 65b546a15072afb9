package sc

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

func topicObj(n uint32) (protocol.Message, protocol.Message) {
	return protocol.NewComputedTopicSpec(n, 1), &protocol.TopicStatus{Resolution: protocol.TopicProvisioned, ReplicaMap: map[uint32][]int32{0: {5001}}}
}

func TestSubscriptionFullThenChanges(t *testing.T) {
	s := NewStore("", nil)
	spec, st := topicObj(1)
	_, err := s.Put(protocol.LabelTopic, "a", spec, st)
	require.NoError(t, err)
	sub := s.Subscribe(protocol.LabelTopic)
	defer sub.Close()
	u, ok := sub.Next()
	require.True(t, ok)
	require.True(t, u.Full)
	require.Len(t, u.All, 1)
	_, ok = sub.Next()
	require.False(t, ok, "nothing pending")

	_, err = s.Put(protocol.LabelTopic, "b", spec, st)
	require.NoError(t, err)
	_, err = s.Delete(protocol.LabelTopic, "a")
	require.NoError(t, err)
	<-sub.Ready()
	u, ok = sub.Next()
	require.True(t, ok)
	require.False(t, u.Full)
	require.Len(t, u.Changes, 2)
	require.Equal(t, "b", u.Changes[0].Obj.Name)
	require.True(t, u.Changes[1].Delete)
	require.Equal(t, "a", u.Changes[1].Obj.Name, "delete carries the last known object")
	require.Equal(t, s.Epoch(), u.Epoch)
	require.Equal(t, u.Epoch-1, u.Changes[0].Obj.Epoch)
}

func TestSlowSubscriberIsResynced(t *testing.T) {
	s := NewStore("", nil)
	sub := s.Subscribe(protocol.LabelPartition)
	defer sub.Close()
	_, _ = sub.Next()
	spec := &protocol.PartitionSpec{Leader: 1, Replicas: []int32{1}}
	for i := range maxQueuedChanges + 10 {
		_, err := s.Put(protocol.LabelPartition, PartitionName("t", uint32(i%3)), spec, &protocol.PartitionStatus{})
		require.NoError(t, err, "the store never waits for a subscriber")
	}
	u, ok := sub.Next()
	require.True(t, ok)
	require.True(t, u.Full, "overflow turns into a full snapshot")
	require.Len(t, u.All, 3)
	require.Empty(t, u.Changes)
}

func TestStoreReloadAndCorruption(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir, nil)
	require.NoError(t, s.Load())
	spec, st := topicObj(2)
	_, err := s.Put(protocol.LabelTopic, "t1", spec, st)
	require.NoError(t, err)
	_, err = s.Put(protocol.LabelCustomSpu, "odd/name..", &protocol.CustomSpuSpec{ID: 7}, &protocol.SpuStatus{})
	require.NoError(t, err)
	_, err = s.Put(protocol.LabelTopic, "gone", spec, st)
	require.NoError(t, err)
	_, err = s.Delete(protocol.LabelTopic, "gone")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "topic", "half.meta.tmp"), []byte("torn"), 0o644))

	s2 := NewStore(dir, nil)
	require.NoError(t, s2.Load())
	require.Equal(t, s.Epoch(), s2.Epoch())
	require.Equal(t, []string{"t1"}, objNames(s2.List(protocol.LabelTopic)))
	require.Equal(t, uint32(2), s2.Get(protocol.LabelTopic, "t1").Spec.(*protocol.TopicSpec).Partitions())
	require.Equal(t, int32(7), s2.Get(protocol.LabelCustomSpu, "odd/name..").Spec.(*protocol.CustomSpuSpec).ID)
	_, err = os.Stat(filepath.Join(dir, "topic", "half.meta.tmp"))
	require.ErrorIs(t, err, os.ErrNotExist, "leftover temp files are removed")

	// A flipped byte is refused with the file's name.
	path := filepath.Join(dir, "topic", "t1.meta")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	b[len(b)/2] ^= 0xff
	require.NoError(t, os.WriteFile(path, b, 0o644))
	err = NewStore(dir, nil).Load()
	require.ErrorIs(t, err, errBadObject)
	require.Contains(t, err.Error(), "t1.meta")
}

func objNames(os []*Object) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.Name)
	}
	return out
}

func TestAssignReplicas(t *testing.T) {
	spus := []spuRef{{id: 3}, {id: 1}, {id: 2}}
	require.Equal(t, [][]int32{{1, 2}, {2, 3}, {3, 1}, {1, 2}}, assignReplicas(spus, 4, 2, 0, false))
	require.Equal(t, [][]int32{{2}, {3}}, assignReplicas(spus, 2, 1, 1, false), "start shifts the first leader")
	racked := []spuRef{{1, "a"}, {2, "a"}, {3, "b"}, {4, "b"}}
	for _, reps := range assignReplicas(racked, 4, 2, 0, false) {
		rackOf := map[int32]string{1: "a", 2: "a", 3: "b", 4: "b"}
		require.NotEqual(t, rackOf[reps[0]], rackOf[reps[1]], "replicas spread over racks: %v", reps)
	}
	require.Equal(t, [][]int32{{1, 2}}, assignReplicas(racked, 1, 2, 0, true), "ignore rack keeps id order")
}

func FuzzDecodeObjectFile(f *testing.F) {
	spec, st := topicObj(3)
	f.Add(encodeObjectFile(&Object{Name: "t", Spec: spec, Status: st, Epoch: 4}))
	f.Add(encodeObjectFile(&Object{Name: "p-0", Spec: &protocol.PartitionSpec{Leader: 1, Replicas: []int32{1, 2}}, Status: &protocol.PartitionStatus{}, Epoch: 9}))
	f.Add(encodeObjectFile(&Object{Name: "sm", Spec: &protocol.SmartModuleSpec{Wasm: protocol.SmartModuleSpecWasm{Payload: []byte{0x1f, 0x8b, 1}}}, Status: &protocol.SmartModuleStatus{}, Epoch: 1}))
	labels := []string{protocol.LabelTopic, protocol.LabelPartition, protocol.LabelSmartModule}
	f.Fuzz(func(t *testing.T, b []byte) {
		objs := make([]*Object, len(labels))
		alloc := allocBytes(func() {
			for i, label := range labels {
				objs[i], _ = decodeObjectFile(label, b)
			}
		})
		require.Less(t, alloc, uint64(3*64*len(b)+1<<20), "allocation bounded by the input")
		for i, o := range objs {
			if o == nil {
				continue
			}
			again, err := decodeObjectFile(labels[i], encodeObjectFile(o))
			require.NoError(t, err)
			require.Equal(t, o.Name, again.Name)
			require.Equal(t, o.Epoch, again.Epoch)
		}
	})
}
