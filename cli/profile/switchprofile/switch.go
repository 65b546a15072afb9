// Package switchprofile is `fluvio profile switch`: make a profile current.
//
// Why exit 1 for a missing profile when Fluvio exits 0? A script that runs
// `fluvio profile switch prod && fluvio topic delete x` must not go on
// against the previous cluster.
package switchprofile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client/config"
)

// Options are the dependencies and arguments of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	Save   func(*config.Config) error
	Name   string
}

// NewCmdSwitch builds the command; runF replaces the work in tests.
func NewCmdSwitch(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, Save: f.SaveConfig}
	return &cobra.Command{
		Use:     "switch <profile>",
		Short:   "Make a profile the current one",
		Example: `  $ fluvio profile switch local`,
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return ProfileNames(f), cobra.ShellCompDirectiveNoFileComp
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

// Run switches and saves.
func Run(opts *Options) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if err := cfg.SwitchProfile(opts.Name); err != nil {
		return NotFound(cfg, opts.Name, err)
	}
	return opts.Save(cfg)
}

// NotFound words a missing-profile error with the names that would be valid.
func NotFound(cfg *config.Config, name string, err error) error {
	if !errors.Is(err, config.ErrProfileNotFound) {
		return err
	}
	names := cfg.ProfileNames()
	if len(names) == 0 {
		return fmt.Errorf("profile %q not found: there are no profiles; try 'fluvio cluster start'", name)
	}
	return fmt.Errorf("profile %q not found (profiles: %s)", name, strings.Join(names, ", "))
}

// ProfileNames lists profile names for shell completion.
func ProfileNames(f *cmdutil.Factory) []string {
	cfg, err := f.Config()
	if err != nil {
		return nil
	}
	return cfg.ProfileNames()
}
