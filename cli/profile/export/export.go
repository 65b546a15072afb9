// Package export is `fluvio profile export`: print one profile as a
// standalone config (toml) or its cluster object (json, yaml), e.g. to hand
// a cluster to a colleague or to a container.
package export

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/cli/profile/switchprofile"
	"github.com/gofluvio/fluvio/client/config"
)

// Options are the dependencies, arguments and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	Name   string
	Format output.Format
}

// NewCmdExport builds the command; runF replaces the work in tests.
func NewCmdExport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config}
	cmd := &cobra.Command{
		Use:   "export [profile]",
		Short: "Print a profile as a config file (toml) or its cluster (json, yaml)",
		Example: `  $ fluvio profile export > local.toml
  $ FLV_PROFILE_PATH=local.toml fluvio topic list
  $ fluvio profile export local -O json`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return switchprofile.ProfileNames(f), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Name = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	opts.Format = output.FormatTOML
	output.AddFormatFlag(cmd, &opts.Format, output.FormatTOML, output.FormatJSON, output.FormatYAML)
	return cmd
}

// ClusterJSON is a cluster as Fluvio serializes FluvioClusterConfig.
type ClusterJSON struct {
	Endpoint           string         `json:"endpoint"`
	UseSPULocalAddress bool           `json:"use_spu_local_address"`
	TLS                TLSJSON        `json:"tls"`
	Metadata           map[string]any `json:"metadata,omitempty"`
}

// TLSJSON is the tls object of ClusterJSON.
type TLSJSON struct {
	Policy string     `json:"tls_policy"`
	Source string     `json:"tls_source,omitempty"`
	Certs  *CertsJSON `json:"certs,omitempty"`
}

// CertsJSON holds inline PEM certificates.
type CertsJSON struct {
	Domain string `json:"domain"`
	Key    string `json:"key"`
	Cert   string `json:"cert"`
	CACert string `json:"ca_cert"`
}

// Run prints the profile.
func Run(opts *Options) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	name := opts.Name
	if name == "" {
		if name = cfg.CurrentProfile; name == "" {
			return fmt.Errorf("%w: name the profile to export", config.ErrNoActiveProfile)
		}
	}
	p, cl, err := cfg.Resolve(name)
	if err != nil {
		return switchprofile.NotFound(cfg, name, err)
	}
	if cl.TLS.Policy == config.TLSVerified && cl.TLS.Source != config.TLSSourceInline {
		return fmt.Errorf("profile %q: only inline TLS certs are supported; its cluster %q reads them from files", name, p.Cluster)
	}
	if opts.Format == output.FormatTOML {
		one := config.New()
		one.CurrentProfile = name
		one.Profiles[name] = p
		one.Clusters[p.Cluster] = cl
		b, err := one.Marshal()
		if err != nil {
			return err
		}
		_, err = opts.IO.Out.Write(b)
		return err
	}
	tls := TLSJSON{Policy: string(cl.TLS.Policy)}
	if cl.TLS.Policy == "" {
		tls.Policy = string(config.TLSDisabled)
	}
	if cl.TLS.Policy == config.TLSVerified {
		c := cl.TLS.Certs
		tls.Source = cl.TLS.Source
		tls.Certs = &CertsJSON{Domain: c.Domain, Key: c.Key, Cert: c.Cert, CACert: c.CACert}
	}
	return output.Export(opts.IO.Out, opts.Format, ClusterJSON{
		Endpoint: cl.Endpoint, UseSPULocalAddress: cl.UseSPULocalAddress, TLS: tls, Metadata: cl.Metadata,
	})
}
