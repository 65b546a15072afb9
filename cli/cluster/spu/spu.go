// Package spu assembles `fluvio cluster spu`: list the streaming units and
// register or unregister custom ones.
package spu

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cluster/spu/list"
	"github.com/gofluvio/fluvio/cli/cluster/spu/register"
	"github.com/gofluvio/fluvio/cli/cluster/spu/unregister"
	"github.com/gofluvio/fluvio/cli/cmdutil"
)

// NewCmdSPU builds the spu group.
func NewCmdSPU(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "spu",
		Short: "List, register and unregister SPUs (streaming processing units)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(list.NewCmdList(f, nil), register.NewCmdRegister(f, nil), unregister.NewCmdUnregister(f, nil))
	return cmd
}
