package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gofluvio/fluvio/cluster/clustertest"
)

// benchLines is the size of the CLI benchmark.
const benchLines = 100_000

// BenchmarkCLI compares, in one run, `fluvio produce` of 100,000 lines
// from stdin and `fluvio consume -B -d` of them with `cat` of the same
// file through a pipe. Run it with `make bench-cli`.
func BenchmarkCLI(b *testing.B) {
	cl := clustertest.Start(b, clustertest.Options{SPUs: 1})
	u := newUser(b, cl.Addr())
	file := filepath.Join(b.TempDir(), "lines.txt")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range benchLines {
		fmt.Fprintf(w, "record %06d: the quick brown fox jumps over the lazy dog\n", i)
	}
	w.Flush()
	f.Close()
	st, _ := os.Stat(file)
	size := st.Size()

	// run executes name with stdin from file (or nothing) and counts the
	// lines it writes to its stdout pipe.
	run := func(b *testing.B, stdin string, name string, args ...string) int {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "HOME="+u.home, "FLV_PROFILE_PATH=", "FLUVIO_DIR=")
		if stdin != "" {
			in, err := os.Open(stdin)
			if err != nil {
				b.Fatal(err)
			}
			defer in.Close()
			cmd.Stdin = in
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		n := 0
		r := bufio.NewReaderSize(out, 1<<16)
		for {
			_, err := r.ReadSlice('\n')
			if err == io.EOF {
				break
			}
			if err != nil && err != bufio.ErrBufferFull {
				b.Fatal(err)
			}
			if err == nil {
				n++
			}
		}
		if err := cmd.Wait(); err != nil {
			b.Fatalf("%s %v: %v", name, args, err)
		}
		return n
	}
	report := func(b *testing.B) {
		b.SetBytes(size)
		b.ReportMetric(float64(benchLines)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}
	topic := 0
	b.Run("cat", func(b *testing.B) {
		for b.Loop() {
			if n := run(b, file, "cat"); n != benchLines {
				b.Fatalf("cat: %d lines", n)
			}
		}
		report(b)
	})
	b.Run("fluvio-produce", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			topic++
			run(b, "", fluvioBin, "topic", "create", "bench-"+strconv.Itoa(topic))
			b.StartTimer()
			run(b, file, fluvioBin, "produce", "bench-"+strconv.Itoa(topic))
		}
		report(b)
	})
	// `fluvio benchmark producer` and `consumer` report their own figures.
	b.Run("fluvio-benchmark", func(b *testing.B) {
		for b.Loop() {
			for _, args := range [][]string{
				{"benchmark", "producer", "--num-records", "100000", "--record-size", "1kib"},
				{"benchmark", "producer", "--num-records", "100000", "--record-size", "1kib", "--batch-size", "64kib", "--linger", "5ms", "--no-latency"},
				{"benchmark", "consumer", "--num-records", "100000", "--record-size", "1kib"},
			} {
				out, errOut, code := u.run("", args...)
				if code != 0 {
					b.Fatalf("fluvio %v: %s", args, errOut)
				}
				b.Logf("fluvio %v\n%s", args, out)
			}
		}
	})
	b.Run("fluvio-consume", func(b *testing.B) {
		for b.Loop() {
			if n := run(b, "", fluvioBin, "consume", "bench-1", "-B", "-d"); n != benchLines {
				b.Fatalf("consume: %d lines", n)
			}
		}
		report(b)
	})
}
