// Package partition assembles `fluvio partition`: inspect the partitions
// of the cluster's topics.
package partition

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/partition/list"
)

// NewCmdPartition builds the partition group.
func NewCmdPartition(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "partition",
		Short: "Inspect partitions: leaders, replicas, offsets and sizes",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(list.NewCmdList(f, nil))
	return cmd
}
