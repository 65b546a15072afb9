package client_test

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// readAll consumes partition 0 of topic from the start to the end.
func readAll(t *testing.T, cl *client.Client, topic string) []string {
	t.Helper()
	c := ctx(t)
	s, err := cl.PartitionConsumer(topic, 0).Stream(c, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
	require.NoError(t, err)
	defer s.Close()
	var got []string
	for i := 0; ; i++ {
		r, err := s.Next(c)
		if errors.Is(err, io.EOF) {
			return got
		}
		require.NoError(t, err)
		require.Equal(t, int64(i), r.Offset)
		got = append(got, string(r.Value))
	}
}

// Batches of one partition land in the order they were sent, whatever the
// batch size, codec and in-flight window: full batches written by the
// drainer (several to a request when they queue up) and the last partial
// one written by Flush.
func TestProducerKeepsBatchOrder(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{NoSmartModules: true}).Client()
	for _, tc := range []struct {
		name string
		cfg  client.ProducerConfig
	}{
		{"tiny batches, window 1", client.ProducerConfig{BatchSize: 64, MaxInFlight: 1}},
		{"small batches, window 3", client.ProducerConfig{BatchSize: 300, MaxInFlight: 3}},
		{"16 KiB batches", client.ProducerConfig{BatchSize: 16 << 10}},
		{"lz4, window 2", client.ProducerConfig{BatchSize: 500, MaxInFlight: 2, Compression: protocol.CompressionLz4}},
		{"every record alone", client.ProducerConfig{Linger: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ctx(t)
			topic := strings.ReplaceAll(strings.ReplaceAll(strings.ToLower(tc.name), " ", "-"), ",", "")
			require.NoError(t, cl.Admin().CreateTopic(c, topic, client.TopicOptions{Partitions: 1}))
			p, err := cl.Producer(c, topic, tc.cfg)
			require.NoError(t, err)
			const n = 3000
			var want []string
			for i := range n {
				v := fmt.Sprintf("record-%05d-%s", i, strings.Repeat("x", i%50))
				want = append(want, v)
				require.NoError(t, p.Send(c, nil, []byte(v)))
			}
			require.NoError(t, p.Close(c))
			require.Equal(t, want, readAll(t, cl, topic))
		})
	}
}

// Producers sharing one connection, each sending a record at a time and
// waiting for it (the synchronous path), get every record stored, each
// producer's in its order.
func TestProducersShareAConnection(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{NoSmartModules: true}).Client()
	c := ctx(t)
	require.NoError(t, cl.Admin().CreateTopic(c, "shared", client.TopicOptions{Partitions: 1}))
	const workers, each = 6, 200
	var wg sync.WaitGroup
	for w := range workers {
		p, err := cl.Producer(c, "shared", client.ProducerConfig{Linger: -1})
		require.NoError(t, err)
		wg.Go(func() {
			for i := range each {
				if err := p.Send(c, nil, []byte(fmt.Sprintf("%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
				if err := p.Flush(c); err != nil {
					t.Error(err)
					return
				}
			}
			_ = p.Close(c)
		})
	}
	wg.Wait()
	got := readAll(t, cl, "shared")
	require.Len(t, got, workers*each)
	next := make([]int, workers)
	for _, v := range got {
		w, i, ok := strings.Cut(v, "-")
		require.True(t, ok, v)
		wi, _ := strconv.Atoi(w)
		ii, _ := strconv.Atoi(i)
		require.Equal(t, next[wi], ii, "producer %d out of order", wi)
		next[wi]++
	}
}

// Flush reports the failure of a batch the SPU refuses, and the producer
// goes on with the next ones.
func TestProducerReportsRefusedBatch(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{NoSmartModules: true}).Client()
	c := ctx(t)
	require.NoError(t, cl.Admin().CreateTopic(c, "refused", client.TopicOptions{Partitions: 1}))
	p, err := cl.Producer(c, "refused", client.ProducerConfig{Linger: -1, Delivery: client.AtMostOnce,
		SmartModules: []protocol.SmartModuleInvocation{{Wasm: protocol.PredefinedWasm("missing")}}})
	require.NoError(t, err)
	require.NoError(t, p.Send(c, nil, []byte("a")))
	err = p.Flush(c)
	var perr *protocol.Error
	require.ErrorAs(t, err, &perr, "the SPU refuses SmartModules it does not run")
	require.NoError(t, p.Flush(c), "errors are reported once")

	ok, err := cl.Producer(c, "refused", client.ProducerConfig{Linger: -1})
	require.NoError(t, err)
	require.NoError(t, ok.Send(c, nil, []byte("b")))
	require.NoError(t, ok.Flush(c))
	require.Equal(t, []string{"b"}, readAll(t, cl, "refused"))
}
