// Package current is `fluvio profile current`: print the current profile.
package current

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client/config"
)

// Options are the dependencies of the verb.
type Options struct {
	IO         *iostreams.IOStreams
	ConfigPath func() (string, error)
}

// NewCmdCurrent builds the command; runF replaces the work in tests.
func NewCmdCurrent(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, ConfigPath: f.ConfigPath}
	return &cobra.Command{
		Use:   "current",
		Short: "Print the name of the current profile",
		Example: `  $ fluvio profile current
  local`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
}

// Run prints the current profile to stdout, or explains on stderr why
// there is none (exit 0, as Fluvio does).
func Run(opts *Options) error {
	path, err := opts.ConfigPath()
	if err != nil {
		return err
	}
	cfg, err := config.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(opts.IO.ErrOut, "no profile can be found")
		return nil
	}
	if err != nil {
		return err
	}
	if cfg.CurrentProfile == "" {
		fmt.Fprintln(opts.IO.ErrOut, "no current profile set")
		return nil
	}
	_, err = fmt.Fprintln(opts.IO.Out, cfg.CurrentProfile)
	return err
}
