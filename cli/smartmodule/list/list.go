// Package list is `fluvio smartmodule list`: the SmartModules stored in
// the cluster.
package list

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	Format output.Format
	Filter string
}

// NewCmdList builds the command; runF replaces the work in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the SmartModules stored in the cluster",
		Example: `  $ fluvio smartmodule list
  SMARTMODULE  SIZE
  filter-a     78.9 KiB`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	output.AddFormatFlag(cmd, &opts.Format)
	cmd.Flags().StringVar(&opts.Filter, "filter", "", "Only SmartModules whose name contains this")
	return cmd
}

// Row is a SmartModule as tables and -O json|yaml show it.
type Row struct {
	Name string `json:"name"`
	// Size is the stored (gzipped) module's length in bytes.
	Size    uint64 `json:"size"`
	Package string `json:"package,omitempty"`
	Version string `json:"version,omitempty"`
}

// Run lists the SmartModules.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	var filters []string
	if opts.Filter != "" {
		filters = []string{opts.Filter}
	}
	sms, err := c.Admin().ListSmartModules(opts.Ctx, filters...)
	if err != nil {
		return err
	}
	rows := []Row{}
	for _, sm := range sms {
		r := Row{Name: sm.Name}
		if s := sm.Spec; s != nil {
			r.Size = uint64(len(s.Wasm.Payload))
			if s.Summary != nil {
				r.Size = uint64(s.Summary.WasmLength)
			}
			if s.Meta != nil {
				r.Package = s.Meta.Package.Group + "/" + s.Meta.Package.Name
				r.Version = s.Meta.Package.Version
			}
		}
		rows = append(rows, r)
	}
	if opts.Format != output.FormatTable {
		return output.Export(opts.IO.Out, opts.Format, rows)
	}
	if len(rows) == 0 {
		opts.IO.Printf("no smartmodules\n")
		return nil
	}
	t := output.NewTable(opts.IO, "SMARTMODULE", "SIZE")
	for _, r := range rows {
		t.AddRow(r.Name, units.FormatSize(r.Size))
	}
	return t.Render()
}
