// Package topic assembles `fluvio topic`: create, list, describe and
// delete topics.
package topic

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/topic/create"
	"github.com/gofluvio/fluvio/cli/topic/delete"
	"github.com/gofluvio/fluvio/cli/topic/describe"
	"github.com/gofluvio/fluvio/cli/topic/list"
)

// NewCmdTopic builds the topic group.
func NewCmdTopic(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe and delete topics",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(
		create.NewCmdCreate(f, nil),
		list.NewCmdList(f, nil),
		describe.NewCmdDescribe(f, nil),
		delete.NewCmdDelete(f, nil),
	)
	return cmd
}
