// Package realclient proves compatibility with the real Fluvio client: the
// Rust client v0.11.11 inside @fluvio/client's native addon, driven from
// Node.js, against a cluster started with our own `fluvio cluster start`.
package realclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

// requireNode skips (or, on CI, fails) when Node or the installed client
// are missing.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	addon := filepath.Join("node_modules", "@fluvio", "client", "dist", "linux", "index.node")
	_, aerr := os.Stat(addon)
	if err == nil && aerr == nil {
		return node
	}
	msg := "skipped: needs node and `npm install --ignore-scripts` in test/realclient (.ci/run does both)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Binaries builds fluvio and fluvio-run into a temporary directory.
func Binaries(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "./cmd/fluvio", "./cmd/fluvio-run")
	cmd.Dir = fixtures.Root()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return dir
}

// freePortPair finds p such that p and p+1 are free on 127.0.0.1.
func freePortPair(t *testing.T) int {
	t.Helper()
	for i := 0; i < 100; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		p := ln.Addr().(*net.TCPAddr).Port
		ln2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1))
		ln.Close()
		if err == nil {
			ln2.Close()
			return p
		}
	}
	t.Fatal("no free port pair")
	return 0
}

// LocalCluster starts a cluster with `fluvio cluster start` in a private
// HOME on free ports and returns the SC address; it is deleted at the end.
func LocalCluster(t *testing.T, bin string, spus int) (scAddr string, env []string) {
	t.Helper()
	home := t.TempDir()
	env = append(os.Environ(), "HOME="+home, "FLUVIO_DIR="+filepath.Join(home, ".fluvio"))
	pub, priv, spuBase := freePortPair(t), freePortPair(t), freePortPair(t)
	scAddr = fmt.Sprintf("127.0.0.1:%d", pub)
	run := func(args ...string) string {
		cmd := exec.Command(filepath.Join(bin, "fluvio"), args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "fluvio %s: %s", strings.Join(args, " "), out)
		return string(out)
	}
	start := time.Now()
	run("cluster", "start", "--spu", strconv.Itoa(spus), "--sc-pub-addr", scAddr,
		"--sc-priv-addr", fmt.Sprintf("127.0.0.1:%d", priv), "--spu-base-port", strconv.Itoa(spuBase))
	t.Logf("fluvio cluster start: ready in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		cmd := exec.Command(filepath.Join(bin, "fluvio"), "cluster", "delete", "--force")
		cmd.Env = env
		_ = cmd.Run()
	})
	return scAddr, env
}

type step struct {
	Step            string           `json:"step"`
	Found           json.RawMessage  `json:"found"`
	Listed          []map[string]any `json:"listed"`
	Duplicate       *string          `json:"duplicate"`
	MissingProducer *string          `json:"missingProducer"`
	MissingDelete   *string          `json:"missingDelete"`
	Partitions      [][][2]*string   `json:"partitions"`
	Records         [][2]*string     `json:"records"`
	Error           string           `json:"error"`
}

// The broker scenario of issue #3 with the real client, against a cluster
// started with `fluvio cluster start`.
func TestRealClientAgainstLocalCluster(t *testing.T) {
	node := requireNode(t)
	bin := Binaries(t)
	addr, _ := LocalCluster(t, bin, 1)

	// where the real client must put each key: the Rust partitioner
	const n = 10000
	want := make([][]string, 3)
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("key-%d", i%37)
		p := client.KeyHash([]byte(key)) % 3
		want[p] = append(want[p], key+"="+fmt.Sprintf("value-%d", i))
	}
	counts, _ := json.Marshal([]int{len(want[0]), len(want[1]), len(want[2])})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "scenario.js", addr, string(counts))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	steps := map[string]step{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var s step
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s), "line %q", sc.Text())
		steps[s.Step] = s
	}
	require.NoError(t, err, "node scenario: %s\n%s", stderr.String(), steps["fatal"].Error)

	admin := steps["admin"]
	require.Contains(t, string(admin.Found), `"name":"conf-three"`)
	require.Contains(t, string(admin.Found), `"partitions":3`)
	var names []string
	for _, tp := range admin.Listed {
		names = append(names, fmt.Sprint(tp["name"]))
	}
	require.ElementsMatch(t, []string{"conf-one", "conf-three"}, names)

	errs := steps["errors"]
	require.NotNil(t, errs.Duplicate)
	require.Contains(t, *errs.Duplicate, "Topic already exists")
	require.NotNil(t, errs.MissingProducer)
	require.Contains(t, *errs.MissingProducer, "Topic not found")

	require.Contains(t, steps, "produced")
	got := steps["beginning"].Partitions
	require.Len(t, got, 3)
	for p := 0; p < 3; p++ {
		var recs []string
		for _, kv := range got[p] {
			require.NotNil(t, kv[0])
			recs = append(recs, *kv[0]+"="+*kv[1])
		}
		require.Equal(t, len(want[p]), len(recs), "partition %d: records with the same key share a partition as the Rust partitioner puts them", p)
		require.Equal(t, want[p], recs, "partition %d: every record, in order", p)
	}

	pairs := func(rs [][2]*string) []string {
		var out []string
		for _, kv := range rs {
			out = append(out, *kv[0]+"="+*kv[1])
		}
		return out
	}
	require.Equal(t, []string{"k40=one-40", "k41=one-41", "k42=one-42"}, pairs(steps["offset"].Records))
	require.Equal(t, []string{"t0=tail-0", "t1=tail-1", "t2=tail-2"}, pairs(steps["end"].Records))
	require.Equal(t, []string{"t1=tail-1", "t2=tail-2"}, pairs(steps["fromEnd2"].Records))

	del := steps["deleted"]
	require.Empty(t, del.Listed)
	require.NotNil(t, del.MissingDelete)
	require.Contains(t, *del.MissingDelete, "Topic not found")
}

