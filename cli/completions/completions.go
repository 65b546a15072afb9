// Package completions is `fluvio completions bash|zsh|fish|powershell`:
// print a shell completion script.
package completions

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
)

// NewCmdCompletions builds the command group, one subcommand per shell as
// Fluvio names them.
func NewCmdCompletions(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completions",
		Short: "Print shell completion scripts",
		Long: `Print a completion script for your shell. Load it for the current session, or
install it where your shell looks for completions.`,
		Example: `  $ source <(fluvio completions bash)
  $ fluvio completions zsh > "${fpath[1]}/_fluvio"
  $ fluvio completions fish > ~/.config/fish/completions/fluvio.fish
  PS> fluvio completions powershell | Out-String | Invoke-Expression`,
		Args: cobra.NoArgs,
	}
	shells := []struct {
		name string
		gen  func(root *cobra.Command, c *cobra.Command) error
	}{
		{"bash", func(root, c *cobra.Command) error { return root.GenBashCompletionV2(f.IOStreams.Out, true) }},
		{"zsh", func(root, c *cobra.Command) error { return root.GenZshCompletion(f.IOStreams.Out) }},
		{"fish", func(root, c *cobra.Command) error { return root.GenFishCompletion(f.IOStreams.Out, true) }},
		{"powershell", func(root, c *cobra.Command) error { return root.GenPowerShellCompletionWithDesc(f.IOStreams.Out) }},
	}
	for _, sh := range shells {
		cmd.AddCommand(&cobra.Command{
			Use:   sh.name,
			Short: "Print the " + sh.name + " completion script",
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				return sh.gen(c.Root(), c)
			},
		})
	}
	return cmd
}
