package cmdutil

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/client/config"
)

// Target is the cluster a connecting command talks to: -c/--cluster
// host:port, or -P/--profile name, or the current profile.
type Target struct {
	// Cluster is an SC address given with -c.
	Cluster string
	// Profile is a profile name given with -P.
	Profile string
}

// AddTargetFlags binds -c/--cluster and -P/--profile as persistent flags.
func AddTargetFlags(cmd *cobra.Command, t *Target) {
	cmd.PersistentFlags().StringVarP(&t.Cluster, "cluster", "c", "", "Address of the cluster's SC (host:port)")
	cmd.PersistentFlags().StringVarP(&t.Profile, "profile", "P", "", "Profile from ~/.fluvio/config to use")
}

// Resolved is where to connect.
type Resolved struct {
	// Profile is the profile used, "" for -c.
	Profile string
	// Endpoint is the SC public address.
	Endpoint string
	// Cluster is the profile's cluster entry (nil for -c).
	Cluster *config.Cluster
}

// Resolve picks the endpoint: -c, else -P, else the current profile.
func (t Target) Resolve(cfg *config.Config) (Resolved, error) {
	if t.Cluster != "" && t.Profile != "" {
		return Resolved{}, FlagErrorf("--profile and --cluster cannot be used together")
	}
	if t.Cluster != "" {
		return Resolved{Endpoint: t.Cluster}, nil
	}
	name := t.Profile
	if name == "" {
		name = cfg.CurrentProfile
	}
	if name == "" {
		return Resolved{}, fmt.Errorf("%w; run 'fluvio cluster start' or 'fluvio profile switch <name>'", config.ErrNoActiveProfile)
	}
	_, cl, err := cfg.Resolve(name)
	if err != nil {
		return Resolved{}, err
	}
	return Resolved{Profile: name, Endpoint: cl.Endpoint, Cluster: cl}, nil
}
