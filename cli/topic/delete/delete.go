// Package delete is `fluvio topic delete`: delete one or more topics.
package delete

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO              *iostreams.IOStreams
	Client          func(context.Context) (*client.Client, error)
	Ctx             context.Context
	Names           []string
	ContinueOnError bool
	System          bool
}

// NewCmdDelete builds the command; runF replaces the work in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "delete <name>...",
		Short: "Delete topics and their records",
		Example: `  $ fluvio topic delete greetings
  topic "greetings" deleted

  $ fluvio topic delete a b c --continue-on-error`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names, opts.Ctx = args, cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.ContinueOnError, "continue-on-error", "c", false, "Keep deleting the other topics when one fails")
	cmd.Flags().BoolVarP(&opts.System, "system", "s", false, "Delete system topics (this can break consumer offsets)")
	cmdutil.ShadowClusterFlag(cmd, &f.Target)
	return cmd
}

// Run deletes the topics.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return cmdutil.DeleteEach(opts.IO, opts.Names, "topic", "topic", "topics", opts.ContinueOnError,
		func(n string) error { return c.Admin().Delete(opts.Ctx, protocol.LabelTopic, n, opts.System) })
}
