package examples

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

// Each example is built once per test process (go's build cache makes
// rebuilds of unchanged sources a link step).
var (
	buildDir   string
	buildMu    sync.Mutex
	buildOnce  = map[string]*sync.Once{}
	buildBytes = map[string][]byte{}
	buildErrs  = map[string]error{}
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "smartmodule-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = d
	code := m.Run()
	_ = os.RemoveAll(d)
	os.Exit(code)
}

// build compiles example name with GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared and returns the module.
func build(t testing.TB, name string) []byte {
	t.Helper()
	buildMu.Lock()
	once, ok := buildOnce[name]
	if !ok {
		once = &sync.Once{}
		buildOnce[name] = once
	}
	buildMu.Unlock()
	once.Do(func() {
		out := filepath.Join(buildDir, name+".wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./"+name)
		cmd.Dir = sourceDir()
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		msg, err := cmd.CombinedOutput()
		var b []byte
		if err == nil {
			b, err = os.ReadFile(out)
		} else {
			err = fmt.Errorf("go build %s: %w\n%s", name, err, msg)
		}
		buildMu.Lock()
		buildBytes[name], buildErrs[name] = b, err
		buildMu.Unlock()
	})
	buildMu.Lock()
	defer buildMu.Unlock()
	require.NoError(t, buildErrs[name])
	return buildBytes[name]
}

func sourceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// engine is shared by the tests of this package (compiling a Go module
// takes most of a second).
var (
	engOnce sync.Once
	eng     *smartengine.Engine
	engErr  error
)

func engine(t testing.TB) *smartengine.Engine {
	t.Helper()
	engOnce.Do(func() {
		eng, engErr = smartengine.New(context.Background(), smartengine.Config{CacheDir: filepath.Join(buildDir, "wazero-cache")})
	})
	require.NoError(t, engErr)
	return eng
}

func module(t testing.TB, name string) *smartengine.Module {
	t.Helper()
	m, err := engine(t).Compile(context.Background(), build(t, name))
	require.NoError(t, err)
	return m
}

func chain(t testing.TB, invs ...smartengine.Invocation) *smartengine.Chain {
	t.Helper()
	c, err := engine(t).NewChain(context.Background(), 25, invs...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func section(vals ...string) []byte {
	b := protocol.AppendArrayLen(nil, len(vals))
	for i, v := range vals {
		b = protocol.AppendRecord(b, &protocol.Record{Value: []byte(v), OffsetDelta: int64(i), TimestampDelta: int64(i)})
	}
	return b
}

func decode(t testing.TB, b []byte) []protocol.Record {
	t.Helper()
	r := protocol.NewReader(b)
	n := r.ArrayLen(7)
	out := make([]protocol.Record, n)
	for i := range out {
		protocol.ReadRecord(r, &out[i])
	}
	require.NoError(t, r.Err())
	require.Zero(t, r.Remaining())
	return out
}

func vals(t testing.TB, b []byte) []string {
	out := []string{}
	for _, r := range decode(t, b) {
		out = append(out, string(r.Value))
	}
	return out
}

const ts = int64(1700000000000)

func TestExamples(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		example string
		kind    smartengine.Kind
		inv     smartengine.Invocation
		batches [][]string
		want    [][]string
	}{
		{example: "filter", kind: smartengine.KindFilter, batches: [][]string{{"record-a", "record-b", "record-c", "banana"}}, want: [][]string{{"record-a", "banana"}}},
		{example: "map", kind: smartengine.KindMap, batches: [][]string{{"foo", "Bar"}}, want: [][]string{{"FOO", "BAR"}}},
		{example: "filter-map", kind: smartengine.KindFilterMap, batches: [][]string{{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}}, want: [][]string{{"1", "2", "3", "4", "5"}}},
		{example: "array-map", kind: smartengine.KindArrayMap, batches: [][]string{{"a,b", "", "c"}}, want: [][]string{{"a", "b", "c"}}},
		{example: "aggregate", kind: smartengine.KindAggregate, inv: smartengine.Invocation{Accumulator: []byte("1")},
			batches: [][]string{{"a", "b"}, {}, {"c", "d"}}, want: [][]string{{"1a", "1ab"}, {}, {"1abc", "1abcd"}}},
		{example: "params", kind: smartengine.KindFilter, inv: smartengine.Invocation{Params: map[string]string{"key": "an"}},
			batches: [][]string{{"banana", "apple", "mango"}}, want: [][]string{{"banana", "mango"}}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			inv := tt.inv
			inv.Module = module(t, tt.example)
			require.Equal(t, tt.kind, inv.Module.Kind())
			c := chain(t, inv)
			for i, batch := range tt.batches {
				out, rtErr, err := c.Process(ctx, int64(10*i), ts, section(batch...))
				require.NoError(t, err)
				require.Nil(t, rtErr)
				require.Equal(t, tt.want[i], vals(t, out))
			}
		})
	}
}

