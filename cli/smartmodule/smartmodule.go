// Package smartmodule assembles `fluvio smartmodule`: store, list and
// delete the SmartModules a cluster keeps by name (for `consume
// --smartmodule NAME` and `produce --smartmodule NAME`).
package smartmodule

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/smartmodule/create"
	"github.com/gofluvio/fluvio/cli/smartmodule/delete"
	"github.com/gofluvio/fluvio/cli/smartmodule/list"
)

// NewCmdSmartModule builds the smartmodule group.
func NewCmdSmartModule(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "smartmodule",
		Aliases: []string{"sm"},
		Short:   "Create, list and delete SmartModules stored in the cluster",
		Args:    cobra.NoArgs,
	}
	cmd.AddCommand(create.NewCmdCreate(f, nil), list.NewCmdList(f, nil), delete.NewCmdDelete(f, nil))
	return cmd
}
