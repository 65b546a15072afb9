package smartmodule

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/internal/fixtures"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command { return NewCmdSmartModule(f) }

func TestGolden(t *testing.T) {
	wasm := fixtures.Path(t, "smartmodules", "filter-on-a.wasm")
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t).StartSC()
			notWasm := filepath.Join(e.Dir, "notes.txt")
			if err := os.WriteFile(notWasm, []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, s := range []struct {
				name string
				args []string
			}{
				{"list-empty", []string{"smartmodule", "list"}},
				{"create", []string{"smartmodule", "create", "filter-a", "--wasm-file", wasm}},
				{"create-again", []string{"smartmodule", "create", "filter-a", "--wasm-file", wasm}},
				{"create-no-file-flag", []string{"smartmodule", "create", "x"}},
				{"create-missing-file", []string{"smartmodule", "create", "x", "--wasm-file", filepath.Join(e.Dir, "nope.wasm")}},
				{"create-not-wasm", []string{"smartmodule", "create", "x", "--wasm-file", notWasm}},
				{"list", []string{"sm", "list"}},
				{"list-json", []string{"smartmodule", "list", "-O", "json"}},
				{"delete", []string{"smartmodule", "delete", "filter-a"}},
				{"delete-missing", []string{"smartmodule", "delete", "filter-a"}},
			} {
				golden.Assert(t, s.name+"."+m.Name, e.Run(m.TTY, build, s.args...))
			}
		})
	}
}
