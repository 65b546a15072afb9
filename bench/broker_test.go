package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/storage"
	"github.com/gofluvio/fluvio/internal/e2e"
)

func TestMain(m *testing.M) {
	defer e2e.RemoveBinaries()
	m.Run()
}

// results collects the figures of one run for the table.
type results struct {
	mu sync.Mutex
	v  map[string]float64
}

func (r *results) set(k string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.v[k] = v
}

func (r *results) get(k string) (float64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.v[k]
	return v, ok
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

const (
	kib = 1 << 10
	mib = 1 << 20
)

// BenchmarkBroker runs every measurement of issue #3 once and prints the
// table of ratios. Run it with -benchtime 1x.
func BenchmarkBroker(b *testing.B) {
	dir := os.Getenv("FLUVIO_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	total := envInt("FLUVIO_BENCH_MB", 128) * mib
	res := &results{v: map[string]float64{}}

	for _, size := range []int{16 * kib, mib} {
		b.Run("disk-write-fdatasync/write="+sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(total))
			for range b.N {
				res.set("disk/"+sizeName(size), diskWrite(b, dir, size, total))
			}
			v, _ := res.get("disk/" + sizeName(size))
			b.ReportMetric(v, "MB/s")
		})
	}
	b.Run("loopback-tcp", func(b *testing.B) {
		n := 4 * total
		b.SetBytes(int64(n))
		for range b.N {
			res.set("loopback", median(runs, func() float64 { return loopback(b, n) }))
		}
		v, _ := res.get("loopback")
		b.ReportMetric(v, "MB/s")
	})

	b.Run("loopback-rtt-paced/msg=1KiB", func(b *testing.B) {
		for range b.N {
			lat := loopbackRTT(b, kib, 5000)
			res.set("rtt-p50", lat.p50)
			res.set("rtt-p99", lat.p99)
		}
		b.ReportMetric(mustGet(res, "rtt-p50"), "ms-p50")
		b.ReportMetric(mustGet(res, "rtt-p99"), "ms-p99")
	})

	var addr string
	if os.Getenv("FLUVIO_BENCH_INPROCESS") == "1" {
		var st storage.Config
		if f := os.Getenv("FLUVIO_BENCH_FLUSH"); f != "" {
			policy, err := storage.ParseFlushPolicy(f)
			if err != nil {
				b.Fatal(err)
			}
			st.Flush = policy
		}
		cl := clustertest.Start(b, clustertest.Options{Dir: filepath.Join(dir, "inprocess"), NoSmartModules: true, Storage: st})
		addr = cl.Addr()
	} else {
		bin := e2e.Binaries(b)
		b.Run("cluster-start", func(b *testing.B) {
			for range b.N {
				cl := e2e.StartCluster(b, bin, 1)
				res.set("start", cl.StartTime.Seconds())
				// Idle: nothing connected, metadata settled.
				time.Sleep(2 * time.Second)
				pids := cl.PIDs()
				var sum int64
				for _, name := range []string{"sc", "spu-5001"} {
					rss, err := e2e.RSS(pids[name])
					if err != nil {
						b.Fatal(err)
					}
					res.set("rss/"+name, float64(rss)/mib)
					sum += rss
				}
				res.set("rss", float64(sum)/mib)
			}
			b.ReportMetric(mustGet(res, "start")*1000, "ms-to-ready")
			b.ReportMetric(mustGet(res, "rss"), "MB-idle-RSS")
		})
		cl := e2e.StartCluster(b, bin, 1)
		addr = cl.SCAddr
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := client.Connect(ctx, addr, client.Options{MetadataTimeout: 30 * time.Second, RequestTimeout: 30 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()

	for _, size := range []int{kib, 5 * kib} {
		topic := "bench-" + strings.ToLower(sizeName(size))
		if err := c.Admin().CreateTopic(ctx, topic, client.TopicOptions{Partitions: 1}); err != nil {
			b.Fatal(err)
		}
		b.Run("produce/record="+sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(total))
			for range b.N {
				res.set("produce/"+sizeName(size), produce(b, ctx, c, topic, size, total))
			}
			v := mustGet(res, "produce/"+sizeName(size))
			b.ReportMetric(v, "MB/s")
			b.ReportMetric(v*mib/float64(size), "records/s")
		})
	}
	for _, mode := range consumeModes {
		for _, size := range []int{kib, 5 * kib} {
			topic := "bench-" + strings.ToLower(sizeName(size))
			key := "consume-" + mode.name + "/" + sizeName(size)
			b.Run("consume-"+mode.name+"/record="+sizeName(size), func(b *testing.B) {
				b.SetBytes(int64(total))
				for range b.N {
					res.set(key, median(runs, func() float64 { return consume(b, ctx, c, topic, size, mode.reuse) }))
				}
				v := mustGet(res, key)
				b.ReportMetric(v, "MB/s")
				b.ReportMetric(v*mib/float64(size), "records/s")
			})
		}
	}

	if err := c.Admin().CreateTopic(ctx, "bench-latency", client.TopicOptions{Partitions: 1}); err != nil {
		b.Fatal(err)
	}
	b.Run("produce-latency/record=1KiB", func(b *testing.B) {
		for range b.N {
			lat := latency(b, ctx, c, "bench-latency", kib, res)
			res.set("p50", lat.p50)
			res.set("p99", lat.p99)
		}
		b.ReportMetric(mustGet(res, "p50"), "ms-p50")
		b.ReportMetric(mustGet(res, "p99"), "ms-p99")
		b.ReportMetric(mustGet(res, "latency-rate"), "records/s")
	})
	b.Cleanup(func() { printTable(res, dir) })
}

func mustGet(r *results, k string) float64 {
	v, _ := r.get(k)
	return v
}

func sizeName(n int) string {
	if n >= mib && n%mib == 0 {
		return strconv.Itoa(n/mib) + "MiB"
	}
	return strconv.Itoa(n/kib) + "KiB"
}

func mbps(bytes int, d time.Duration) float64 { return float64(bytes) / mib / d.Seconds() }

// diskWrite writes total bytes sequentially in writes of size bytes to a
// new file in dir, then fdatasyncs it (dd conv=fdatasync), and returns
// MiB/s including the fdatasync.
func diskWrite(b *testing.B, dir string, size, total int) float64 {
	b.Helper()
	path := filepath.Join(dir, "disk-bench.tmp")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	defer f.Close()
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	start := time.Now()
	for written := 0; written < total; written += size {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		b.Fatal(err)
	}
	return mbps(total, time.Since(start))
}

// loopback sends total bytes over one 127.0.0.1 TCP connection with a
// plain Go sender and receiver (256 KiB writes and reads) and returns
// MiB/s.
func loopback(b *testing.B, total int) float64 {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer nc.Close()
		// Reads as large as the writes: io.Copy to io.Discard would read
		// 8 KiB at a time and understate the limit by a third.
		var n int64
		buf := make([]byte, 256*kib)
		for {
			k, err := nc.Read(buf)
			n += int64(k)
			if err != nil {
				break
			}
		}
		got <- n
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 256*kib)
	start := time.Now()
	for sent := 0; sent < total; sent += len(buf) {
		if _, err := nc.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	nc.Close()
	if n := <-got; n != int64(total) {
		b.Fatalf("loopback received %d of %d bytes", n, total)
	}
	return mbps(total, time.Since(start))
}

func value(size int) []byte {
	v := make([]byte, size)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}

// produce sends total bytes of size-byte records to one partition in
// 16 KiB batches and returns MiB/s of record values, from the first Send
// to the last acknowledgement.
func produce(b *testing.B, ctx context.Context, c *client.Client, topic string, size, total int) float64 {
	b.Helper()
	p, err := c.Producer(ctx, topic, client.ProducerConfig{BatchSize: 16 * kib})
	if err != nil {
		b.Fatal(err)
	}
	v := value(size)
	n := total / size
	start := time.Now()
	for range n {
		if err := p.Send(ctx, nil, v); err != nil {
			b.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		b.Fatal(err)
	}
	return mbps(n*size, time.Since(start))
}

// runs is how many times loopback and consume are measured; the table shows
// the median, as these machines are noisy.
const runs = 3

// median runs f n times and returns the median of its results.
func median(n int, f func() float64) float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = f()
	}
	slices.Sort(v)
	return v[n/2]
}

