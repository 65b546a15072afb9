// Package unregister is `fluvio cluster spu unregister`: remove a custom
// SPU by id or name.
package unregister

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// ErrNotFound is returned when no custom SPU has the id.
var ErrNotFound = errors.New("unregister: custom SPU not found")

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	ID     int32
	HasID  bool
	Name   string
}

// NewCmdUnregister builds the command; runF replaces the work in tests.
func NewCmdUnregister(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "unregister (--id <id> | --name <name>)",
		Short: "Unregister a custom SPU",
		Example: `  $ fluvio cluster spu unregister --id 5002
  custom SPU "custom-spu-5002" unregistered`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			opts.HasID = cmd.Flags().Changed("id")
			if opts.HasID == (opts.Name != "") {
				return cmdutil.FlagErrorf("give exactly one of --id or --name")
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().Int32VarP(&opts.ID, "id", "i", 0, "SPU id")
	cmd.Flags().StringVarP(&opts.Name, "name", "n", "", "SPU name")
	return cmd
}

// Run unregisters the SPU.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	name := opts.Name
	if opts.HasID {
		objs, err := c.Admin().List(opts.Ctx, protocol.LabelCustomSpu, false)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if s, ok := o.Spec.(*protocol.CustomSpuSpec); ok && s.ID == opts.ID {
				name = o.Name
			}
		}
		if name == "" {
			return fmt.Errorf("%w: no custom SPU has id %d (see 'fluvio cluster spu list --custom')", ErrNotFound, opts.ID)
		}
	}
	if err := c.Admin().Delete(opts.Ctx, protocol.LabelCustomSpu, name, false); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "custom SPU %q unregistered\n", name)
	return nil
}
