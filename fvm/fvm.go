// Package fvm is the Fluvio Version Manager: it installs channel-pinned
// builds of fluvio, fluvio-run and ssdk from a Hub and switches between them.
package fvm

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// NewRootCmd builds the fvm command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "fvm",
		Short:         "Fluvio Version Manager: install and switch Fluvio versions",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(buildinfo.NewVersionCmd("fvm"))
	return root
}

// Main runs fvm with os.Args and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := NewRootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}
