package cmdutil

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/client"
)

// DefaultClientID is the client id fluvio commands send unless
// $FLUVIO_CLIENT_ID or the config's client_id says otherwise (spec §5.7).
const DefaultClientID = "FLUVIO_CLI"

// connect dials the cluster f.Target selects: -c host:port, -P profile, or
// the current profile of the config at ConfigPath.
func (f *Factory) connect(ctx context.Context) (*client.Client, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	r, err := f.Target.Resolve(cfg)
	if err != nil {
		return nil, err
	}
	opts := client.Options{ClientID: DefaultClientID}
	if cfg.ClientID != "" {
		opts.ClientID = cfg.ClientID
	}
	if id := os.Getenv("FLUVIO_CLIENT_ID"); id != "" {
		opts.ClientID = id
	}
	if r.Cluster != nil {
		opts.UseSPULocalAddress = r.Cluster.UseSPULocalAddress
	}
	c, err := client.Connect(ctx, r.Endpoint, opts)
	if err != nil {
		where := r.Endpoint
		if r.Profile != "" {
			where = fmt.Sprintf("%s (profile %s)", r.Endpoint, r.Profile)
		}
		return nil, fmt.Errorf("connect to cluster at %s: %w", where, err)
	}
	return c, nil
}

// ShadowClusterFlag gives cmd its own long-only --cluster flag bound to
// t, so cmd can use -c for something else (consume -c/--consumer,
// benchmark -c/--compression, as in Fluvio) without clashing with the
// root's persistent -c/--cluster. Call it before binding the -c flag.
func ShadowClusterFlag(cmd *cobra.Command, t *Target) {
	cmd.Flags().StringVar(&t.Cluster, "cluster", "", "Address of the cluster's SC (host:port)")
}
