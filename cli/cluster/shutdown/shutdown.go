// Package shutdown is `fluvio cluster shutdown`: stop the local cluster's
// processes and keep its data, for `fluvio cluster resume`.
package shutdown

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cluster/local"
)

// Options are the dependencies of the verb.
type Options struct {
	Ctx          context.Context
	IO           *iostreams.IOStreams
	LocalCluster func() (*local.Cluster, error)
}

// NewCmdShutdown builds the command; runF replaces the work in tests.
func NewCmdShutdown(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, LocalCluster: f.LocalCluster}
	return &cobra.Command{
		Use:   "shutdown",
		Short: "Stop the local cluster, keeping its data",
		Long: `Stop the local cluster's SC and SPUs (SIGTERM, then SIGKILL after 10s). Data,
logs and settings stay; 'fluvio cluster resume' starts the same cluster again.`,
		Example: `  $ fluvio cluster shutdown
  $ fluvio cluster resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run stops the processes.
func Run(opts *Options) error {
	c, err := opts.LocalCluster()
	if err != nil {
		return err
	}
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	opts.IO.StartSpinner("Stopping the local cluster")
	was, err := c.Shutdown(ctx)
	opts.IO.StopSpinner()
	if err != nil {
		return err
	}
	if !was {
		opts.IO.Printf("Local Fluvio cluster is not running\n")
		return nil
	}
	opts.IO.Printf("Uninstalled fluvio local components\n")
	opts.IO.Printf("Data kept; 'fluvio cluster resume' starts the cluster again\n")
	return nil
}
