// Package register is `fluvio cluster spu register`: add a custom SPU to
// the cluster, which the SPU process with that id then serves.
package register

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO                *iostreams.IOStreams
	Client            func(context.Context) (*client.Client, error)
	Ctx               context.Context
	ID                int32
	Name              string
	Rack              string
	PublicServer      string
	PublicServerLocal string
	PrivateServer     string

	// Spec is the custom SPU the flags describe.
	Spec *protocol.CustomSpuSpec
}

// NewCmdRegister builds the command; runF replaces the work in tests.
func NewCmdRegister(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "register --id <id> --public-server <host:port> --private-server <host:port>",
		Short: "Register a custom SPU",
		Example: `  $ fluvio cluster spu register --id 5002 -p localhost:9020 -v localhost:9021
  custom SPU "custom-spu-5002" (id 5002) registered`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if !cmd.Flags().Changed("id") {
				return cmdutil.FlagErrorf("--id is required: the SPU's numeric id, e.g. 5001")
			}
			spec, err := BuildSpec(opts)
			if err != nil {
				return err
			}
			opts.Spec = spec
			if opts.Name == "" {
				opts.Name = fmt.Sprintf("custom-spu-%d", opts.ID)
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.Int32VarP(&opts.ID, "id", "i", 0, "SPU id")
	fl.StringVarP(&opts.Name, "name", "n", "", "SPU name (default custom-spu-<id>)")
	fl.StringVarP(&opts.Rack, "rack", "r", "", "Rack name")
	fl.StringVarP(&opts.PublicServer, "public-server", "p", "", "Public address clients connect to (host:port)")
	fl.StringVarP(&opts.PublicServerLocal, "public-server-local", "l", "", "Public address for clients on the same host (host:port)")
	fl.StringVarP(&opts.PrivateServer, "private-server", "v", "", "Private address for replication (host:port)")
	return cmd
}

func parseAddr(flag, v string) (string, uint16, error) {
	if v == "" {
		return "", 0, cmdutil.FlagErrorf("--%s is required (host:port, e.g. localhost:9010)", flag)
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", 0, cmdutil.FlagErrorf("--%s %q is not host:port: %v", flag, v, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", 0, cmdutil.FlagErrorf("--%s %q: port must be 1-65535", flag, v)
	}
	return host, uint16(p), nil
}

// BuildSpec validates the addresses and builds the custom SPU spec.
func BuildSpec(o *Options) (*protocol.CustomSpuSpec, error) {
	if o.ID < 0 {
		return nil, cmdutil.FlagErrorf("--id must not be negative, got %d", o.ID)
	}
	ph, pp, err := parseAddr("public-server", o.PublicServer)
	if err != nil {
		return nil, err
	}
	vh, vp, err := parseAddr("private-server", o.PrivateServer)
	if err != nil {
		return nil, err
	}
	spec := &protocol.CustomSpuSpec{ID: o.ID,
		PublicEndpoint:  protocol.IngressPort{Port: pp, Ingress: []protocol.IngressAddr{{Hostname: &ph}}},
		PrivateEndpoint: protocol.Endpoint{Port: vp, Host: vh}}
	if o.Rack != "" {
		spec.Rack = &o.Rack
	}
	if o.PublicServerLocal != "" {
		lh, lp, err := parseAddr("public-server-local", o.PublicServerLocal)
		if err != nil {
			return nil, err
		}
		spec.PublicEndpointLocal = &protocol.Endpoint{Port: lp, Host: lh}
	}
	return spec, nil
}

// Run registers the SPU.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Admin().Create(opts.Ctx, protocol.LabelCustomSpu, opts.Name, false, opts.Spec); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "custom SPU %q (id %d) registered\n", opts.Name, opts.ID)
	return nil
}
