package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/internal/golden"
)

// run executes `fluvio profile <args>` against a copy of testdata/config.toml
// (or no config when withConfig is false) and returns what a user sees:
// stdout, stderr and the exit code, plus the config afterwards.
func run(t *testing.T, tty, withConfig bool, args ...string) (string, *config.Config) {
	t.Helper()
	dir := t.TempDir()
	if withConfig {
		b, err := os.ReadFile(filepath.Join("testdata", "config.toml"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "config"), b, 0o600))
	}
	f := cmdutil.TestFactory(dir)
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(tty)
	f.IOStreams = ios
	cmd := NewCmdProfile(f)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmdutil.SetupRoot(cmd)
	code := cmdutil.ExitCode(cmd.Execute(), false, errOut)
	cfg, err := config.LoadOrNew(filepath.Join(dir, "config"))
	require.NoError(t, err)
	return fmt.Sprintf("--- stdout\n%s--- stderr\n%s--- exit %d\n", out, errOut, code), cfg
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name     string
		noConfig bool
		args     []string
		check    func(t *testing.T, cfg *config.Config)
	}{
		{name: "bare", args: []string{}},
		{name: "current", args: []string{"current"}},
		{name: "current-no-config", noConfig: true, args: []string{"current"}},
		{name: "list", args: []string{"list"}},
		{name: "list-json", args: []string{"list", "-O", "json"}},
		{name: "list-yaml", args: []string{"list", "-O", "yaml"}},
		{name: "list-no-config", noConfig: true, args: []string{"list"}},
		{name: "list-bad-format", args: []string{"list", "-O", "xml"}},
		{name: "switch", args: []string{"switch", "staging"}, check: func(t *testing.T, cfg *config.Config) {
			require.Equal(t, "staging", cfg.CurrentProfile)
		}},
		{name: "switch-missing", args: []string{"switch", "prod"}, check: func(t *testing.T, cfg *config.Config) {
			require.Equal(t, "local", cfg.CurrentProfile)
		}},
		{name: "switch-no-args", args: []string{"switch"}},
		{name: "rename", args: []string{"rename", "local", "dev"}, check: func(t *testing.T, cfg *config.Config) {
			require.Equal(t, "dev", cfg.CurrentProfile)
			require.Equal(t, "local", cfg.Profiles["dev"].Cluster)
		}},
		{name: "rename-onto-existing", args: []string{"rename", "local", "staging"}},
		{name: "delete-current", args: []string{"delete", "local"}, check: func(t *testing.T, cfg *config.Config) {
			require.Empty(t, cfg.CurrentProfile)
			require.NotContains(t, cfg.Profiles, "local")
			require.Contains(t, cfg.Clusters, "local")
		}},
		{name: "delete-cluster-in-use", args: []string{"delete-cluster", "local"}, check: func(t *testing.T, cfg *config.Config) {
			require.Contains(t, cfg.Clusters, "local")
		}},
		{name: "delete-cluster-force", args: []string{"delete-cluster", "local", "--force"}, check: func(t *testing.T, cfg *config.Config) {
			require.NotContains(t, cfg.Clusters, "local")
		}},
		{name: "delete-cluster-missing", args: []string{"delete-cluster", "nope"}},
		{name: "export", args: []string{"export"}},
		{name: "export-cloud-json", args: []string{"export", "my-cloud-cluster", "-O", "json"}},
		{name: "export-yaml", args: []string{"export", "local", "-O", "yaml"}},
		{name: "export-files-tls", args: []string{"export", "staging"}},
	}
	for _, tt := range tests {
		for _, tty := range []bool{true, false} {
			mode := "piped"
			if tty {
				mode = "tty"
			}
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				got, cfg := run(t, tty, !tt.noConfig, tt.args...)
				golden.Assert(t, tt.name+"."+mode, got)
				if tt.check != nil {
					tt.check(t, cfg)
				}
			})
		}
	}
}

func TestExportedTOMLIsAUsableConfig(t *testing.T) {
	got, _ := run(t, false, true, "export", "my-cloud-cluster")
	body := strings.TrimPrefix(strings.SplitN(got, "--- stderr", 2)[0], "--- stdout\n")
	cfg, err := config.Parse([]byte(body))
	require.NoError(t, err)
	name, _, cl, err := cfg.Current()
	require.NoError(t, err)
	require.Equal(t, "my-cloud-cluster", name)
	require.Equal(t, "router.infinyon.cloud:9003", cl.Endpoint)
	require.Equal(t, config.InstallCloud, cl.Installation())
	require.Len(t, cfg.Profiles, 1)
}