func TestMapKeepsKeyAndPosition(t *testing.T) {
	c := chain(t, smartengine.Invocation{Module: module(t, "map")})
	in := protocol.AppendArrayLen(nil, 1)
	in = protocol.AppendRecord(in, &protocol.Record{Key: []byte("k"), Value: []byte("v"), OffsetDelta: 3, TimestampDelta: 7})
	out, _, err := c.Process(context.Background(), 0, ts, in)
	require.NoError(t, err)
	rs := decode(t, out)
	require.Len(t, rs, 1)
	require.Equal(t, protocol.Record{Key: []byte("k"), Value: []byte("V"), OffsetDelta: 3, TimestampDelta: 7}, rs[0])
}

func TestArrayMapKeysByOffset(t *testing.T) {
	c := chain(t, smartengine.Invocation{Module: module(t, "array-map")})
	out, _, err := c.Process(context.Background(), 40, ts, section("x", "y,z"))
	require.NoError(t, err)
	var keys []string
	for _, r := range decode(t, out) {
		keys = append(keys, string(r.Key))
		require.Zero(t, r.OffsetDelta)
	}
	require.Equal(t, []string{"40", "41", "41"}, keys)
}

// The Go filter gives byte-identical output to the Rust fixture.
func TestGoFilterMatchesRustFilter(t *testing.T) {
	rust, err := os.ReadFile(fixtures.Path(t, "smartmodules", "filter-on-a.wasm"))
	require.NoError(t, err)
	rm, err := engine(t).Compile(context.Background(), rust)
	require.NoError(t, err)
	in := protocol.AppendArrayLen(nil, 3)
	in = protocol.AppendRecord(in, &protocol.Record{Value: []byte("apple")})
	in = protocol.AppendRecord(in, &protocol.Record{Value: []byte("fruit"), OffsetDelta: 1, TimestampDelta: 5})
	in = protocol.AppendRecord(in, &protocol.Record{Key: []byte("k3"), Value: []byte("banana"), OffsetDelta: 2, TimestampDelta: 9})
	goOut, _, err := chain(t, smartengine.Invocation{Module: module(t, "filter")}).Process(context.Background(), 100, ts, in)
	require.NoError(t, err)
	rustOut, _, err := chain(t, smartengine.Invocation{Module: rm}).Process(context.Background(), 100, ts, in)
	require.NoError(t, err)
	require.Equal(t, rustOut, goOut)

	// A mixed chain: Rust filter then Go map.
	c := chain(t, smartengine.Invocation{Module: rm}, smartengine.Invocation{Module: module(t, "map")})
	out, _, err := c.Process(context.Background(), 100, ts, in)
	require.NoError(t, err)
	require.Equal(t, []string{"APPLE", "BANANA"}, vals(t, out))
}

