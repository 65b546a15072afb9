package spu

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/storage"
)

const testSPU int32 = 5001

// startSPU runs an SPU on 127.0.0.1:0 with no SC; it is closed at cleanup.
func startSPU(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.ID = testSPU
	cfg.PublicAddr, cfg.PrivateAddr = "127.0.0.1:0", "127.0.0.1:0"
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Storage.Flush == (storage.FlushPolicy{}) {
		cfg.Storage.Flush = storage.FlushPolicy{Mode: storage.FlushOS}
	}
	if cfg.Storage.Logger == nil {
		cfg.Storage.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(context.Background()) }()
	t.Cleanup(func() {
		s.Close()
		<-errc
	})
	return s
}

func leadReplica(t *testing.T, s *Server, topic string, partition uint32, comp protocol.CompressionAlgorithm) {
	t.Helper()
	require.NoError(t, s.ApplyReplica(controlplane.Replica{
		ReplicaKey: controlplane.ReplicaKey{Topic: topic, Partition: partition},
		Leader:     s.ID(), Replicas: []int32{s.ID()},
		Config: controlplane.ReplicaConfig{Compression: comp, SegmentSize: 1 << 20},
	}))
}

// client is a raw protocol client: frames built with cluster/protocol.
type client struct {
	t    *testing.T
	nc   net.Conn
	br   *bufio.Reader
	corr int32
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	nc, err := net.Dial("tcp", s.PublicAddr().String())
	require.NoError(t, err)
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *client) send(key protocol.APIKey, version int16, body protocol.Message) int32 {
	c.t.Helper()
	c.corr++
	h := protocol.RequestHeader{APIKey: key, APIVersion: version, CorrelationID: c.corr, ClientID: "fluvio"}
	_, err := c.nc.Write(protocol.EncodeRequestFrame(nil, &h, body))
	require.NoError(c.t, err)
	return c.corr
}

// recv reads one response frame within the timeout.
func (c *client) recv(timeout time.Duration) (int32, []byte, error) {
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	defer c.nc.SetReadDeadline(time.Time{})
	frame, err := protocol.ReadFrame(c.br, nil, protocol.MaxFrameSize)
	if err != nil {
		return 0, nil, err
	}
	return int32(binary.BigEndian.Uint32(frame)), frame[4:], nil
}

func (c *client) expect(corr int32, key protocol.APIKey, version int16) protocol.Message {
	c.t.Helper()
	got, body, err := c.recv(5 * time.Second)
	require.NoError(c.t, err)
	require.Equal(c.t, corr, got)
	m, err := protocol.DecodeSPUResponse(key, version, body)
	require.NoError(c.t, err)
	return m
}

func (c *client) call(key protocol.APIKey, version int16, req protocol.Message) protocol.Message {
	c.t.Helper()
	return c.expect(c.send(key, version, req), key, version)
}

// noFrame asserts nothing arrives for a while.
func (c *client) noFrame(d time.Duration) {
	c.t.Helper()
	_, _, err := c.recv(d)
	var ne net.Error
	require.ErrorAs(c.t, err, &ne, "expected no frame")
	require.True(c.t, ne.Timeout())
}

// closed asserts the server closed the connection.
func (c *client) closed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.br.ReadByte()
	require.Error(c.t, err)
	var ne net.Error
	if errorsAs(err, &ne) {
		require.False(c.t, ne.Timeout(), "connection still open")
	}
}

func batchOf(t *testing.T, codec protocol.Compression, values ...string) []byte {
	t.Helper()
	recs := make([]protocol.Record, len(values))
	for i, v := range values {
		recs[i] = protocol.Record{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(v)}
	}
	b := protocol.NewBatch(time.Now().UnixMilli(), recs)
	enc, err := protocol.AppendBatch(nil, &b, codec)
	require.NoError(t, err)
	return enc
}

func produceReq(topic string, partition uint32, batches ...[]byte) *protocol.ProduceRequest {
	req := &protocol.ProduceRequest{TimeoutMs: 1500, Topics: []protocol.TopicProduceData{{Name: topic}}}
	for _, b := range batches {
		req.Topics[0].Partitions = append(req.Topics[0].Partitions, protocol.PartitionProduceData{
			PartitionIndex: partition, Records: protocol.RecordSet{Batches: b},
		})
	}
	return req
}

// values decodes every record value of a record set, with offsets.
func values(t *testing.T, rs []byte) ([]int64, []string) {
	t.Helper()
	var offs []int64
	var vals []string
	it := protocol.NewBatchIterator(rs)
	for it.Next() {
		require.NoError(t, protocol.ForEachRecord(it.Batch(), func(off, _ int64, r *protocol.Record) error {
			offs = append(offs, off)
			vals = append(vals, string(r.Value))
			return nil
		}))
	}
	require.NoError(t, it.Err())
	return offs, vals
}

func streamReq(topic string, partition uint32, offset int64) *protocol.StreamFetchRequest {
	return &protocol.StreamFetchRequest{Topic: topic, Partition: partition, FetchOffset: offset, MaxBytes: 1048890}
}

const v = protocol.SPUCommonVersion

func errorsAs(err error, target any) bool { return errors.As(err, target) }
