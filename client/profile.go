package client

import (
	"context"
	"fmt"

	"github.com/gofluvio/fluvio/client/config"
)

// ConnectProfile connects to the cluster of a profile of ~/.fluvio/config
// (the current profile when name is empty).
func ConnectProfile(ctx context.Context, name string, opts ...Options) (*Client, error) {
	path, err := config.DefaultPath()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	var cl *config.Cluster
	if name == "" {
		_, _, cl, err = cfg.Current()
	} else {
		_, cl, err = cfg.Resolve(name)
	}
	if err != nil {
		return nil, fmt.Errorf("profile in %s: %w", path, err)
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.UseSPULocalAddress = o.UseSPULocalAddress || cl.UseSPULocalAddress
	return Connect(ctx, cl.Endpoint, o)
}
