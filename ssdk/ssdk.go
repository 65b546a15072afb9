// Package ssdk is the Stateful Services Development Kit: services file model,
// validation, generator, runtime and shell. This file is the ssdk command.
package ssdk

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// NewRootCmd builds the ssdk command tree.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "ssdk",
		Short:         "Stateful Services Development Kit: build and run stateful dataflows on Fluvio",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(buildinfo.NewVersionCmd("ssdk"))
	return root
}

// Main runs ssdk with os.Args and returns the exit code.
func Main() int { return buildinfo.Run(NewRootCmd()) }
