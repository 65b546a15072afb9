package examples

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/gofluvio/fluvio/smartmodule/wasmstart"
)

// A host that never calls _initialize, as upstream Fluvio: the plain Go
// module traps on its first call, the post-processed one works.
func TestSelfInitialisingModule(t *testing.T) {
	ctx := context.Background()
	plain := build(t, "filter")
	started, err := wasmstart.AddStartSection(plain)
	require.NoError(t, err)

	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	_, err = rt.NewHostModuleBuilder("env").NewFunctionBuilder().
		WithFunc(func(uint32, uint32) {}).Export("copy_records").Instantiate(ctx)
	require.NoError(t, err)

	noStart := wazero.NewModuleConfig().WithName("").WithStartFunctions()
	for _, tt := range []struct {
		name string
		wasm []byte
		ok   bool
	}{{"plain", plain, false}, {"with start section", started, true}} {
		t.Run(tt.name, func(t *testing.T) {
			mod, err := rt.InstantiateWithConfig(ctx, tt.wasm, noStart)
			require.NoError(t, err)
			defer mod.Close(ctx)
			_, err = mod.ExportedFunction("alloc").Call(ctx, api.EncodeI32(16))
			if tt.ok {
				require.NoError(t, err)
				require.Nil(t, mod.ExportedFunction("_initialize"))
			} else {
				require.Error(t, err)
			}
		})
	}

	// Our engine runs the post-processed module too (no double init).
	m, err := engine(t).Compile(ctx, started)
	require.NoError(t, err)
	out, _, err := chain(t, smartengineInvocation(m)).Process(ctx, 0, ts, section("kiwi", "banana"))
	require.NoError(t, err)
	require.Equal(t, []string{"banana"}, vals(t, out))
}
