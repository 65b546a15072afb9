// Package profile assembles `fluvio profile`: the verbs that read and edit
// the profiles of ~/.fluvio/config. Bare `fluvio profile` prints the
// current profile, as Fluvio does.
package profile

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/profile/current"
	"github.com/gofluvio/fluvio/cli/profile/delete"
	"github.com/gofluvio/fluvio/cli/profile/deletecluster"
	"github.com/gofluvio/fluvio/cli/profile/export"
	"github.com/gofluvio/fluvio/cli/profile/list"
	"github.com/gofluvio/fluvio/cli/profile/rename"
	"github.com/gofluvio/fluvio/cli/profile/switchprofile"
)

// NewCmdProfile builds the profile group.
func NewCmdProfile(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Manage profiles: which cluster fluvio commands talk to",
		Long: `Profiles live in ~/.fluvio/config (or $FLV_PROFILE_PATH), in the same format the
Rust Fluvio CLI uses, so both read and write the same profiles.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return current.Run(&current.Options{IO: f.IOStreams, ConfigPath: f.ConfigPath})
		},
	}
	cmd.AddCommand(
		current.NewCmdCurrent(f, nil),
		list.NewCmdList(f, nil),
		switchprofile.NewCmdSwitch(f, nil),
		rename.NewCmdRename(f, nil),
		delete.NewCmdDelete(f, nil),
		deletecluster.NewCmdDeleteCluster(f, nil),
		export.NewCmdExport(f, nil),
	)
	return cmd
}
