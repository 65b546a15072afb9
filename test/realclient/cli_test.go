package realclient

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A user's day with the built binaries and a real local cluster, with the
// real Fluvio client reading and writing the same topic through the same
// ~/.fluvio/config: start, create a topic, produce from stdin, consume in
// several formats, the real client reads what fluvio produced and fluvio
// prints what the real client produced, shut down, resume with the data
// still there, delete.
func TestCLIAndRealClientShareACluster(t *testing.T) {
	node := requireNode(t)
	bin := Binaries(t)
	_, env := LocalCluster(t, bin, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	fluvio := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "fluvio"), args...)
		cmd.Env = env
		cmd.Stdin = strings.NewReader(stdin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "fluvio %s: %s%s", strings.Join(args, " "), out, stderr.String())
		return string(out)
	}
	nodeRun := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, node, append([]string{"crosscheck.js"}, args...)...)
		cmd.Env = env
		out, err := cmd.Output()
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		require.NoError(t, err, "node crosscheck %s: %s", strings.Join(args, " "), stderr)
		return string(out)
	}

	fluvio("", "topic", "create", "shared")
	fluvio("alpha\nbravo\ncharlie\n", "produce", "shared")
	require.Equal(t, "alpha\nbravo\ncharlie\n", fluvio("", "consume", "shared", "-B", "-d"))

	var read []string
	require.NoError(t, json.Unmarshal([]byte(nodeRun("read", "shared", "3")), &read))
	require.Equal(t, []string{"alpha", "bravo", "charlie"}, read, "the real client reads what fluvio produce wrote")

	nodeRun("write", "shared", "delta", "echo")
	require.Equal(t, "alpha\nbravo\ncharlie\ndelta\necho\n", fluvio("", "consume", "shared", "-B", "-d"), "fluvio consume prints what the real client wrote")

	fluvio(`{"fruit":"fig"}`+"\n", "produce", "shared")
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(fluvio("", "consume", "shared", "-o", "5", "-d", "-O", "json")), &rec))
	require.Equal(t, map[string]any{"fruit": "fig"}, rec)
	require.Equal(t, "2:charlie\n3:delta\n", fluvio("", "consume", "shared", "-o", "2", "-d", "--end", "3", "--format", "{{offset}}:{{value}}"))

	// profiles: rename the current one, address the cluster through it by
	// name, with the real client following the same config file
	require.Equal(t, "local\n", fluvio("", "profile", "current"))
	fluvio("", "profile", "rename", "local", "mine")
	require.Equal(t, "mine\n", fluvio("", "profile", "current"))
	require.Contains(t, fluvio("", "-P", "mine", "topic", "list"), "shared")
	require.NoError(t, json.Unmarshal([]byte(nodeRun("read", "shared", "1")), &read))
	require.Equal(t, []string{"alpha"}, read, "the real client follows the renamed current profile")
	fluvio("", "profile", "rename", "mine", "local")
	fluvio("", "profile", "switch", "local")

	fluvio("", "cluster", "shutdown")
	fluvio("", "cluster", "resume")
	require.Equal(t, "alpha\nbravo\ncharlie\ndelta\necho\n{\"fruit\":\"fig\"}\n", fluvio("", "consume", "shared", "-B", "-d"), "data survives shutdown and resume")
	require.NoError(t, json.Unmarshal([]byte(nodeRun("read", "shared", "6")), &read))
	require.Equal(t, []string{"alpha", "bravo", "charlie", "delta", "echo", `{"fruit":"fig"}`}, read)

	fluvio("", "cluster", "delete", "--force")
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "fluvio"), "topic", "list")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "after delete there is no cluster to talk to: %s", out)
}
