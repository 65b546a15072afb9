// Package consumer assembles `fluvio consumer`: list and delete the
// offsets the cluster keeps for named consumers (consume -c NAME).
package consumer

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/consumer/delete"
	"github.com/gofluvio/fluvio/cli/consumer/list"
)

// NewCmdConsumer builds the consumer group.
func NewCmdConsumer(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consumer",
		Short: "List and delete named consumers and their committed offsets",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(list.NewCmdList(f, nil), delete.NewCmdDelete(f, nil))
	return cmd
}
