package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/cluster/spu/smartmodules"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

// TestSmartModules runs Fluvio's real modules (fixtures/smartmodules)
// through the CLI: ad hoc with --smartmodule-path, stored with
// `smartmodule create` and --smartmodule, with params, an aggregate's
// initial value, a transforms chain, and on produce.
func TestSmartModules(t *testing.T) {
	sm := func(name string) string { return fixtures.Path(t, "smartmodules", name) }
	eng := smartmodules.New(smartengine.Config{})
	t.Cleanup(func() { eng.Close() })
	cl := clustertest.Start(t, clustertest.Options{SPUs: 1, SmartModules: eng})
	u := newUser(t, cl.Addr())

	u.ok("", "topic", "create", "letters")
	u.ok("record-a\nrecord-b\nrecord-c\nbanana\n", "produce", "letters")
	u.ok("", "topic", "create", "numbers")
	u.ok("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "produce", "numbers")
	u.ok("", "topic", "create", "abcd")
	u.ok("a\nb\nc\nd\n", "produce", "abcd")

	require.Equal(t, "record-a\nbanana\n", u.ok("", "consume", "letters", "-B", "-d", "--smartmodule-path", sm("filter-on-a.wasm")))
	require.Equal(t, "RECORD-A\nRECORD-B\nRECORD-C\nBANANA\n", u.ok("", "consume", "letters", "-B", "-d", "--smartmodule-path", sm("map-uppercase.wasm")))
	require.Equal(t, "1\n2\n3\n4\n5\n", u.ok("", "consume", "numbers", "-B", "-d", "--smartmodule-path", sm("filter-map-even-half.wasm")))
	require.Equal(t, "1a\n1ab\n1abc\n1abcd\n", u.ok("", "consume", "abcd", "-B", "-d", "--smartmodule-path", sm("aggregate-concat.wasm"), "--aggregate-initial", "1"))

	require.Equal(t, "smartmodule \"contains\" has been created.\n", u.ok("", "smartmodule", "create", "contains", "--wasm-file", sm("filter-contains-a.wasm")))
	u.ok("", "smartmodule", "create", "upper", "--wasm-file", sm("map-uppercase.wasm"))
	require.Contains(t, u.ok("", "smartmodule", "list"), "contains\t")
	require.Equal(t, "record-a\nbanana\n", u.ok("", "consume", "letters", "-B", "-d", "--smartmodule", "contains", "-e", "key=a"))

	_, errOut, code := u.run("", "consume", "letters", "-B", "-d", "--smartmodule", "contains")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "Missing param key", "a missing param is an init error naming it")

	_, errOut, code = u.run("", "consume", "letters", "-B", "-d", "--smartmodule", "nope")
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "SmartModule nope was not found")

	_, errOut, code = u.run("", "consume", "letters", "-B", "-d", "--smartmodule-path", sm("no-transform-export.wasm"))
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut, "failed to initialize")

	chain := filepath.Join(t.TempDir(), "chain.yaml")
	require.NoError(t, os.WriteFile(chain, []byte("transforms:\n  - uses: contains\n    with:\n      key: a\n  - uses: upper\n"), 0o644))
	require.Equal(t, "RECORD-A\nBANANA\n", u.ok("", "consume", "letters", "-B", "-d", "--transforms-file", chain))

	// Producer SmartModules run before the records are stored.
	u.ok("", "topic", "create", "shouts")
	u.ok("quiet\nwords\n", "produce", "shouts", "--smartmodule", "upper")
	require.Equal(t, "QUIET\nWORDS\n", u.ok("", "consume", "shouts", "-B", "-d"))

	require.Equal(t, "smartmodule \"contains\" deleted\n", u.ok("", "smartmodule", "delete", "contains"))
}
