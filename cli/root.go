// Package cli is the fluvio command tree: it assembles the verb packages under
// cli/ into one cobra root and maps errors to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// Exit codes of the fluvio binary.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	// ExitInterrupted is returned after Ctrl-C.
	ExitInterrupted = 130
)

// NewRootCmd builds the fluvio command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "fluvio",
		Short:         "Fluvio: the programmable streaming platform",
		Long:          "fluvio manages Fluvio clusters, topics and SmartModules, and produces and consumes records.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(buildinfo.NewVersionCmd("fluvio"))
	return root
}

// Main runs the fluvio CLI with os.Args and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := NewRootCmd()
	err := root.ExecuteContext(ctx)
	return ExitCode(err, ctx)
}

// ExitCode maps an error from a command to the process exit code and prints
// it to stderr.
func ExitCode(err error, ctx context.Context) int {
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	return ExitError
}
