package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestAdminTopics(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{}).Client()
	a := cl.Admin()
	c := ctx(t)
	require.NoError(t, a.CreateTopic(c, "one", client.TopicOptions{Partitions: 1}))
	require.NoError(t, a.CreateTopic(c, "three", client.TopicOptions{Partitions: 3}))

	err := a.CreateTopic(c, "one", client.TopicOptions{Partitions: 1})
	var perr *protocol.Error
	require.ErrorAs(t, err, &perr)
	require.Equal(t, protocol.TopicAlreadyExists, perr.Code.Code)

	err = a.CreateTopic(c, "Bad_Name", client.TopicOptions{})
	require.ErrorAs(t, err, &perr)
	require.Equal(t, protocol.TopicInvalidName, perr.Code.Code)

	topics, err := a.ListTopics(c)
	require.NoError(t, err)
	var names []string
	for _, tp := range topics {
		names = append(names, tp.Name)
	}
	require.Equal(t, []string{"one", "three"}, names, "system topics are not listed")
	require.Equal(t, uint32(3), topics[1].Spec.Partitions())

	parts, err := a.ListPartitions(c)
	require.NoError(t, err)
	var pnames []string
	for _, p := range parts {
		pnames = append(pnames, p.Name)
	}
	require.Subset(t, pnames, []string{"one-0", "three-0", "three-1", "three-2"})

	require.NoError(t, a.DeleteTopic(c, "one"))
	err = a.DeleteTopic(c, "one")
	require.ErrorAs(t, err, &perr)
	require.Equal(t, protocol.TopicNotFound, perr.Code.Code)

	_, err = cl.Producer(c, "one")
	require.ErrorIs(t, err, client.ErrTopicNotFound)
}

func TestProduceConsumeOffsetsAndKeys(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{}).Client()
	c := ctx(t)
	require.NoError(t, cl.Admin().CreateTopic(c, "events", client.TopicOptions{Partitions: 3}))
	p, err := cl.Producer(c, "events", client.ProducerConfig{Linger: 5 * time.Millisecond})
	require.NoError(t, err)
	const n = 3000
	want := map[uint32][]string{}
	var part client.DefaultPartitioner
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("key-%d", i%17)
		val := fmt.Sprintf("value-%d", i)
		require.NoError(t, p.Send(c, []byte(key), []byte(val)))
		pi := part.Partition([]byte(key), true, 3)
		want[pi] = append(want[pi], key+"="+val)
	}
	require.NoError(t, p.Flush(c))

	total := 0
	for pi := uint32(0); pi < 3; pi++ {
		s, err := cl.PartitionConsumer("events", pi).Stream(c, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
		require.NoError(t, err)
		var got []string
		for i := 0; ; i++ {
			r, err := s.Next(c)
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err)
			require.Equal(t, int64(i), r.Offset, "offsets are dense from 0")
			require.Equal(t, pi, r.Partition)
			require.Greater(t, r.Timestamp, int64(0))
			got = append(got, string(r.Key)+"="+string(r.Value))
		}
		s.Close()
		require.Equal(t, len(want[pi]), len(got), "partition %d record count", pi)
		require.Equal(t, want[pi], got, "partition %d holds its keys in order", pi)
		total += len(got)
	}
	require.Equal(t, n, total)

	// absolute offset and from the end
	pc := cl.PartitionConsumer("events", 0)
	offs, err := pc.FetchOffsets(c, "")
	require.NoError(t, err)
	require.Equal(t, int64(len(want[0])), offs.HighWatermark)
	s, err := pc.Stream(c, client.OffsetAbsolute(5), client.ConsumerConfig{})
	require.NoError(t, err)
	r, err := s.Next(c)
	require.NoError(t, err)
	require.Equal(t, int64(5), r.Offset)
	require.Equal(t, want[0][5], string(r.Key)+"="+string(r.Value))
	s.Close()

	tail, err := pc.Stream(c, client.OffsetEnd(0), client.ConsumerConfig{})
	require.NoError(t, err)
	defer tail.Close()
	require.NoError(t, p.SendToPartition(c, 0, protocol.Record{Key: nil, Value: []byte("late")}))
	require.NoError(t, p.Flush(c))
	r, err = tail.Next(c)
	require.NoError(t, err)
	require.Equal(t, "late", string(r.Value))
	require.Nil(t, r.Key, "a record without key comes back without key")
	require.Equal(t, offs.HighWatermark, r.Offset)
}

func TestCompressionCodecsRoundTrip(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{}).Client()
	c := ctx(t)
	for _, codec := range []protocol.Compression{protocol.CompressionNone, protocol.CompressionGzip, protocol.CompressionSnappy, protocol.CompressionLz4, protocol.CompressionZstd} {
		topic := "codec-" + codec.String()
		require.NoError(t, cl.Admin().CreateTopic(c, topic, client.TopicOptions{}))
		p, err := cl.Producer(c, topic, client.ProducerConfig{Compression: codec})
		require.NoError(t, err)
		for i := 0; i < 100; i++ {
			require.NoError(t, p.Send(c, nil, []byte(fmt.Sprintf("%s hello hello hello %d", codec, i))))
		}
		require.NoError(t, p.Flush(c))
		s, err := cl.PartitionConsumer(topic, 0).Stream(c, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
		require.NoError(t, err)
		for i := 0; i < 100; i++ {
			r, err := s.Next(c)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("%s hello hello hello %d", codec, i), string(r.Value))
		}
		_, err = s.Next(c)
		require.ErrorIs(t, err, io.EOF)
		s.Close()
	}
}

func TestNamedConsumerCommitsOffsets(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{}).Client()
	c := ctx(t)
	require.NoError(t, cl.Admin().CreateTopic(c, "orders", client.TopicOptions{}))
	p, err := cl.Producer(c, "orders")
	require.NoError(t, err)
	for i := 0; i < 10; i++ {
		require.NoError(t, p.Send(c, nil, []byte(fmt.Sprint(i))))
	}
	require.NoError(t, p.Flush(c))

	cfg := client.ConsumerConfig{ConsumerID: "billing"}
	s, err := cl.PartitionConsumer("orders", 0).Stream(c, client.OffsetBeginning(0), cfg)
	require.NoError(t, err)
	for i := 0; i < 4; i++ {
		r, err := s.Next(c)
		require.NoError(t, err)
		require.Equal(t, int64(i), r.Offset)
	}
	require.NoError(t, s.Commit(c))
	s.Close()

	consumers, err := cl.Admin().ListConsumers(c)
	require.NoError(t, err)
	require.Len(t, consumers, 1)
	require.Equal(t, "billing", consumers[0].ConsumerID)
	require.Equal(t, int64(3), consumers[0].Offset)

	// the named consumer resumes after its committed offset
	s, err = cl.PartitionConsumer("orders", 0).Stream(c, client.OffsetBeginning(0), cfg)
	require.NoError(t, err)
	r, err := s.Next(c)
	require.NoError(t, err)
	require.Equal(t, int64(4), r.Offset)
	s.Close()

	require.NoError(t, cl.Admin().DeleteConsumer(c, "billing", "orders", 0))
	consumers, err = cl.Admin().ListConsumers(c)
	require.NoError(t, err)
	require.Empty(t, consumers)
}
