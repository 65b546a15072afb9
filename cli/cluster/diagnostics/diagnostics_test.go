package diagnostics

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{Use: "cluster"}
	c.AddCommand(NewCmdDiagnostics(f, nil))
	return c
}

// readTar lists the tarball's files and their contents.
func readTar(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	tr := tar.NewReader(zr)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		out[h.Name] = string(b)
	}
}

func TestGolden(t *testing.T) {
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t).StartSC()
			require.NoError(t, os.MkdirAll(filepath.Join(e.Dir, "log"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(e.Dir, "log", "flv_sc.log"), []byte("sc started\n"), 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(e.Dir, "data", "metadata", "topic"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(e.Dir, "data", "metadata", "topic", "t.yaml"), []byte("name: t\n"), 0o644))
			require.NoError(t, os.MkdirAll(filepath.Join(e.Dir, "data", "spu-logs-5001", "t-0"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(e.Dir, "data", "spu-logs-5001", "t-0", "00000000000000000000.log"), make([]byte, 100), 0o644))
			out := filepath.Join(e.Dir, "out")
			got := e.Run(m.TTY, build, "cluster", "diagnostics", "--dir", out)
			golden.Assert(t, "run."+m.Name, got)
			files := readTar(t, filepath.Join(out, "diagnostics-2025-01-02-03-04-05.tar.gz"))
			var names []string
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			require.Equal(t, []string{"diagnostics/cluster/partition.yaml", "diagnostics/cluster/smartmodule.yaml", "diagnostics/cluster/spu.yaml",
				"diagnostics/cluster/spugroup.yaml", "diagnostics/cluster/topic.yaml", "diagnostics/logs/flv_sc.log", "diagnostics/metadata.tar.gz",
				"diagnostics/profile.txt", "diagnostics/spu-disk-usage.txt", "diagnostics/system.txt"}, names)
			require.Equal(t, "sc started\n", files["diagnostics/logs/flv_sc.log"])
			require.Equal(t, "spu-logs-5001\t100 bytes\n", files["diagnostics/spu-disk-usage.txt"])
			require.Contains(t, files["diagnostics/profile.txt"], "profile: local\n")
			require.Contains(t, files["diagnostics/profile.txt"], "installation: local\n")
		})
	}
}

func TestUnreachableClusterStillCollects(t *testing.T) {
	e := clitest.New(t)
	e.UseCluster("127.0.0.1:1")
	got := e.Run(false, build, "cluster", "diagnostics", "--dir", e.Dir, "--quiet")
	require.Equal(t, clitest.Transcript("Wrote diagnostics to $DIR/diagnostics-2025-01-02-03-04-05.tar.gz\n", "", 0), got)
	files := readTar(t, filepath.Join(e.Dir, "diagnostics-2025-01-02-03-04-05.tar.gz"))
	require.Contains(t, files["diagnostics/cluster-error.txt"], "connect to cluster at 127.0.0.1:1")
}
