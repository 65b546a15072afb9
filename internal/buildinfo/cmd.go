package buildinfo

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// NewVersionCmd is the `version` subcommand every binary has.
func NewVersionCmd(binary string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit, Go version and target of " + binary,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), String(binary))
			return err
		},
	}
}

// Run executes a binary's root command with a context that ends on SIGINT
// or SIGTERM, prints an error to stderr and returns the exit code: 0, 1 on
// error, 130 when interrupted. It is the shared body of the simpler
// binaries' Main functions.
func Run(root *cobra.Command) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "error:", err)
	if ctx.Err() != nil {
		return 130
	}
	return 1
}