// consumeModes are the two ways a Go consumer can hold records: retained
// (the default: a record stays valid for as long as it is referenced) and
// ConsumerConfig.ReuseBuffers (valid until the next call to Next).
var consumeModes = []struct {
	name  string
	reuse bool
}{{"retained", false}, {"reuse", true}}

// consume reads topic's partition from the start of the log to its end and
// returns MiB/s of record values.
func consume(b *testing.B, ctx context.Context, c *client.Client, topic string, size int, reuse bool) float64 {
	b.Helper()
	start := time.Now()
	s, err := c.PartitionConsumer(topic, 0).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true, ReuseBuffers: reuse})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	bytes := 0
	for {
		r, err := s.Next(ctx)
		if client.IsEnd(err) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Value) != size {
			b.Fatalf("record %d: %d bytes, want %d", r.Offset, len(r.Value), size)
		}
		bytes += len(r.Value)
	}
	if bytes == 0 {
		b.Fatal("consumed nothing")
	}
	return mbps(bytes, time.Since(start))
}

type latencies struct{ p50, p99, max float64 }

func percentiles(all []time.Duration) latencies {
	slices.Sort(all)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	pct := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	return latencies{p50: ms(pct(0.50)), p99: ms(pct(0.99)), max: ms(all[len(all)-1])}
}

