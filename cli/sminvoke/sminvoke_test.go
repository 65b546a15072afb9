package sminvoke

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

func parse(t *testing.T, args ...string) (*Flags, error) {
	t.Helper()
	var fl Flags
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	fl.Bind(cmd)
	require.NoError(t, cmd.ParseFlags(args))
	return &fl, fl.Validate(cmd.Flags().Changed)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--smartmodule", "a"}, ""},
		{[]string{"--sm", "a", "-e", "key=a", "-e", "x=y=z"}, ""},
		{[]string{"--smartmodule-path", "f.wasm", "--aggregate-initial", ""}, ""},
		{[]string{"-t", "t.yaml"}, ""},
		{[]string{"--transforms-file", "t.yaml"}, ""},
		{[]string{"--smartmodule", "a", "--smartmodule-path", "f"}, "cannot be used together"},
		{[]string{"--smartmodule", "a", "-t", "f"}, "cannot be used with --smartmodule"},
		{[]string{"-t", "f", "--transforms-line", "{}"}, "--transforms and --transforms-line"},
		{[]string{"-e", "k=v"}, "--params needs --smartmodule"},
		{[]string{"--aggregate-initial", "1"}, "--aggregate-initial needs"},
		{[]string{"--smartmodule", "a", "-e", "novalue"}, `--params "novalue" is not key=value`},
		{[]string{"--smartmodule", "a", "-e", "=v"}, "is not key=value"},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.args...)
		if tt.err == "" {
			require.NoError(t, err, tt.args)
		} else {
			require.ErrorContains(t, err, tt.err, tt.args)
		}
	}
}

func TestInvocations(t *testing.T) {
	fl, err := parse(t, "--smartmodule", "filter-a", "-e", "key=a")
	require.NoError(t, err)
	inv, err := fl.Invocations()
	require.NoError(t, err)
	require.Len(t, inv, 1)
	require.Equal(t, protocol.PredefinedWasm("filter-a"), inv[0].Wasm)
	require.Equal(t, protocol.SmartModuleKind{Type: protocol.SMKindGeneric, Context: protocol.SMContextNone}, inv[0].Kind)
	require.Equal(t, map[string]string{"key": "a"}, inv[0].Params.Params)

	// An empty initial accumulator still makes the aggregate context.
	fl, err = parse(t, "--smartmodule", "agg", "--aggregate-initial", "")
	require.NoError(t, err)
	inv, err = fl.Invocations()
	require.NoError(t, err)
	require.Equal(t, protocol.SMContextAggregate, inv[0].Kind.Context)
	require.Empty(t, inv[0].Kind.Accumulator)

	wasm := fixtures.Path(t, "smartmodules", "aggregate-concat.wasm")
	fl, err = parse(t, "--smartmodule-path", wasm, "--aggregate-initial", "1")
	require.NoError(t, err)
	inv, err = fl.Invocations()
	require.NoError(t, err)
	require.Equal(t, protocol.WasmAdHoc, inv[0].Wasm.Type)
	require.Equal(t, []byte("1"), inv[0].Kind.Accumulator)
	require.Equal(t, "aggregate-concat.wasm", *inv[0].Name)
	zr, err := gzip.NewReader(bytes.NewReader(inv[0].Wasm.AdHoc))
	require.NoError(t, err)
	raw, err := io.ReadAll(zr)
	require.NoError(t, err)
	orig, err := os.ReadFile(wasm)
	require.NoError(t, err)
	require.Equal(t, orig, raw, "the module travels gzipped, byte for byte")

	notWasm := filepath.Join(t.TempDir(), "x.wasm")
	require.NoError(t, os.WriteFile(notWasm, []byte("text"), 0o644))
	fl, _ = parse(t, "--smartmodule-path", notWasm)
	_, err = fl.Invocations()
	require.ErrorContains(t, err, "not a WebAssembly module")

	fl, _ = parse(t, "--smartmodule-path", filepath.Join(t.TempDir(), "missing.wasm"))
	_, err = fl.Invocations()
	require.ErrorContains(t, err, "no such file")
}

func TestTransformsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.yaml")
	require.NoError(t, os.WriteFile(file, []byte(`transforms:
  - uses: filter-a
    with:
      key: a
  - uses: infinyon/jolt@0.4.1
    lookback:
      last: 10
      age: 1h
    with:
      spec:
        - operation: default
          spec: {source: test}
      n: 3
`), 0o644))
	fl, err := parse(t, "-t", file)
	require.NoError(t, err)
	inv, err := fl.Invocations()
	require.NoError(t, err)
	require.Len(t, inv, 2)
	require.Equal(t, "filter-a", inv[0].Wasm.Name)
	require.Equal(t, map[string]string{"key": "a"}, inv[0].Params.Params)
	require.Equal(t, "infinyon/jolt@0.4.1", inv[1].Wasm.Name)
	require.Equal(t, `[{"operation":"default","spec":{"source":"test"}}]`, inv[1].Params.Params["spec"])
	require.Equal(t, "3", inv[1].Params.Params["n"])
	hour := time.Hour
	require.Equal(t, &protocol.Lookback{Last: 10, Age: &hour}, inv[1].Params.Lookback)
	require.Equal(t, "filter-a,infinyon/jolt@0.4.1", *inv[0].Name)

	fl, err = parse(t, "--transforms-line", `{"uses":"m","with":{"k":"v"}}`, "--transforms-line", `{"uses":"n"}`)
	require.NoError(t, err)
	inv, err = fl.Invocations()
	require.NoError(t, err)
	require.Len(t, inv, 2)
	require.Equal(t, "v", inv[0].Params.Params["k"])
}

func TestParseTransformsErrors(t *testing.T) {
	tests := []struct{ in, err string }{
		{"", "want a mapping"},
		{"- uses: a", "want a mapping"},
		{"transforms: {}", "want a 'transforms' list"},
		{"transforms: []", "is empty"},
		{"transforms:\n  - with: {k: v}", "step 1: 'uses' is missing"},
		{"transforms:\n  - uses: a\n    bogus: 1", `unknown field "bogus"`},
		{"transforms:\n  - uses: a\n    with: [1]", "'with' must be a mapping"},
		{"transforms:\n  - uses: a\n    lookback: {last: -1}", "lookback.last"},
		{"transforms:\n  - uses: a\n    lookback: {age: soon}", "lookback.age"},
		{"transforms: [", "sminvoke: invalid transforms"},
	}
	for _, tt := range tests {
		_, err := ParseTransforms([]byte(tt.in))
		require.ErrorIs(t, err, ErrTransforms, tt.in)
		require.ErrorContains(t, err, tt.err, tt.in)
	}
}

func FuzzParseTransforms(f *testing.F) {
	f.Add([]byte("transforms:\n  - uses: a\n    with: {k: v}\n    lookback: {last: 1, age: 1h}\n"))
	f.Add([]byte("transforms:\n  - uses: b\n    with:\n      spec: [{x: 1}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var steps []Step
		var err error
		if n := allocated(func() { steps, err = ParseTransforms(b) }); n > uint64(512*len(b)+4<<20) {
			t.Fatalf("%d input bytes allocated %d bytes", len(b), n)
		}
		if err == nil {
			require.NotEmpty(t, steps)
			for _, s := range steps {
				require.NotEmpty(t, s.Uses)
			}
		}
		_, _ = ParseStepJSON(b)
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
