// Package list is `fluvio cluster spu list`: the SPUs the SC knows, with
// their status and endpoints.
package list

import (
	"context"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	Format output.Format
	Custom bool
}

// NewCmdList builds the command; runF replaces the work in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List SPUs",
		Example: `  $ fluvio cluster spu list
  ID    NAME             STATUS  TYPE    RACK  PUBLIC          PRIVATE
  5001  custom-spu-5001  Online  custom  -     localhost:9010  localhost:9011`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	output.AddFormatFlag(cmd, &opts.Format)
	cmd.Flags().BoolVar(&opts.Custom, "custom", false, "List only custom SPUs")
	return cmd
}

// Row is an SPU as tables and -O json|yaml show it.
type Row struct {
	ID      int32  `json:"id"`
	Name    string `json:"name"`
	Status  string `json:"status"`
	Type    string `json:"type"`
	Rack    string `json:"rack,omitempty"`
	Public  string `json:"public"`
	Private string `json:"private"`
}

var statuses = map[protocol.SpuResolution]string{protocol.SpuStatusOnline: "Online", protocol.SpuStatusOffline: "Offline", protocol.SpuStatusInit: "Init"}

// PublicAddr is the first ingress address of an SPU's public endpoint.
func PublicAddr(p protocol.IngressPort) string {
	host := ""
	if len(p.Ingress) > 0 {
		if h := p.Ingress[0].Hostname; h != nil {
			host = *h
		} else if ip := p.Ingress[0].IP; ip != nil {
			host = *ip
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(int(p.Port)))
}

// Run lists the SPUs.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	spus, err := c.Admin().ListSPUs(opts.Ctx)
	if err != nil {
		return err
	}
	rows := []Row{}
	for _, s := range spus {
		if s.Spec == nil {
			continue
		}
		typ := "managed"
		if s.Spec.Type == protocol.SpuTypeCustom {
			typ = "custom"
		}
		if opts.Custom && typ != "custom" {
			continue
		}
		r := Row{ID: s.Spec.ID, Name: s.Name, Type: typ, Public: PublicAddr(s.Spec.PublicEndpoint),
			Private: net.JoinHostPort(s.Spec.PrivateEndpoint.Host, strconv.Itoa(int(s.Spec.PrivateEndpoint.Port)))}
		if s.Spec.Rack != nil {
			r.Rack = *s.Spec.Rack
		}
		if s.Status != nil {
			r.Status = statuses[s.Status.Resolution]
		}
		rows = append(rows, r)
	}
	if opts.Format != output.FormatTable {
		return output.Export(opts.IO.Out, opts.Format, rows)
	}
	if len(rows) == 0 {
		opts.IO.Printf("No SPUs found\n")
		return nil
	}
	t := output.NewTable(opts.IO, "ID", "NAME", "STATUS", "TYPE", "RACK", "PUBLIC", "PRIVATE")
	for _, r := range rows {
		rack := r.Rack
		if rack == "" {
			rack = "-"
		}
		t.AddRow(strconv.Itoa(int(r.ID)), r.Name, r.Status, r.Type, rack, r.Public, r.Private)
	}
	return t.Render()
}