// paced runs op on latencyWorkers goroutines at rate ops/s in total for
// run, open-loop, and returns the latencies measured from when each op
// was due (a stall counts against every op it delays).
func paced(rate float64, run time.Duration, op func(worker int)) []time.Duration {
	interval := time.Duration(float64(time.Second) * latencyWorkers / rate)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var all []time.Duration
	begin := time.Now().Add(10 * time.Millisecond)
	for w := range latencyWorkers {
		wg.Go(func() {
			var lats []time.Duration
			offset := time.Duration(w) * interval / latencyWorkers
			for i := 0; ; i++ {
				due := begin.Add(offset + time.Duration(i)*interval)
				if due.Sub(begin) > run {
					break
				}
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				op(w)
				lats = append(lats, time.Since(due))
			}
			mu.Lock()
			all = append(all, lats...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all
}

// loopbackRTT is the latency floor of this machine: latencyWorkers plain
// Go clients each sending a size-byte message over loopback TCP to an echo
// of 8 bytes and waiting for it, paced to rate messages/s in total.
func loopbackRTT(b *testing.B, size int, rate float64) latencies {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				buf := make([]byte, size)
				for {
					if _, err := io.ReadFull(nc, buf); err != nil {
						return
					}
					if _, err := nc.Write(buf[:8]); err != nil {
						return
					}
				}
			}()
		}
	}()
	conns := make([]net.Conn, latencyWorkers)
	for i := range conns {
		if conns[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			b.Fatal(err)
		}
		defer conns[i].Close()
	}
	msg := value(size)
	return percentiles(paced(rate, 3*time.Second, func(w int) {
		var ack [8]byte
		if _, err := conns[w].Write(msg); err != nil {
			b.Error(err)
			return
		}
		if _, err := io.ReadFull(conns[w], ack[:]); err != nil {
			b.Error(err)
		}
	}))
}

// latencyWorkers is the number of concurrent producers, each with one
// record in flight: the max rate is what they reach back to back, and
// half load paces them to half of it.
const latencyWorkers = 4

// latency measures send→acknowledgement of single records (each sent at
// once, Linger < 0, and awaited with Flush). First the maximum rate:
// latencyWorkers producers back to back for 2 s. Then half of it, paced
// open-loop for 3 s; each latency is measured from the time the record
// was due, so a stall delays the records behind it and counts against
// them (no coordinated omission).
func latency(b *testing.B, ctx context.Context, c *client.Client, topic string, size int, res *results) latencies {
	b.Helper()
	v := value(size)
	producers := make([]*client.Producer, latencyWorkers)
	for i := range producers {
		p, err := c.Producer(ctx, topic, client.ProducerConfig{Linger: -1})
		if err != nil {
			b.Fatal(err)
		}
		producers[i] = p
	}
	one := func(p *client.Producer) {
		if err := p.Send(ctx, nil, v); err != nil {
			b.Fatal(err)
		}
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	count := 0
	deadline := time.Now().Add(2 * time.Second)
	start := time.Now()
	for _, p := range producers {
		wg.Go(func() {
			n := 0
			for time.Now().Before(deadline) {
				one(p)
				n++
			}
			mu.Lock()
			count += n
			mu.Unlock()
		})
	}
	wg.Wait()
	maxRate := float64(count) / time.Since(start).Seconds()
	rate := maxRate / 2
	res.set("latency-max-rate", maxRate)
	res.set("latency-rate", rate)

	all := paced(rate, 3*time.Second, func(w int) { one(producers[w]) })
	for _, p := range producers {
		_ = p.Close(ctx)
	}
	res.set("latency-n", float64(len(all)))
	return percentiles(all)
}

// printTable prints the figures and their ratios against the targets.
func printTable(res *results, dir string) {
	g := func(k string) float64 { return mustGet(res, k) }
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	disk := max(g("disk/16KiB"), g("disk/1MiB"))
	loop := g("loopback")
	w := os.Stdout
	fmt.Fprintf(w, "\nBroker benchmark (issue #3): %s/%s, GOMAXPROCS %d, data dir %s\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), dir)
	fmt.Fprintf(w, "%-44s %16s   %s\n", "measure", "figure", "ratio / target")
	row := func(name, fig, ratio string) { fmt.Fprintf(w, "%-44s %16s   %s\n", name, fig, ratio) }
	row("disk: sequential write+fdatasync, 16 KiB", fmt.Sprintf("%.0f MiB/s", g("disk/16KiB")), "")
	row("disk: sequential write+fdatasync, 1 MiB", fmt.Sprintf("%.0f MiB/s", g("disk/1MiB")), "disk limit = the faster")
	row(fmt.Sprintf("loopback TCP (Go sender/receiver, median of %d)", runs), fmt.Sprintf("%.0f MiB/s", loop), "")
	for _, s := range []string{"1KiB", "5KiB"} {
		p := g("produce/" + s)
		row("produce "+s+" records, 16 KiB batches", fmt.Sprintf("%.0f MiB/s", p),
			fmt.Sprintf("%3.0f%% of disk    (>= 60%%)  %s", 100*p/disk, verdict(p >= 0.6*disk)))
	}
	for _, m := range consumeModes {
		for _, s := range []string{"1KiB", "5KiB"} {
			c := g("consume-" + m.name + "/" + s)
			row("consume "+s+" from the start, "+m.name, fmt.Sprintf("%.0f MiB/s", c),
				fmt.Sprintf("%3.0f%% of loopback (>= 40%%)  %s", 100*c/loop, verdict(c >= 0.4*loop)))
		}
	}
	row("loopback round trip p50 / p99 (floor)", fmt.Sprintf("%.2f / %.2f ms", g("rtt-p50"), g("rtt-p99")),
		fmt.Sprintf("%d Go clients paced to 5000 msg/s, 1 KiB", latencyWorkers))
	row(fmt.Sprintf("produce latency p50 @ %.0f rec/s", g("latency-rate")), fmt.Sprintf("%.2f ms", g("p50")),
		fmt.Sprintf("half of max %.0f rec/s (%d producers, 1 KiB, ack each)", g("latency-max-rate"), latencyWorkers))
	row(fmt.Sprintf("produce latency p99 @ %.0f rec/s", g("latency-rate")), fmt.Sprintf("%.2f ms", g("p99")),
		fmt.Sprintf("(<= 2 ms)  %s", verdict(g("p99") <= 2)))
	if _, ok := res.get("start"); ok {
		row("fluvio cluster start, 1 SPU, to ready", fmt.Sprintf("%.2f s", g("start")), fmt.Sprintf("(<= 1 s)  %s", verdict(g("start") <= 1)))
		row("idle RSS, SC + 1 SPU", fmt.Sprintf("%.1f MiB", g("rss")),
			fmt.Sprintf("sc %.1f + spu %.1f (<= 40 MB)  %s", g("rss/sc"), g("rss/spu-5001"), verdict(g("rss")*mib <= 40e6)))
	}
	fmt.Fprintln(w)
}
