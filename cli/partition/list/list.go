// Package list is `fluvio partition list`: every partition with its
// leader, replicas, offsets and size.
package list

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	Format output.Format
	System bool
	Topic  string
}

// NewCmdList builds the command; runF replaces the work in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List partitions",
		Example: `  $ fluvio partition list
  TOPIC      PARTITION  LEADER  REPLICAS  RESOLUTION  SIZE   BASE  HW  LEO  LSR  FOLLOWER OFFSETS
  greetings  0          5001    []        Online      105 B  0     3   3    0    []

  $ fluvio partition list -O json`,
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
	cmd.Flags().BoolVarP(&opts.System, "system", "s", false, "List the partitions of system topics instead")
	cmd.Flags().StringVarP(&opts.Topic, "topic", "t", "", "Only the partitions of this topic")
	return cmd
}

// Row is a partition as tables and -O json|yaml show it.
type Row struct {
	Topic      string  `json:"topic"`
	Partition  uint32  `json:"partition"`
	Leader     int32   `json:"leader"`
	Followers  []int32 `json:"followers"`
	Resolution string  `json:"resolution"`
	// Size is the partition's bytes on disk; -1 error, -2 not supported.
	Size       int64      `json:"size"`
	BaseOffset int64      `json:"base_offset"`
	HW         int64      `json:"hw"`
	LEO        int64      `json:"leo"`
	LSR        uint32     `json:"lsr"`
	Replicas   []Follower `json:"follower_offsets"`
}

// Follower is a follower replica's offsets.
type Follower struct {
	SPU int32 `json:"spu"`
	HW  int64 `json:"hw"`
	LEO int64 `json:"leo"`
}

var resolutions = map[protocol.PartitionResolution]string{
	protocol.PartitionOffline: "Offline", protocol.PartitionOnline: "Online", protocol.PartitionLeaderOffline: "LeaderOffline",
	protocol.PartitionElectionLeaderFound: "ElectionLeaderFound", protocol.PartitionOutOfStorage: "OutOfStorage",
}

// splitName splits "topic-3" into its topic and partition.
func splitName(name string) (string, uint32, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return name, 0, false
	}
	n, err := strconv.ParseUint(name[i+1:], 10, 32)
	if err != nil {
		return name, 0, false
	}
	return name[:i], uint32(n), true
}

// Run lists the partitions.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	objs, err := c.Admin().List(opts.Ctx, protocol.LabelPartition, opts.System)
	if err != nil {
		return err
	}
	rows := []Row{}
	for _, o := range objs {
		spec, _ := o.Spec.(*protocol.PartitionSpec)
		st, _ := o.Status.(*protocol.PartitionStatus)
		if spec == nil || st == nil || spec.System != opts.System {
			continue
		}
		topic, part, ok := splitName(o.Name)
		if !ok || (opts.Topic != "" && topic != opts.Topic) {
			continue
		}
		r := Row{Topic: topic, Partition: part, Leader: spec.Leader, Followers: []int32{}, Resolution: resolutions[st.Resolution],
			Size: st.Size, BaseOffset: st.BaseOffset, HW: st.Leader.HW, LEO: st.Leader.LEO, LSR: st.LSR, Replicas: []Follower{}}
		for _, id := range spec.Replicas {
			if id != spec.Leader {
				r.Followers = append(r.Followers, id)
			}
		}
		for _, f := range st.Replicas {
			r.Replicas = append(r.Replicas, Follower{SPU: f.SPU, HW: f.HW, LEO: f.LEO})
		}
		rows = append(rows, r)
	}
	if opts.Format != output.FormatTable {
		return output.Export(opts.IO.Out, opts.Format, rows)
	}
	if len(rows) == 0 {
		opts.IO.Printf("No partitions found\n")
		return nil
	}
	t := output.NewTable(opts.IO, "TOPIC", "PARTITION", "LEADER", "REPLICAS", "RESOLUTION", "SIZE", "BASE", "HW", "LEO", "LSR", "FOLLOWER OFFSETS")
	for _, r := range rows {
		size := units.FormatSize(uint64(max(r.Size, 0)))
		switch r.Size {
		case protocol.PartitionSizeNotSupported:
			size = "NA"
		case protocol.PartitionSizeError:
			size = "ERROR"
		}
		var fo []string
		for _, f := range r.Replicas {
			fo = append(fo, fmt.Sprintf("%d(hw:%d,leo:%d)", f.SPU, f.HW, f.LEO))
		}
		t.AddRow(r.Topic, strconv.FormatUint(uint64(r.Partition), 10), strconv.Itoa(int(r.Leader)), fmt.Sprint(r.Followers), r.Resolution,
			size, strconv.FormatInt(r.BaseOffset, 10), strconv.FormatInt(r.HW, 10), strconv.FormatInt(r.LEO, 10),
			strconv.FormatUint(uint64(r.LSR), 10), "["+strings.Join(fo, " ")+"]")
	}
	return t.Render()
}
