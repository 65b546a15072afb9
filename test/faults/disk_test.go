package faults

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// A failed disk write reaches the producer as StorageError and the
// partition stays usable: later produces succeed and consumers read every
// acknowledged record and nothing of the failed batch. With at-least-once
// delivery the producer's retry stores the batch exactly once.
func TestFailedDiskWriteReturnsStorageError(t *testing.T) {
	tests := []struct {
		name     string
		delivery client.DeliverySemantic
		torn     int  // bytes of the failing write that reach the file
		stored   bool // whether the failed batch ends up in the log (retried)
	}{
		{"at most once, nothing written", client.AtMostOnce, 0, false},
		{"at most once, torn write", client.AtMostOnce, 30, false},
		{"at least once retries", client.AtLeastOnce, 30, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ffs := &storage.FaultFS{FS: storage.OSFS{}}
			cl := clustertest.Start(t, clustertest.Options{NoSmartModules: true, Storage: storage.Config{FS: ffs}})
			c := cl.Client()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			require.NoError(t, c.Admin().CreateTopic(ctx, "disk", client.TopicOptions{Partitions: 1}))
			p, err := c.Producer(ctx, "disk", client.ProducerConfig{Linger: time.Hour, Delivery: tt.delivery})
			require.NoError(t, err)
			send := func(prefix string, n int) []string {
				var vals []string
				for i := range n {
					v := fmt.Sprintf("%s-%d", prefix, i)
					require.NoError(t, p.Send(ctx, nil, []byte(v)))
					vals = append(vals, v)
				}
				return vals
			}

			want := send("before", 5)
			require.NoError(t, p.Flush(ctx))

			ffs.FailNextWrite(storage.SegmentSuffix, tt.torn, errors.New("injected: no space left on device"))
			failed := send("failed", 3)
			err = p.Flush(ctx)
			if tt.stored {
				require.NoError(t, err, "the retry succeeds")
				want = append(want, failed...)
			} else {
				var perr *protocol.Error
				require.ErrorAs(t, err, &perr)
				require.Equal(t, protocol.StorageError, perr.Code.Code)
			}

			want = append(want, send("after", 5)...)
			require.NoError(t, p.Flush(ctx), "the partition stays usable")

			s, err := c.PartitionConsumer("disk", 0).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
			require.NoError(t, err)
			defer s.Close()
			var got []string
			for i := 0; ; i++ {
				r, err := s.Next(ctx)
				if client.IsEnd(err) {
					break
				}
				require.NoError(t, err)
				require.Equal(t, int64(i), r.Offset)
				got = append(got, string(r.Value))
			}
			require.Equal(t, want, got)
		})
	}
}
