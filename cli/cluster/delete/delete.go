// Package delete is `fluvio cluster delete`: stop the local cluster and
// remove its data, logs and profile.
package delete

import (
	"bufio"
	"context"
	"fmt"
	"strings"

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
	Force        bool
}

// NewCmdDelete builds the command; runF replaces the work in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, LocalCluster: f.LocalCluster}
	cmd := &cobra.Command{
		Use:   "delete",
		Short: "Delete the local cluster: processes, data, logs and profile",
		Long: `Stop the local cluster and remove ~/.fluvio/data, its logs, its settings and
profile "local". Asks you to type the cluster name unless --force is given.
Only the processes this cluster started are stopped.`,
		Example: `  $ fluvio cluster delete
  $ fluvio cluster delete --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "Delete without asking for confirmation")
	return cmd
}

// Run asks for confirmation and deletes.
func Run(opts *Options) error {
	c, err := opts.LocalCluster()
	if err != nil {
		return err
	}
	if !c.IsInstalled() {
		opts.IO.Printf("No local Fluvio cluster to delete\n")
		// Remove leftovers (a profile, a stray pid file) all the same.
		return c.Delete(ctxOf(opts))
	}
	if !opts.Force {
		opts.IO.Printf("WARNING: You are about to delete %s. This operation is irreversible and the data stored in your cluster will be permanently lost.\nPlease type the cluster name to confirm: ", local.ProfileName)
		line, _ := bufio.NewReader(opts.IO.In).ReadString('\n')
		if !opts.IO.IsStdinTTY() {
			opts.IO.Printf("\n") // the typed line was not echoed
		}
		if strings.TrimSpace(line) != local.ProfileName {
			return fmt.Errorf("confirmation failed: typed %q, want %q; aborting", strings.TrimSpace(line), local.ProfileName)
		}
	}
	opts.IO.StartSpinner("Deleting the local cluster")
	err = c.Delete(ctxOf(opts))
	opts.IO.StopSpinner()
	if err != nil {
		return err
	}
	opts.IO.Printf("Deleted the local Fluvio cluster: processes, data, logs and profile %q\n", local.ProfileName)
	return nil
}

func ctxOf(opts *Options) context.Context {
	if opts.Ctx == nil {
		return context.Background()
	}
	return opts.Ctx
}
