package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/e2e"
)

// perBatch is the number of records in one produced batch; a batch is the
// unit the SPU acknowledges and the unit that must never be torn.
const perBatch = 16

// batchValue is record r of batch b, padded so a batch is a few KiB.
func batchValue(b, r int) string {
	return fmt.Sprintf("b%06d-r%02d-%s", b, r, strings.Repeat("x", 200))
}

// killProducer produces batches one at a time (send perBatch records, then
// Flush) and remembers which batches were acknowledged: Flush returned nil,
// so the SPU answered the produce request without error.
type killProducer struct {
	mu    sync.Mutex
	acked []int // batch numbers, in order
	next  int
	fails int
}

func (kp *killProducer) ackedCount() int {
	kp.mu.Lock()
	defer kp.mu.Unlock()
	return len(kp.acked)
}

// run produces until ctx ends. At-most-once: a batch whose produce failed
// is not retried, so every batch appears at most once in the log and a
// failed batch is simply unacknowledged (it may or may not be in the log).
func (kp *killProducer) run(ctx context.Context, c *client.Client, topic string) error {
	p, err := c.Producer(ctx, topic, client.ProducerConfig{Linger: time.Hour, BatchSize: 1 << 20, Delivery: client.AtMostOnce})
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		kp.mu.Lock()
		b := kp.next
		kp.next++
		kp.mu.Unlock()
		for r := range perBatch {
			if err := p.Send(ctx, nil, []byte(batchValue(b, r))); err != nil {
				return err
			}
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := p.Flush(fctx)
		cancel()
		kp.mu.Lock()
		if err == nil {
			kp.acked = append(kp.acked, b)
		} else {
			kp.fails++
		}
		kp.mu.Unlock()
		if err != nil {
			time.Sleep(20 * time.Millisecond) // the SPU is down: try again soon
		}
	}
	return nil
}

// readAll consumes the partition from the beginning up to its high
// watermark.
func readAll(t *testing.T, c *client.Client, topic string) []client.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := c.PartitionConsumer(topic, 0).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
	require.NoError(t, err)
	defer s.Close()
	var out []client.Record
	for {
		r, err := s.Next(ctx)
		if client.IsEnd(err) {
			return out
		}
		require.NoError(t, err)
		out = append(out, r)
	}
}

// checkLog asserts the log holds every acknowledged batch, batches in the
// order they were produced, each batch whole (no torn batch), at
// contiguous offsets from 0. Unacknowledged batches may be present (the
// SPU wrote them and died before answering) but also only whole.
func checkLog(t *testing.T, recs []client.Record, acked []int) {
	t.Helper()
	present := map[int]bool{}
	lastBatch := -1
	for i := 0; i < len(recs); {
		require.Equal(t, int64(i), recs[i].Offset, "offsets are contiguous")
		var b, r int
		_, err := fmt.Sscanf(string(recs[i].Value), "b%06d-r%02d-", &b, &r)
		require.NoError(t, err, "record %d: %q", i, recs[i].Value)
		require.Equal(t, 0, r, "offset %d: batch %d starts mid-batch (torn)", i, b)
		require.Greater(t, b, lastBatch, "offset %d: batch %d after batch %d (out of order or duplicated)", i, b, lastBatch)
		require.GreaterOrEqual(t, len(recs)-i, perBatch, "batch %d is torn at the end of the log", b)
		for r := range perBatch {
			require.Equal(t, batchValue(b, r), string(recs[i+r].Value), "batch %d record %d", b, r)
		}
		present[b] = true
		lastBatch = b
		i += perBatch
	}
	for _, b := range acked {
		require.True(t, present[b], "acknowledged batch %d is missing", b)
	}
}