func TestRecordErrors(t *testing.T) {
	tests := []struct {
		example string
		in      []string
		pass    []string
		offset  int64
		kind    protocol.SmartModuleKindError
		hint    string
	}{
		{example: "filter", in: []string{"avocado", "\xff\xfe", "banana"}, pass: []string{"avocado"}, offset: 101, kind: protocol.ErrKindFilter, hint: "value is not valid UTF-8"},
		{example: "filter-map", in: []string{"2", "4", "x", "6"}, pass: []string{"1", "2"}, offset: 102, kind: protocol.ErrKindFilterMap, hint: `value "x" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			c := chain(t, smartengine.Invocation{Module: module(t, tt.example)})
			out, rtErr, err := c.Process(context.Background(), 100, ts, section(tt.in...))
			require.NoError(t, err)
			require.NotNil(t, rtErr)
			require.Equal(t, tt.pass, vals(t, out))
			require.Equal(t, tt.offset, rtErr.Offset)
			require.Equal(t, tt.kind, rtErr.Kind)
			require.Equal(t, tt.hint, rtErr.Hint)
			require.Equal(t, []byte(tt.in[tt.offset-100]), rtErr.RecordValue)
		})
	}
}

func TestParamsMissing(t *testing.T) {
	_, err := engine(t).NewChain(context.Background(), 25, smartengine.Invocation{Module: module(t, "params")})
	var ie *smartengine.InitError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "Missing param key", ie.Hint)
	require.Equal(t, protocol.SmartModuleChainInitError, smartengine.ErrorCode(err).Code)
}

func TestLookBack(t *testing.T) {
	ctx := context.Background()
	m := module(t, "look-back")
	require.True(t, m.HasLookBack())

	t.Run("history seeds state", func(t *testing.T) {
		c := chain(t, smartengine.Invocation{Module: m, Lookback: &smartengine.Lookback{Last: 2}})
		var asked smartengine.Lookback
		err := c.LookBack(ctx, func(_ context.Context, lb smartengine.Lookback) ([]byte, error) {
			asked = lb
			return section("x", "y"), nil
		})
		require.NoError(t, err)
		require.Equal(t, uint64(2), asked.Last)
		out, _, err := c.Process(ctx, 2, ts, section("x", "z", "y", "w", "z"))
		require.NoError(t, err)
		require.Equal(t, []string{"z", "w"}, vals(t, out))
	})
	t.Run("no lookback configured", func(t *testing.T) {
		c := chain(t, smartengine.Invocation{Module: m})
		require.NoError(t, c.LookBack(ctx, func(context.Context, smartengine.Lookback) ([]byte, error) {
			t.Fatal("read called without a lookback")
			return nil, nil
		}))
		out, _, err := c.Process(ctx, 0, ts, section("x", "x"))
		require.NoError(t, err)
		require.Equal(t, []string{"x"}, vals(t, out))
	})
	t.Run("look_back error", func(t *testing.T) {
		c := chain(t, smartengine.Invocation{Module: m, Lookback: &smartengine.Lookback{Last: 3}})
		err := c.LookBack(ctx, func(context.Context, smartengine.Lookback) ([]byte, error) {
			return section("a", "poison", "b"), nil
		})
		var le *smartengine.LookBackError
		require.ErrorAs(t, err, &le)
		require.Equal(t, "poisoned history", le.Hint)
		require.Equal(t, int64(1), le.Offset)
		require.Equal(t, []byte("poison"), le.RecordValue)
		code := smartengine.ErrorCode(err)
		require.Equal(t, protocol.SmartModuleLookBackError, code.Code)
		require.Equal(t, "poisoned history", code.Message)
	})
}

func TestGoModuleMemoryStaysBounded(t *testing.T) {
	c := chain(t, smartengine.Invocation{Module: module(t, "filter")})
	big := make([]string, 50)
	for i := range big {
		big[i] = "a" + strings.Repeat("x", 1000)
	}
	in := section(big...)
	for range 300 {
		_, _, err := c.Process(context.Background(), 0, ts, in)
		require.NoError(t, err)
	}
	require.Less(t, c.MemoryBytes(), uint64(16<<20), "Go guest memory after 300 × 50 KB calls")
}

func smartengineInvocation(m *smartengine.Module) smartengine.Invocation {
	return smartengine.Invocation{Module: m}
}

// Go modules run the same with and without the engine's acceleration
// (which gives Go's memchr, behind bytes.ContainsRune, a SIMD fast path):
// the filter, map and array-map (bytes.Split on ",") examples over values
// where "a", "," and multi-byte characters are rare, of lengths around
// 16-byte boundaries.
func TestGoModulesAcceleratedTheSame(t *testing.T) {
	ctx := context.Background()
	plain, err := smartengine.New(ctx, smartengine.Config{NoAcceleration: true})
	require.NoError(t, err)
	defer func() { _ = plain.Close(ctx) }()
	r := rand.New(rand.NewPCG(5, 5))
	for _, name := range []string{"filter", "map", "array-map"} {
		slowMod, err := plain.Compile(ctx, build(t, name))
		require.NoError(t, err)
		slow, err := plain.NewChain(ctx, 25, smartengine.Invocation{Module: slowMod})
		require.NoError(t, err)
		fast := chain(t, smartengine.Invocation{Module: module(t, name)})
		for batch := 0; batch < 30; batch++ {
			var vs []string
			for range 1 + r.IntN(20) {
				n := []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 1024, 5000}[r.IntN(11)]
				var b strings.Builder
				for b.Len() < n {
					switch r.IntN(200) {
					case 0:
						b.WriteByte('a')
					case 1:
						b.WriteString("é")
					case 2:
						b.WriteByte(',')
					default:
						b.WriteByte("bcxyz 01"[r.IntN(8)])
					}
				}
				vs = append(vs, b.String())
			}
			in := section(vs...)
			want, wantErr, err := slow.Process(ctx, 0, ts, in)
			require.NoError(t, err)
			got, gotErr, err := fast.Process(ctx, 0, ts, in)
			require.NoError(t, err)
			require.Equal(t, want, got, "%s batch %d", name, batch)
			require.Equal(t, fmt.Sprint(wantErr), fmt.Sprint(gotErr))
		}
		_ = slow.Close(ctx)
	}
}
