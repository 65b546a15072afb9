// Package delete is `fluvio profile delete`: remove a profile, keeping its
// cluster entry.
package delete

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/profile/switchprofile"
	"github.com/gofluvio/fluvio/client/config"
)

// Options are the dependencies and arguments of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	Save   func(*config.Config) error
	Name   string
}

// NewCmdDelete builds the command; runF replaces the work in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, Save: f.SaveConfig}
	return &cobra.Command{
		Use:     "delete <profile>",
		Short:   "Delete a profile (its cluster entry stays)",
		Example: `  $ fluvio profile delete old-dev`,
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return switchprofile.ProfileNames(f), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run deletes and saves.
func Run(opts *Options) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	wasCurrent := cfg.CurrentProfile == opts.Name
	if err := cfg.DeleteProfile(opts.Name); err != nil {
		return switchprofile.NotFound(cfg, opts.Name, err)
	}
	if err := opts.Save(cfg); err != nil {
		return err
	}
	opts.IO.Printf("profile %s deleted\n", opts.Name)
	if wasCurrent {
		opts.IO.Printf("warning: this removed your current profile, use 'fluvio profile switch' to select a different one\n")
	}
	return nil
}
