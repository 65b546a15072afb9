package realclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

// nodeWithClient returns the node binary when node and the installed
// @fluvio/client addon are present; otherwise it skips (fails on CI).
func nodeWithClient(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	_, aerr := os.Stat(filepath.Join("node_modules", "@fluvio", "client", "dist", "linux", "index.node"))
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

// smStep is one case reported by smartmodules.js.
type smStep struct {
	Step   string   `json:"step"`
	Values []string `json:"values"`
	Error  *string  `json:"error"`
}

// The real client streams through real SmartModules ad hoc (smartmoduleFile
// and smartmoduleData) and by name (smartmoduleName), against an in-process
// cluster running the wazero engine (issue #4 item 6).
func TestRealClientSmartModules(t *testing.T) {
	node := nodeWithClient(t)
	dir := fixtures.Path(t, "smartmodules")
	cl := clustertest.Start(t, clustertest.Options{})
	c := cl.Client()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	names := []string{"filter-on-a", "map-uppercase", "filter-map-even-half", "filter-contains-a", "no-transform-export"}
	for _, name := range names {
		wasm, err := os.ReadFile(filepath.Join(dir, name+".wasm"))
		require.NoError(t, err)
		require.NoError(t, c.Admin().CreateSmartModule(ctx, name, wasm))
	}
	cl.Eventually(10*time.Second, func() error {
		for _, name := range names {
			if _, ok := cl.SPUs[0].ResolveSmartModule(name); !ok {
				return os.ErrNotExist
			}
		}
		return nil
	})

	// A record-level error after a record that passes, with our Go SDK's
	// filter example (values that are not UTF-8 fail it): the Node client
	// cannot produce such values, so the Go client does.
	goFilter := fixtures.GoSmartModule(t, "filter")
	require.NoError(t, c.Admin().CreateTopic(ctx, "bad-utf8", client.TopicOptions{Partitions: 1}))
	p, err := c.Producer(ctx, "bad-utf8")
	require.NoError(t, err)
	for _, v := range []string{"avocado", "fig", "\xff\xfea", "banana"} {
		require.NoError(t, p.Send(ctx, nil, []byte(v)))
	}
	require.NoError(t, p.Flush(ctx))

	cmd := exec.CommandContext(ctx, node, "smartmodules.js", cl.Addr(), dir, goFilter)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	steps := map[string]smStep{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var s smStep
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s), "line %q", sc.Text())
		steps[s.Step] = s
	}
	fatal := ""
	if f, ok := steps["fatal"]; ok && f.Error != nil {
		fatal = *f.Error
	}
	t.Logf("smartmodules.js output:\n%s", out)
	require.NoError(t, err, "node smartmodules.js: %s\n%s", stderr.String(), fatal)
	require.Contains(t, steps, "produced")

	ok := map[string][]string{
		// smartmodules.js ends every topic with a record that passes (see
		// readUntil there): last-a, last, 12.
		"filter-on-a":          {"record-a", "last-a"},
		"map-uppercase":        {"FOO", "BAR", "MIXED CASE", "LAST"},
		"filter-map-even-half": {"1", "2", "3", "4", "5", "6"},
	}
	for _, how := range []string{"file", "data", "name"} {
		for name, want := range ok {
			t.Run(name+"/"+how, func(t *testing.T) {
				s, found := steps[name+"/"+how]
				require.True(t, found, "no result")
				require.Nil(t, s.Error, "stream error")
				require.Equal(t, want, s.Values)
			})
		}
		t.Run("filter-contains-a/"+how, func(t *testing.T) {
			s := steps["filter-contains-a/"+how]
			require.Empty(t, s.Values)
			require.NotNil(t, s.Error, "a missing key param must fail init")
			require.Contains(t, *s.Error, "Missing param key")
		})
		t.Run("no-transform-export/"+how, func(t *testing.T) {
			s := steps["no-transform-export/"+how]
			require.Empty(t, s.Values)
			require.NotNil(t, s.Error, "a module without a transform must be refused")
			require.Contains(t, *s.Error, "At least one import is required")
		})
	}
	unknown := steps["unknown/name"]
	require.Empty(t, unknown.Values)
	require.NotNil(t, unknown.Error)
	require.Contains(t, *unknown.Error, "SmartModule no-such-module was not found")
	goStep := steps["go-filter/file"]
	require.Equal(t, []string{"avocado"}, goStep.Values, "records before the failing one come first")
	require.NotNil(t, goStep.Error)
	require.Contains(t, *goStep.Error, "value is not valid UTF-8")
	require.Contains(t, *goStep.Error, "Offset: 2")

	plain := steps["plain"]
	require.Nil(t, plain.Error)
	require.Equal(t, []string{"apple", "fruit", "banana"}, plain.Values, "the SPU still serves plain streams")
}
