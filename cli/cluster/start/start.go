// Package start is `fluvio cluster start`: start a local cluster (the
// default installation type) and make profile "local" current.
package start

import (
	"context"
	"errors"

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

	Local      bool
	Start      local.StartOptions
	SkipChecks bool
}

// NewCmdStart builds the command; runF replaces the work in tests.
func NewCmdStart(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, LocalCluster: f.LocalCluster}
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start a local Fluvio cluster",
		Long: `Start a Fluvio cluster on this machine: one SC (fluvio-run sc) and --spu SPUs
(fluvio-run spu), running in the background. fluvio-run is looked for next to
fluvio, then on PATH. Data goes to ~/.fluvio/data, logs to ~/.fluvio/log, and
profile "local" (endpoint 127.0.0.1:9003) becomes current in ~/.fluvio/config.

Starting a running cluster does nothing. A stopped cluster is brought back with
'fluvio cluster resume'.`,
		Example: `  $ fluvio cluster start
  $ fluvio cluster start --spu 3
  $ fluvio cluster start --sc-pub-addr 127.0.0.1:19003 --sc-priv-addr 127.0.0.1:19004 --spu-base-port 19010`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if opts.Start.SPUs < 1 {
				return cmdutil.FlagErrorf("--spu must be at least 1, got %d", opts.Start.SPUs)
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Local, "local", true, "Install a local cluster (the default)")
	fl.IntVar(&opts.Start.SPUs, "spu", 1, "Number of SPUs")
	fl.StringVar(&opts.Start.DataDir, "data-dir", "", "Data directory (default ~/.fluvio/data)")
	fl.StringVar(&opts.Start.LogDir, "log-dir", "", "Directory for the servers' logs (default ~/.fluvio/log)")
	fl.StringVar(&opts.Start.RustLog, "rust-log", local.DefaultLog, "Log filter for the servers (RUST_LOG)")
	fl.StringVar(&opts.Start.SCPublicAddr, "sc-pub-addr", local.DefaultSCPublicAddr, "SC public address (clients connect here)")
	fl.StringVar(&opts.Start.SCPrivateAddr, "sc-priv-addr", "", "SC private address for SPUs (default 0.0.0.0:9004)")
	fl.IntVar(&opts.Start.SPUBasePort, "spu-base-port", local.DefaultSPUBasePort, "Public port of the first SPU; SPU k uses base+10k and base+10k+1")
	fl.BoolVar(&opts.Start.SkipProfile, "skip-profile-creation", false, "Do not write profile \"local\" to ~/.fluvio/config")
	fl.BoolVar(&opts.SkipChecks, "skip-checks", false, "Accepted for compatibility with Fluvio; the checks are always cheap and always run")
	fl.DurationVar(&opts.Start.Timeout, "timeout", 0, "How long to wait for the cluster (default $FLV_CLUSTER_PROVISION_TIMEOUT seconds, else 5m)")
	_ = fl.MarkHidden("skip-checks")
	return cmd
}

// Run starts the cluster.
func Run(opts *Options) error {
	c, err := opts.LocalCluster()
	if err != nil {
		return err
	}
	defer opts.IO.StopSpinner()
	_, err = c.Start(opts.Ctx, opts.Start)
	if errors.Is(err, local.ErrAlreadyRunning) {
		opts.IO.StopSpinner()
		opts.IO.Printf("Local Fluvio cluster is already running\n")
		return nil
	}
	return err
}
