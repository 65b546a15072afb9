package cluster

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/profile"
)

// newTestRoot is the part of the fluvio tree these tests drive (cli cannot
// be imported here: it imports this package).
func newTestRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{Use: "fluvio"}
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.AddCommand(NewCmdCluster(f), profile.NewCmdProfile(f))
	cmdutil.SetupRoot(root)
	return root
}
