// Package delete is `fluvio smartmodule delete`: remove stored
// SmartModules.
package delete

import (
	"context"
	"errors"
	"fmt"

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
	var errs []error
	for _, n := range opts.Names {
		if err := c.Admin().DeleteSmartModule(opts.Ctx, n); err != nil {
			if !opts.ContinueOnError {
				return err
			}
			opts.IO.Printf("smart module %q delete failed with: %v\n", n, err)
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(opts.IO.Out, "smartmodule %q deleted\n", n)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d SmartModules were not deleted: %w", len(errs), len(opts.Names), errors.Join(errs...))
	}
	return nil
}
