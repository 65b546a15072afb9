package topic

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/topic/create"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command { return NewCmdTopic(f) }

// TestGolden runs a user's session against an in-process SC with one SPU,
// in both output modes.
func TestGolden(t *testing.T) {
	steps := []struct {
		name string
		args []string
	}{
		{"list-empty", []string{"topic", "list"}},
		{"create", []string{"topic", "create", "greetings"}},
		{"create-options", []string{"topic", "create", "events", "-p", "2", "--retention-time", "1d", "--segment-size", "10 MiB", "--max-partition-size", "1GB", "--compression-type", "zstd"}},
		{"create-dry-run", []string{"topic", "create", "checked", "--dry-run"}},
		{"create-exists", []string{"topic", "create", "greetings"}},
		{"create-bad-name", []string{"topic", "create", "Bad_Name"}},
		{"create-bad-retention", []string{"topic", "create", "x", "--retention-time", "1 fortnight"}},
		{"create-bad-size", []string{"topic", "create", "x", "--segment-size", "lots"}},
		{"create-bad-compression", []string{"topic", "create", "x", "--compression-type", "brotli"}},
		{"create-zero-partitions", []string{"topic", "create", "x", "-p", "0"}},
		{"create-no-name", []string{"topic", "create"}},
		{"list", []string{"topic", "list"}},
		{"list-json", []string{"topic", "list", "-O", "json"}},
		{"list-yaml", []string{"topic", "list", "-O", "yaml"}},
		{"list-bad-format", []string{"topic", "list", "-O", "xml"}},
		{"describe", []string{"topic", "describe", "events"}},
		{"describe-json", []string{"topic", "describe", "greetings", "-O", "json"}},
		{"describe-missing", []string{"topic", "describe", "nope"}},
		{"delete", []string{"topic", "delete", "greetings"}},
		{"delete-missing", []string{"topic", "delete", "greetings"}},
		{"delete-continue", []string{"topic", "delete", "nope", "events", "-c"}},
	}
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t).StartSC()
			e.ConnectSPU(5001, 9010)
			for _, s := range steps {
				got := e.Run(m.TTY, build, s.args...)
				golden.Assert(t, s.name+"."+m.Name, got)
			}
		})
	}
}

func TestNoClusterNamesTheProblem(t *testing.T) {
	e := clitest.New(t)
	got := e.Run(false, build, "topic", "list")
	require.Contains(t, got, "config has no active profile; run 'fluvio cluster start'")
	require.Contains(t, got, "--- exit 1")

	e.UseCluster("127.0.0.1:1")
	got = e.Run(false, build, "topic", "list")
	require.Contains(t, got, "connect to cluster at 127.0.0.1:SC (profile local)")
	require.Contains(t, got, "--- exit 1")

	got = e.Run(false, build, "topic", "list", "-c", "127.0.0.1:1", "-P", "local")
	require.Contains(t, got, "--profile and --cluster cannot be used together")
	require.Contains(t, got, "--- exit 2")
}

func TestReplicaAssignment(t *testing.T) {
	e := clitest.New(t).StartSC()
	e.ConnectSPU(5001, 9010)
	file := filepath.Join(e.Dir, "assign.json")
	require.NoError(t, os.WriteFile(file, []byte(`[{"id":0,"replicas":[5001]},{"id":1,"replicas":[5001]}]`), 0o644))
	got := e.Run(false, build, "topic", "create", "pinned", "--replica-assignment", file)
	require.Contains(t, got, "topic \"pinned\" created")
	got = e.Run(false, build, "topic", "list")
	require.Contains(t, got, "pinned\tassigned\t2\t")

	got = e.Run(false, build, "topic", "create", "x", "-f", file, "-p", "2")
	require.Contains(t, got, "--replica-assignment cannot be used with --partitions")
	require.Contains(t, got, "--- exit 2")
}

func TestParseReplicaAssignment(t *testing.T) {
	tests := []struct {
		in   string
		want []protocol.PartitionMap
		err  string
	}{
		{`[{"id":0,"replicas":[5001,5002]}]`, []protocol.PartitionMap{{ID: 0, Replicas: []int32{5001, 5002}}}, ""},
		{`[]`, nil, "no partitions"},
		{`{"id":0}`, nil, "want a JSON array"},
		{`[{"replicas":[1]}]`, nil, `entry 0 has no "id"`},
		{`[{"id":1,"replicas":[1]},{"id":1,"replicas":[2]}]`, nil, "partition 1 is listed twice"},
		{`[{"id":1,"replicas":[]}]`, nil, "partition 1 has no replicas"},
		{`[{"id":1,"replicas":[1],"leader":2}]`, nil, "unknown field"},
	}
	for _, tt := range tests {
		got, err := create.ParseReplicaAssignment([]byte(tt.in), "f.json")
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.want, got)
	}
}

func FuzzParseReplicaAssignment(f *testing.F) {
	f.Add([]byte(`[{"id":0,"replicas":[5001,5002,5003]},{"id":1,"replicas":[5002,5003,5001]}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var maps []protocol.PartitionMap
		var err error
		if n := allocated(func() { maps, err = create.ParseReplicaAssignment(b, "fuzz") }); n > uint64(64*len(b)+1<<20) {
			t.Fatalf("%d input bytes allocated %d bytes", len(b), n)
		}
		if err == nil {
			require.NotEmpty(t, maps)
			for _, m := range maps {
				require.NotEmpty(t, m.Replicas)
			}
		}
	})
}

// allocated reports the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
