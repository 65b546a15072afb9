package produce

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/topic"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command { return NewCmdProduce(f, nil) }

// consumeAll reads every record of topic's partition.
func consumeAll(t *testing.T, addr, topic string, partition uint32) []client.Record {
	t.Helper()
	c, err := client.Connect(t.Context(), addr)
	require.NoError(t, err)
	defer c.Close()
	s, err := c.PartitionConsumer(topic, partition).Stream(t.Context(), client.OffsetBeginning(0), client.ConsumerConfig{StopAtEnd: true})
	require.NoError(t, err)
	defer s.Close()
	var out []client.Record
	for {
		r, err := s.Next(t.Context())
		if client.IsEnd(err) {
			return out
		}
		require.NoError(t, err)
		out = append(out, r)
	}
}

func TestFlagsParse(t *testing.T) {
	tests := []struct {
		args  []string
		err   string
		check func(t *testing.T, o *Options)
	}{
		{args: []string{"t"}, check: func(t *testing.T, o *Options) {
			require.Equal(t, client.ProducerConfig{Delivery: client.AtLeastOnce}, o.Config)
		}},
		{args: []string{"t", "--linger", "10ms", "--batch-size", "64KiB", "--compression", "zstd", "--isolation", "read_committed", "--delivery-semantic", "at-most-once"}, check: func(t *testing.T, o *Options) {
			require.Equal(t, 64<<10, o.Config.BatchSize)
			require.Equal(t, protocol.CompressionZstd, o.Config.Compression)
			require.Equal(t, protocol.ReadCommitted, o.Config.Isolation)
			require.Equal(t, client.AtMostOnce, o.Config.Delivery)
			require.Equal(t, "10ms", o.Config.Linger.String())
		}},
		{args: []string{"t", "--linger", "0ms"}, check: func(t *testing.T, o *Options) { require.Equal(t, time.Microsecond, o.Config.Linger) }},
		{args: []string{"t", "--key", ""}, check: func(t *testing.T, o *Options) { require.True(t, o.HasKey) }},
		{args: []string{"t", "--compression", "brotli"}, err: `--compression "brotli" is not valid (valid: none, gzip, snappy, lz4, zstd)`},
		{args: []string{"t", "--linger", "soon"}, err: "--linger: units: invalid duration"},
		{args: []string{"t", "--batch-size", "0"}, err: "must be between 1 byte and 1 GiB"},
		{args: []string{"t", "--isolation", "serializable"}, err: "valid: read_committed, read_uncommitted"},
		{args: []string{"t", "--delivery-semantic", "exactly-once"}, err: "valid: at-least-once, at-most-once"},
		{args: []string{"t", "--key-separator", ""}, err: "--key-separator must be non-empty"},
		{args: []string{"t", "--key-separator", ":", "--key", "k"}, err: "--key and --key-separator cannot be used together"},
		{args: []string{"t", "--key-separator", ":", "--raw"}, err: "cannot be used with --raw"},
		{args: []string{"t", "-e", "k=v"}, err: "--params needs --smartmodule"},
		{args: []string{"t", "-p", "-2"}, err: "--partition must not be negative"},
	}
	for _, tt := range tests {
		var got *Options
		f := cmdutil.TestFactory(t.TempDir())
		cmd := NewCmdProduce(f, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(new(nopWriter))
		cmd.SetErr(new(nopWriter))
		err := cmd.Execute()
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, tt.args)
			continue
		}
		require.NoError(t, err, tt.args)
		tt.check(t, got)
	}
}

type nopWriter struct{}

func (*nopWriter) Write(b []byte) (int, error) { return len(b), nil }

func TestGolden(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{SPUs: 1})
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t)
			e.UseCluster(cl.Addr())
			tp := "t-" + m.Name
			require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return topic.NewCmdTopic(f) }, "topic", "create", tp, "-p", "2"), "--- exit 0")
			file := filepath.Join(e.Dir, "records.txt")
			require.NoError(t, os.WriteFile(file, []byte("f1\nf2\n"), 0o644))
			for _, s := range []struct {
				name, stdin string
				args        []string
			}{
				{"lines", "one\ntwo\n\nthree", []string{"produce", tp, "-p", "0"}},
				{"verbose-keys", "a=1\nb=2\nnosep\nc=x=y\n", []string{"produce", tp, "-p", "1", "--key-separator", "=", "-v"}},
				{"file", "", []string{"produce", tp, "-p", "0", "--file", file, "--compression", "gzip", "--linger", "0ms"}},
				{"raw", "line1\nline2\n", []string{"produce", tp, "-p", "0", "--raw", "--key", "whole"}},
				{"missing-topic", "x\n", []string{"produce", "nope"}},
				{"missing-file", "", []string{"produce", tp, "--file", filepath.Join(e.Dir, "nope.txt")}},
				{"bad-partition", "x\n", []string{"produce", tp, "-p", "9"}},
			} {
				e.Stdin = s.stdin
				golden.Assert(t, s.name+"."+m.Name, e.Run(m.TTY, build, s.args...))
			}
			var vals []string
			for _, r := range consumeAll(t, cl.Addr(), tp, 0) {
				vals = append(vals, string(r.Key)+"|"+string(r.Value))
			}
			require.Equal(t, []string{"|one", "|two", "|", "|three", "|f1", "|f2", "whole|line1\nline2\n"}, vals)
			vals = nil
			for _, r := range consumeAll(t, cl.Addr(), tp, 1) {
				vals = append(vals, string(r.Key)+"|"+string(r.Value))
			}
			require.Equal(t, []string{"a|1", "b|2", "c|x=y"}, vals)
		})
	}
}

func TestKeysSpreadOverPartitionsAndKeepOrder(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{SPUs: 1})
	e := clitest.New(t)
	e.UseCluster(cl.Addr())
	require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return topic.NewCmdTopic(f) }, "topic", "create", "k", "-p", "3"), "--- exit 0")
	e.Stdin = "a:1\nb:1\nc:1\na:2\nb:2\nc:2\na:3\n"
	require.Equal(t, clitest.Transcript("", "", 0), e.Run(false, build, "produce", "k", "--key-separator", ":"))
	byKey := map[string][]string{}
	parts := map[string]uint32{}
	for p := uint32(0); p < 3; p++ {
		for _, r := range consumeAll(t, cl.Addr(), "k", p) {
			byKey[string(r.Key)] = append(byKey[string(r.Key)], string(r.Value))
			if q, ok := parts[string(r.Key)]; ok {
				require.Equal(t, q, p, "one key, one partition")
			}
			parts[string(r.Key)] = p
		}
	}
	require.Equal(t, map[string][]string{"a": {"1", "2", "3"}, "b": {"1", "2"}, "c": {"1", "2"}}, byKey)
}
