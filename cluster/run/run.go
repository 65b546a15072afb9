// Package run is the fluvio-run command: it starts the servers (sc, spu, hub).
package run

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// NewRootCmd builds the fluvio-run command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "fluvio-run",
		Short:         "Run Fluvio servers: the controller (sc), streaming units (spu) and the Hub",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(buildinfo.NewVersionCmd("fluvio-run"))
	root.AddCommand(NewHubCmd())
	root.AddCommand(NewSCCmd())
	root.AddCommand(NewSPUCmd())
	return root
}

// Main runs fluvio-run with os.Args and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := NewRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}
