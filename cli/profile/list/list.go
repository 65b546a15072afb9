// Package list is `fluvio profile list`: a table of profiles.
package list

import (
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/client/config"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	Format output.Format
}

// NewCmdList builds the command; runF replaces the work in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the profiles in ~/.fluvio/config",
		Example: `  $ fluvio profile list
     PROFILE  CLUSTER  ADDRESS         TLS       INSTALLATION
  *  local    local    127.0.0.1:9003  Disabled  local

  $ fluvio profile list -O json`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	output.AddFormatFlag(cmd, &opts.Format)
	return cmd
}

// Row is one profile as -O json|yaml prints it.
type Row struct {
	Current      bool   `json:"current"`
	Profile      string `json:"profile"`
	Cluster      string `json:"cluster"`
	Address      string `json:"address"`
	TLS          string `json:"tls"`
	Installation string `json:"installation"`
}

// Rows lists the profiles of cfg, sorted by name.
func Rows(cfg *config.Config) []Row {
	rows := []Row{}
	for _, name := range cfg.ProfileNames() {
		p := cfg.Profiles[name]
		r := Row{Current: name == cfg.CurrentProfile, Profile: name, Cluster: p.Cluster}
		if cl, ok := cfg.Clusters[p.Cluster]; ok {
			r.Address = cl.Endpoint
			r.TLS = cl.TLS.Policy.Display()
			r.Installation = string(cl.Installation())
		}
		rows = append(rows, r)
	}
	return rows
}

// Run prints the profiles.
func Run(opts *Options) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	rows := Rows(cfg)
	if opts.Format != output.FormatTable {
		return output.Export(opts.IO.Out, opts.Format, rows)
	}
	if len(rows) == 0 {
		opts.IO.Printf("No profiles found. Try using 'fluvio cloud login' or 'fluvio cluster start'\n")
		return nil
	}
	t := output.NewTable(opts.IO, "", "PROFILE", "CLUSTER", "ADDRESS", "TLS", "INSTALLATION")
	for _, r := range rows {
		mark := ""
		if r.Current {
			mark = "*"
		}
		t.AddRow(mark, r.Profile, r.Cluster, r.Address, r.TLS, r.Installation)
	}
	return t.Render()
}
