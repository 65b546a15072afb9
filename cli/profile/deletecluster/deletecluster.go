// Package deletecluster is `fluvio profile delete-cluster`: remove a
// cluster entry from ~/.fluvio/config.
package deletecluster

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client/config"
)

// Options are the dependencies, arguments and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	Save   func(*config.Config) error
	Name   string
	Force  bool
}

// NewCmdDeleteCluster builds the command; runF replaces the work in tests.
func NewCmdDeleteCluster(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, Save: f.SaveConfig}
	cmd := &cobra.Command{
		Use:   "delete-cluster <cluster>",
		Short: "Delete a cluster entry (refused while profiles use it, unless --force)",
		Example: `  $ fluvio profile delete-cluster old-dev
  $ fluvio profile delete-cluster old-dev --force`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			cfg, err := f.Config()
			if err != nil {
				return nil, cobra.ShellCompDirectiveError
			}
			return slices.Sorted(maps.Keys(cfg.Clusters)), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Force, "force", "f", false, "Delete even if profiles use the cluster")
	return cmd
}

// Run deletes and saves.
func Run(opts *Options) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if err := cfg.DeleteCluster(opts.Name, opts.Force); err != nil {
		if errors.Is(err, config.ErrClusterNotFound) {
			names := slices.Sorted(maps.Keys(cfg.Clusters))
			return fmt.Errorf("cluster %q not found (clusters: %s)", opts.Name, strings.Join(names, ", "))
		}
		if errors.Is(err, config.ErrClusterInUse) {
			users := cfg.ProfilesUsing(opts.Name)
			return fmt.Errorf("cluster %q is used by profiles: %s; delete them first, or pass --force", opts.Name, strings.Join(users, ", "))
		}
		return err
	}
	if err := opts.Save(cfg); err != nil {
		return err
	}
	opts.IO.Printf("cluster %s deleted\n", opts.Name)
	return nil
}
