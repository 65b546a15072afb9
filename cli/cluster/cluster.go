// Package cluster assembles `fluvio cluster`: provisioning and inspecting
// clusters. Local clusters are managed by cluster/local; other verbs (spu,
// diagnostics, Kubernetes) are added here by their packages.
package cluster

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cluster/delete"
	"github.com/gofluvio/fluvio/cli/cluster/diagnostics"
	"github.com/gofluvio/fluvio/cli/cluster/resume"
	"github.com/gofluvio/fluvio/cli/cluster/shutdown"
	"github.com/gofluvio/fluvio/cli/cluster/spu"
	"github.com/gofluvio/fluvio/cli/cluster/start"
	"github.com/gofluvio/fluvio/cli/cluster/status"
	"github.com/gofluvio/fluvio/cli/cmdutil"
)

// NewCmdCluster builds the cluster group.
func NewCmdCluster(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Start, inspect, stop and delete Fluvio clusters",
	}
	cmd.AddCommand(
		start.NewCmdStart(f, nil),
		status.NewCmdStatus(f, nil),
		shutdown.NewCmdShutdown(f, nil),
		resume.NewCmdResume(f, nil),
		delete.NewCmdDelete(f, nil),
		spu.NewCmdSPU(f),
		diagnostics.NewCmdDiagnostics(f, nil),
	)
	return cmd
}
