package completions

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
)

func TestScripts(t *testing.T) {
	tests := []struct{ shell, want string }{
		{"bash", "__start_fluvio"},
		{"zsh", "#compdef fluvio"},
		{"fish", "complete -c fluvio"},
		{"powershell", "Register-ArgumentCompleter"},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			f := cmdutil.TestFactory(t.TempDir())
			ios, _, out, _ := iostreams.Test()
			f.IOStreams = ios
			root := &cobra.Command{Use: "fluvio"}
			root.AddCommand(NewCmdCompletions(f))
			root.SetArgs([]string{"completions", tt.shell})
			require.NoError(t, root.Execute())
			require.Contains(t, out.String(), tt.want)
		})
	}
}
