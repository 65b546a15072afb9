package client_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
)

// recordValue is the value of record i of a test topic: size bytes that
// differ from record to record, so a value read from a reused buffer that
// was overwritten too early would not match.
func recordValue(i, size int) []byte {
	v := bytes.Repeat([]byte{byte('a' + i%26)}, size)
	copy(v, fmt.Sprintf("record-%08d|", i))
	return v
}

func produceValues(t *testing.T, c context.Context, cl *client.Client, topic string, n, size int) {
	t.Helper()
	p, err := cl.Producer(c, topic, client.ProducerConfig{BatchSize: 16 << 10})
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, p.Send(c, nil, recordValue(i, size)))
	}
	require.NoError(t, p.Close(c))
}

// A consumer that stops reading one stream must not hold up the others
// sharing its SPU connection, nor fail them with timeouts: the stream stops
// acknowledging chunks it has no room for instead of blocking the
// connection's reader.
func TestIdleStreamDoesNotBlockTheConnection(t *testing.T) {
	cls := clustertest.Start(t, clustertest.Options{})
	c := ctx(t)
	cctx, cancel := context.WithTimeout(c, 10*time.Second)
	defer cancel()
	cl, err := client.Connect(cctx, cls.Addr(), client.Options{MetadataTimeout: 10 * time.Second, RequestTimeout: time.Second})
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.Admin().CreateTopic(c, "idle", client.TopicOptions{Partitions: 1}))
	require.NoError(t, cl.Admin().CreateTopic(c, "busy", client.TopicOptions{Partitions: 1}))
	const n, size = 400, 4 << 10 // 1.6 MB: 25 chunks of 64 KiB
	produceValues(t, c, cl, "idle", n, size)

	idle, err := cl.PartitionConsumer("idle", 0).Stream(c, client.OffsetBeginning(0), client.ConsumerConfig{MaxBytes: 64 << 10, StopAtEnd: true})
	require.NoError(t, err)
	defer idle.Close()
	// The idle stream's chunks fill its queue while nobody reads it.
	time.Sleep(200 * time.Millisecond)

	busy, err := cl.PartitionConsumer("busy", 0).Stream(c, client.OffsetBeginning(0), client.ConsumerConfig{})
	require.NoError(t, err)
	defer busy.Close()
	p, err := cl.Producer(c, "busy", client.ProducerConfig{})
	require.NoError(t, err)
	deadline := time.Now().Add(2500 * time.Millisecond) // past the 1 s request timeout
	for i := 0; time.Now().Before(deadline); i++ {
		require.NoError(t, p.Send(c, nil, fmt.Appendf(nil, "busy-%d", i)))
		require.NoError(t, p.Flush(c))
		rctx, rcancel := context.WithTimeout(c, 500*time.Millisecond)
		r, err := busy.Next(rctx)
		rcancel()
		require.NoError(t, err, "record %d of the busy stream", i)
		require.Equal(t, fmt.Sprintf("busy-%d", i), string(r.Value))
		time.Sleep(20 * time.Millisecond)
	}

	// The idle stream then delivers everything, in order, without an
	// acknowledgement having timed out.
	for i := range n {
		r, err := idle.Next(c)
		require.NoError(t, err, "record %d", i)
		require.Equal(t, int64(i), r.Offset)
		require.Equal(t, recordValue(i, size), r.Value)
	}
	_, err = idle.Next(c)
	require.True(t, client.IsEnd(err), "end of the idle stream: %v", err)
}

// consumeAll reads a stream to its end and returns the values (copied) in
// order, checking each one as Next returns it, and how many bytes the
// process allocated meanwhile.
func consumeAll(t *testing.T, c context.Context, next func(context.Context) (client.Record, error), check func(client.Record)) uint64 {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for {
		r, err := next(c)
		if client.IsEnd(err) {
			break
		}
		require.NoError(t, err)
		check(r)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestReuseBuffers(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{}).Client()
	c := ctx(t)
	require.NoError(t, cl.Admin().CreateTopic(c, "reuse", client.TopicOptions{Partitions: 1}))
	const n, size = 4000, 4 << 10 // 16 MB in chunks of 256 KiB
	produceValues(t, c, cl, "reuse", n, size)

	want := make([][]byte, n) // built first: checking allocates nothing
	for i := range want {
		want[i] = recordValue(i, size)
	}
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reuse=%v", reuse), func(t *testing.T) {
			s, err := cl.PartitionConsumer("reuse", 0).Stream(c, client.OffsetBeginning(0),
				client.ConsumerConfig{MaxBytes: 256 << 10, StopAtEnd: true, ReuseBuffers: reuse})
			require.NoError(t, err)
			defer s.Close()
			var kept []client.Record
			i := 0
			alloc := consumeAll(t, c, s.Next, func(r client.Record) {
				if r.Offset != int64(i) || !bytes.Equal(want[i], r.Value) {
					t.Fatalf("record %d: offset %d, value %.20q", i, r.Offset, r.Value)
				}
				if i%500 == 0 {
					kept = append(kept, r)
				}
				i++
			})
			require.Equal(t, n, i)
			t.Logf("allocated %d bytes while consuming %d", alloc, n*size)
			if reuse {
				// Chunks are read into the memory of chunks already
				// consumed: a fraction of what went through is allocated.
				require.Less(t, alloc, uint64(n*size/4), "bytes allocated while consuming %d bytes", n*size)
				return
			}
			// Retained records stay valid however far the stream went.
			for _, r := range kept {
				require.Equal(t, recordValue(int(r.Offset), size), r.Value, "record %d kept", r.Offset)
			}
		})
	}
}

func TestReuseBuffersTopicStream(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{}).Client()
	c := ctx(t)
	require.NoError(t, cl.Admin().CreateTopic(c, "reuse3", client.TopicOptions{Partitions: 3}))
	const n, size = 3000, 2 << 10
	produceValues(t, c, cl, "reuse3", n, size) // no key: partitions in turn

	ts, err := cl.TopicStream(c, "reuse3", client.OffsetBeginning(0),
		client.ConsumerConfig{MaxBytes: 64 << 10, StopAtEnd: true, ReuseBuffers: true})
	require.NoError(t, err)
	defer ts.Close()
	seen := map[string]bool{}
	next := map[uint32]int64{}
	consumeAll(t, c, ts.Next, func(r client.Record) {
		require.Equal(t, next[r.Partition], r.Offset, "partition %d in order", r.Partition)
		next[r.Partition]++
		v := string(r.Value)
		var i int
		_, err := fmt.Sscanf(v, "record-%08d|", &i)
		require.NoError(t, err, "value %.20q", v)
		require.Equal(t, string(recordValue(i, size)), v)
		require.False(t, seen[v], "record %d twice", i)
		seen[v] = true
	})
	require.Len(t, seen, n)
}