// The same scenario with our Go client, which also checks offsets.
func TestGoClientAgainstLocalCluster(t *testing.T) {
	bin := Binaries(t)
	addr, _ := LocalCluster(t, bin, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.Connect(ctx, addr)
	require.NoError(t, err)
	defer c.Close()
	a := c.Admin()
	require.NoError(t, a.CreateTopic(ctx, "conf-one", client.TopicOptions{Partitions: 1}))
	require.NoError(t, a.CreateTopic(ctx, "conf-three", client.TopicOptions{Partitions: 3}))
	require.ErrorContains(t, a.CreateTopic(ctx, "conf-one", client.TopicOptions{}), "Topic already exists")
	_, err = c.Producer(ctx, "no-such-topic")
	require.ErrorIs(t, err, client.ErrTopicNotFound)

	p, err := c.Producer(ctx, "conf-three")
	require.NoError(t, err)
	const n = 10000
	want := make([][]string, 3)
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("key-%d", i%37)
		require.NoError(t, p.Send(ctx, []byte(key), []byte(fmt.Sprintf("value-%d", i))))
		want[client.KeyHash([]byte(key))%3] = append(want[client.KeyHash([]byte(key))%3], key+"="+fmt.Sprintf("value-%d", i))
	}
	require.NoError(t, p.Flush(ctx))
	for part := uint32(0); part < 3; part++ {
		s, err := c.PartitionConsumer("conf-three", part).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
		require.NoError(t, err)
		var got []string
		for i := 0; ; i++ {
			r, err := s.Next(ctx)
			if client.IsEnd(err) {
				break
			}
			require.NoError(t, err)
			require.Equal(t, int64(i), r.Offset)
			got = append(got, string(r.Key)+"="+string(r.Value))
		}
		s.Close()
		require.Equal(t, want[part], got)
	}

	one, err := c.Producer(ctx, "conf-one")
	require.NoError(t, err)
	for i := 0; i < 100; i++ {
		require.NoError(t, one.Send(ctx, []byte(fmt.Sprintf("k%d", i)), []byte(fmt.Sprintf("one-%d", i))))
	}
	require.NoError(t, one.Flush(ctx))
	s, err := c.PartitionConsumer("conf-one", 0).Stream(ctx, client.OffsetAbsolute(40), client.ConsumerConfig{})
	require.NoError(t, err)
	r, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(40), r.Offset)
	require.Equal(t, "one-40", string(r.Value))
	s.Close()

	tail, err := c.PartitionConsumer("conf-one", 0).Stream(ctx, client.OffsetEnd(0), client.ConsumerConfig{})
	require.NoError(t, err)
	require.NoError(t, one.Send(ctx, []byte("t0"), []byte("tail-0")))
	require.NoError(t, one.Flush(ctx))
	r, err = tail.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(100), r.Offset)
	require.Equal(t, "tail-0", string(r.Value))
	tail.Close()

	require.NoError(t, a.DeleteTopic(ctx, "conf-one"))
	require.NoError(t, a.DeleteTopic(ctx, "conf-three"))
	topics, err := a.ListTopics(ctx)
	require.NoError(t, err)
	require.Empty(t, topics)
}
