// Package delete is `fluvio smartmodule delete`: remove stored
// SmartModules.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO              *iostreams.IOStreams
	Client          func(context.Context) (*client.Client, error)
	Ctx             context.Context
	Names           []string
	ContinueOnError bool
}

// NewCmdDelete builds the command; runF replaces the work in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "delete <name>...",
		Short: "Delete SmartModules from the cluster",
		Example: `  $ fluvio smartmodule delete filter-a
  smartmodule "filter-a" deleted`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names, opts.Ctx = args, cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmdutil.ShadowClusterFlag(cmd, &f.Target)
	cmd.Flags().BoolVarP(&opts.ContinueOnError, "continue-on-error", "c", false, "Keep deleting the others when one fails")
	return cmd
}

// Run deletes the SmartModules.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return cmdutil.DeleteEach(opts.IO, opts.Names, "smartmodule", "smart module", "SmartModules", opts.ContinueOnError,
		func(n string) error { return c.Admin().DeleteSmartModule(opts.Ctx, n) })
}
