package buildinfo

import (
	"fmt"

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
