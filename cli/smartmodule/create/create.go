// Package create is `fluvio smartmodule create`: store a .wasm module in
// the cluster under a name.
package create

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO       *iostreams.IOStreams
	Client   func(context.Context) (*client.Client, error)
	Ctx      context.Context
	Name     string
	WasmFile string
}

// NewCmdCreate builds the command; runF replaces the work in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create <name> --wasm-file <file.wasm>",
		Short: "Store a SmartModule in the cluster",
		Long: `Store a SmartModule in the cluster under a name, so consumers and producers can
use it with --smartmodule NAME. The file is a .wasm module (raw or gzipped)
built with Fluvio's Rust SDK or our Go SDK.`,
		Example: `  $ fluvio smartmodule create filter-a --wasm-file filter_on_a.wasm
  smartmodule "filter-a" has been created.

  $ fluvio consume greetings -B --smartmodule filter-a`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name, opts.Ctx = args[0], cmd.Context()
			if opts.WasmFile == "" {
				return cmdutil.FlagErrorf("--wasm-file is required: the path of the .wasm module to store as %q", opts.Name)
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.WasmFile, "wasm-file", "", "Path of the .wasm module (raw or gzipped)")
	return cmd
}

// Run reads the module and stores it.
func Run(opts *Options) error {
	wasm, err := os.ReadFile(opts.WasmFile)
	if err != nil {
		return fmt.Errorf("--wasm-file: %w", err)
	}
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) && !bytes.HasPrefix(wasm, []byte{0x1f, 0x8b}) {
		return cmdutil.FlagErrorf("--wasm-file %s is not a WebAssembly module (no \\0asm header) nor a gzipped one", opts.WasmFile)
	}
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Admin().CreateSmartModule(opts.Ctx, opts.Name, wasm); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "smartmodule %q has been created.\n", opts.Name)
	return nil
}
