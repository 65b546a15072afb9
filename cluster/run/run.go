// Package run is the fluvio-run command: it starts the servers (sc, spu, hub).
package run

import (
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
func Main() int { return buildinfo.Run(NewRootCmd()) }
