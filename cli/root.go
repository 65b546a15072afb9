// Package cli is the fluvio command tree: it assembles the verb packages under
// cli/ into one cobra root and maps errors to exit codes (through
// cli/cmdutil, the one place exit codes are chosen).
package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/benchmark"
	"github.com/gofluvio/fluvio/cli/cluster"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/completions"
	"github.com/gofluvio/fluvio/cli/consume"
	"github.com/gofluvio/fluvio/cli/consumer"
	"github.com/gofluvio/fluvio/cli/partition"
	"github.com/gofluvio/fluvio/cli/produce"
	"github.com/gofluvio/fluvio/cli/profile"
	"github.com/gofluvio/fluvio/cli/smartmodule"
	"github.com/gofluvio/fluvio/cli/topic"
	"github.com/gofluvio/fluvio/cli/version"
)

// Exit codes of the fluvio binary (defined in cli/cmdutil).
const (
	ExitOK    = cmdutil.ExitOK
	ExitError = cmdutil.ExitError
	ExitUsage = cmdutil.ExitUsage
	// ExitInterrupted is returned after Ctrl-C.
	ExitInterrupted = cmdutil.ExitInterrupted
)

// NewRootCmd builds the fluvio command tree over the dependencies in f.
// Add a verb group with one AddCommand line below.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "fluvio",
		Short: "Fluvio: the programmable streaming platform",
		Long:  "fluvio manages Fluvio clusters, topics and SmartModules, and produces and consumes records.",
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	cmdutil.AddTargetFlags(root, &f.Target)
	root.AddCommand(version.NewCmdVersion(f, nil))
	root.AddCommand(topic.NewCmdTopic(f), partition.NewCmdPartition(f), smartmodule.NewCmdSmartModule(f))
	root.AddCommand(produce.NewCmdProduce(f, nil), consume.NewCmdConsume(f, nil), consumer.NewCmdConsumer(f))
	root.AddCommand(benchmark.NewCmdBenchmark(f))
	root.AddCommand(profile.NewCmdProfile(f))
	root.AddCommand(completions.NewCmdCompletions(f))
	root.AddCommand(cluster.NewCmdCluster(f))
	cmdutil.SetupRoot(root) // last: wraps every command's argument checks
	return root
}

// Main runs the fluvio CLI with os.Args and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := cmdutil.New()
	err := NewRootCmd(f).ExecuteContext(ctx)
	return ExitCode(err, ctx)
}

// ExitCode maps an error from a command to the process exit code and prints
// it to stderr.
func ExitCode(err error, ctx context.Context) int {
	return cmdutil.ExitCode(err, ctx.Err() != nil, os.Stderr)
}
