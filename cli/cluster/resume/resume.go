// Package resume is `fluvio cluster resume`: start a shut-down local
// cluster again, with its data, ports and SPU ids.
package resume

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cluster/local"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	Ctx          context.Context
	IO           *iostreams.IOStreams
	LocalCluster func() (*local.Cluster, error)
	Timeout      time.Duration
}

// NewCmdResume builds the command; runF replaces the work in tests.
func NewCmdResume(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, LocalCluster: f.LocalCluster}
	cmd := &cobra.Command{
		Use:     "resume",
		Short:   "Start a shut-down local cluster again, with its data",
		Example: `  $ fluvio cluster resume`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 0, "How long to wait for the cluster (default $FLV_CLUSTER_PROVISION_TIMEOUT seconds, else 5m)")
	return cmd
}

// Run resumes the cluster.
func Run(opts *Options) error {
	c, err := opts.LocalCluster()
	if err != nil {
		return err
	}
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	defer opts.IO.StopSpinner()
	_, err = c.Resume(ctx, opts.Timeout)
	if errors.Is(err, local.ErrAlreadyRunning) {
		opts.IO.StopSpinner()
		opts.IO.Printf("Local Fluvio cluster is already running\n")
		return nil
	}
	return err
}
