package smartengine

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

// rec is a test record: key (nil: none) and value, with deltas.
type rec struct {
	key, value        string
	hasKey            bool
	offDelta, tsDelta int64
}

// section encodes values as a records section with offset deltas 0, 1, 2…
func section(values ...string) []byte {
	rs := make([]rec, len(values))
	for i, v := range values {
		rs[i] = rec{value: v, offDelta: int64(i)}
	}
	return sectionOf(rs...)
}

func sectionOf(rs ...rec) []byte {
	b := protocol.AppendArrayLen(nil, len(rs))
	for _, r := range rs {
		pr := protocol.Record{Value: []byte(r.value), OffsetDelta: r.offDelta, TimestampDelta: r.tsDelta}
		if r.hasKey {
			pr.Key = []byte(r.key)
		}
		b = protocol.AppendRecord(b, &pr)
	}
	return b
}

// values decodes a records section into its values.
func values(t testing.TB, b []byte) []string {
	t.Helper()
	r := protocol.NewReader(b)
	n := r.ArrayLen(minRecordSize)
	out := []string{}
	for range n {
		var pr protocol.Record
		protocol.ReadRecord(r, &pr)
		out = append(out, string(pr.Value))
	}
	require.NoError(t, r.Err())
	require.Zero(t, r.Remaining(), "trailing bytes after records")
	return out
}

func records(t testing.TB, b []byte) []protocol.Record {
	t.Helper()
	r := protocol.NewReader(b)
	n := r.ArrayLen(minRecordSize)
	out := make([]protocol.Record, n)
	for i := range n {
		protocol.ReadRecord(r, &out[i])
	}
	require.NoError(t, r.Err())
	return out
}

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = sharedCacheDir(t)
	}
	e, err := New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

// sharedCacheDir is a compilation cache shared by the tests of one run, so
// each module is compiled once.
func sharedCacheDir(t testing.TB) string {
	cacheOnce.Do(func() {
		d, err := os.MkdirTemp("", "smartengine-test-cache-")
		if err == nil {
			cacheDir = d
		}
	})
	if cacheDir == "" {
		return t.TempDir()
	}
	return cacheDir
}

func fixtureWasm(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures.Path(t, "smartmodules", name))
	require.NoError(t, err)
	return b
}

func compileFixture(t testing.TB, e *Engine, name string) *Module {
	t.Helper()
	m, err := e.Compile(context.Background(), fixtureWasm(t, name))
	require.NoError(t, err)
	return m
}

func newChain(t testing.TB, e *Engine, invs ...Invocation) *Chain {
	t.Helper()
	c, err := e.NewChain(context.Background(), 25, invs...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

const testTimestamp = int64(1700000000000)

func filepathWalk(dir string, fn func(string)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fn(p)
		}
		return err
	})
}

func readDirNames(dir string) ([]string, error) {
	var names []string
	err := filepathWalk(dir, func(p string) { names = append(names, p) })
	return names, err
}
