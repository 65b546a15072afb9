package run

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/smartengine"
)

func TestSPUSmartModuleFlags(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		asBuilt string // FLUVIO_SMARTMODULE_AS_BUILT
		args    []string
		wantMem uint64
		wantTO  time.Duration
		wantRaw bool // acceleration off
		wantErr string
	}{
		{name: "defaults", wantMem: smartengine.DefaultMaxMemoryBytes, wantTO: smartengine.DefaultCallTimeout},
		{name: "flags", args: []string{"--smartmodule-memory-limit", "512M", "--smartmodule-timeout", "2s"}, wantMem: 512 << 20, wantTO: 2 * time.Second},
		{name: "fluvio env", env: "1000000000", wantMem: 1000000000, wantTO: smartengine.DefaultCallTimeout},
		{name: "as built", args: []string{"--smartmodule-as-built"}, wantMem: smartengine.DefaultMaxMemoryBytes, wantTO: smartengine.DefaultCallTimeout, wantRaw: true},
		{name: "as built env", asBuilt: "1", wantMem: smartengine.DefaultMaxMemoryBytes, wantTO: smartengine.DefaultCallTimeout, wantRaw: true},
		{name: "bad size", args: []string{"--smartmodule-memory-limit", "lots"}, wantErr: "--smartmodule-memory-limit"},
		{name: "negative timeout", args: []string{"--smartmodule-timeout", "-1s"}, wantErr: "--smartmodule-timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envSmartEngineMaxMemory, tt.env)
			t.Setenv(envSmartModuleAsBuilt, tt.asBuilt)
			cmd := NewSPUCmd()
			require.NoError(t, cmd.Flags().Parse(tt.args))
			o := &spuOptions{id: 5001, logBaseDir: t.TempDir(), flush: "os"}
			var err error
			o.smMemory, err = cmd.Flags().GetString("smartmodule-memory-limit")
			require.NoError(t, err)
			o.smTimeout, err = cmd.Flags().GetDuration("smartmodule-timeout")
			require.NoError(t, err)
			o.smAsBuilt, err = cmd.Flags().GetBool("smartmodule-as-built")
			require.NoError(t, err)
			cfg, err := o.config()
			require.NoError(t, err)
			sm, err := o.smartModules(cfg)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer sm.Close()
			eng, err := sm.Engine(context.Background())
			require.NoError(t, err)
			got := eng.Config()
			require.Equal(t, tt.wantMem, got.MaxMemoryBytes)
			require.Equal(t, tt.wantTO, got.CallTimeout)
			require.Equal(t, tt.wantRaw, got.NoAcceleration)
			require.Equal(t, filepath.Join(cfg.DataDir, "smartengine-cache-5001"), got.CacheDir)
		})
	}
}
