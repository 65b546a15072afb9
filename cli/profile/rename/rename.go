// Package rename is `fluvio profile rename`.
package rename

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/profile/switchprofile"
	"github.com/gofluvio/fluvio/client/config"
)

// Options are the dependencies and arguments of the verb.
type Options struct {
	IO       *iostreams.IOStreams
	Config   func() (*config.Config, error)
	Save     func(*config.Config) error
	From, To string
}

// NewCmdRename builds the command; runF replaces the work in tests.
func NewCmdRename(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, Save: f.SaveConfig}
	return &cobra.Command{
		Use:     "rename <from> <to>",
		Short:   "Rename a profile (current follows it)",
		Example: `  $ fluvio profile rename local dev`,
		Args:    cobra.ExactArgs(2),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return switchprofile.ProfileNames(f), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			opts.From, opts.To = args[0], args[1]
			if opts.To == "" {
				return cmdutil.FlagErrorf("the new profile name must not be empty")
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run renames and saves.
func Run(opts *Options) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if err := cfg.RenameProfile(opts.From, opts.To); err != nil {
		if errors.Is(err, config.ErrProfileExists) {
			return fmt.Errorf("profile %q already exists; pick another name or delete it first", opts.To)
		}
		return switchprofile.NotFound(cfg, opts.From, err)
	}
	if err := opts.Save(cfg); err != nil {
		return err
	}
	opts.IO.Printf("profile %s renamed to %s\n", opts.From, opts.To)
	return nil
}