// kill -9 of an SPU process in the middle of a produce run loses no
// acknowledged record once the SPU is restarted.
//
// The SPU runs with the default flush policy: fsync every 100 ms. A batch
// is acknowledged once it is written to the segment file, before the
// fsync, so at the moment of the kill the last acknowledged batches are
// only in the OS page cache. They survive anyway: killing a process does
// not drop the page cache, and this is Fluvio's semantic too (its SPU
// acknowledges on write and flushes on an interval). Losing power is a
// different failure, where only fsynced data survives; the storage
// package's torn-write tests (FaultFS) cover recovery from that.
func TestKill9SPUMidProduceLosesNoAcknowledgedRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and starts a cluster")
	}
	cl := e2e.StartCluster(t, e2e.Binaries(t), 1)
	c := connect(t, cl.SCAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	require.NoError(t, c.Admin().CreateTopic(ctx, "kill9", client.TopicOptions{Partitions: 1}))

	kp := &killProducer{}
	produce := func() (stop func()) {
		pctx, cancel := context.WithCancel(ctx)
		perr := make(chan error, 1)
		go func() { perr <- kp.run(pctx, c, "kill9") }()
		return func() {
			cancel()
			require.NoError(t, <-perr)
		}
	}
	stopProducing := produce()

	// Mid-run: the producer is writing batch after batch.
	e2e.Eventually(t, 15*time.Second, func() error {
		if n := kp.ackedCount(); n < 100 {
			return fmt.Errorf("%d batches acknowledged", n)
		}
		return nil
	})
	pid := cl.PIDs()["spu-5001"]
	require.NotZero(t, pid)
	args, err := e2e.Cmdline(pid)
	require.NoError(t, err)
	require.Equal(t, "spu", args[1])
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	e2e.Eventually(t, 5*time.Second, func() error {
		kp.mu.Lock()
		defer kp.mu.Unlock()
		if kp.fails == 0 {
			return fmt.Errorf("no produce failed yet")
		}
		return nil
	})
	stopProducing()
	kp.mu.Lock()
	ackedAtKill := append([]int(nil), kp.acked...)
	kp.mu.Unlock()

	// Restart the SPU with the arguments `fluvio cluster start` gave it.
	logf, err := os.Create(filepath.Join(t.TempDir(), "spu-restarted.log"))
	require.NoError(t, err)
	defer logf.Close()
	spu := exec.Command(args[0], args[1:]...)
	spu.Env = cl.Env
	spu.Stdout, spu.Stderr = logf, logf
	require.NoError(t, spu.Start())
	t.Cleanup(func() {
		_ = spu.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = spu.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = spu.Process.Kill()
			<-done
		}
	})
	e2e.Eventually(t, 15*time.Second, func() error {
		spus, err := c.Admin().ListSPUs(ctx)
		if err != nil {
			return err
		}
		if len(spus) != 1 || spus[0].Status == nil || spus[0].Status.Resolution != protocol.SpuStatusOnline {
			return fmt.Errorf("SPU not online again: %+v", spus)
		}
		return nil
	})

	// The SC reports the SPU online as soon as it registers, a moment
	// before the SPU has opened its replicas (clients get the retriable
	// NotLeaderForPartition meanwhile): wait until the partition is served.
	e2e.Eventually(t, 15*time.Second, func() error {
		_, err := c.PartitionConsumer("kill9", 0).FetchOffsets(ctx, "")
		return err
	})

	// Before any new produce, every batch acknowledged before the kill is
	// readable (recovery restored the high watermark too).
	recs := readAll(t, c, "kill9")
	checkLog(t, recs, ackedAtKill)
	require.GreaterOrEqual(t, len(recs), len(ackedAtKill)*perBatch)

	// And the partition keeps taking records after the restart.
	stopProducing = produce()
	target := kp.ackedCount() + 50
	e2e.Eventually(t, 15*time.Second, func() error {
		if n := kp.ackedCount(); n < target {
			return fmt.Errorf("%d of %d batches acknowledged", n, target)
		}
		return nil
	})
	stopProducing()
	kp.mu.Lock()
	acked := append([]int(nil), kp.acked...)
	kp.mu.Unlock()
	recs = readAll(t, c, "kill9")
	checkLog(t, recs, acked)
	t.Logf("%d batches acknowledged (%d before the kill), %d produce failures while the SPU was down, %d records in the log",
		len(acked), len(ackedAtKill), kp.fails, len(recs))
}
