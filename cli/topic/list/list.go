// Package list is `fluvio topic list`: a table of the cluster's topics.
package list

import (
	"context"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// DefaultRetention is the retention of a topic without a cleanup policy
// (Fluvio's STORAGE_RETENTION_SECONDS).
const DefaultRetention = 7 * 24 * time.Hour

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	Format output.Format
	System bool
}

// NewCmdList builds the command; runF replaces the work in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List topics",
		Example: `  $ fluvio topic list
  NAME       TYPE      PARTITIONS  REPLICAS  RETENTION TIME  COMPRESSION  STATUS       REASON
  greetings  computed  1           1         7days           any          provisioned

  $ fluvio topic list -O json`,
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
	cmd.Flags().BoolVarP(&opts.System, "system", "s", false, "List system topics (consumer offsets) instead")
	return cmd
}

// Row is a topic as tables and -O json|yaml show it.
type Row struct {
	Name                 string             `json:"name"`
	Type                 string             `json:"type"`
	Partitions           uint32             `json:"partitions"`
	ReplicationFactor    *uint32            `json:"replication_factor,omitempty"`
	IgnoreRackAssignment bool               `json:"ignore_rack_assignment"`
	RetentionSeconds     uint32             `json:"retention_seconds"`
	SegmentSize          *uint32            `json:"segment_size,omitempty"`
	MaxPartitionSize     *uint64            `json:"max_partition_size,omitempty"`
	Compression          string             `json:"compression"`
	Deduplication        string             `json:"deduplication"`
	System               bool               `json:"system"`
	Status               string             `json:"status"`
	Reason               string             `json:"reason"`
	ReplicaMap           map[string][]int32 `json:"replica_map,omitempty"`
}

// Resolutions names a topic's status as Fluvio prints it.
var Resolutions = map[protocol.TopicResolution]string{
	protocol.TopicInit: "initializing", protocol.TopicPending: "pending", protocol.TopicInsufficientResources: "insufficient-resources",
	protocol.TopicInvalidConfig: "invalid-config", protocol.TopicProvisioned: "provisioned", protocol.TopicDeleting: "deleting",
}

// RowOf describes a listed topic.
func RowOf(t client.Topic) Row {
	r := Row{Name: t.Name, Type: "computed", Compression: "any", Deduplication: "none", RetentionSeconds: uint32(DefaultRetention.Seconds())}
	if s := t.Spec; s != nil {
		r.Partitions = s.Partitions()
		switch s.Replicas.Kind {
		case protocol.ReplicaComputed:
			rf := s.Replicas.Computed.ReplicationFactor
			r.ReplicationFactor = &rf
			r.IgnoreRackAssignment = s.Replicas.Computed.IgnoreRackAssignment
		case protocol.ReplicaAssigned:
			r.Type = "assigned"
		case protocol.ReplicaMirror:
			r.Type = "mirror"
		}
		if s.CleanupPolicy != nil {
			r.RetentionSeconds = s.CleanupPolicy.Segment.TimeInSeconds
		}
		if s.Storage != nil {
			r.SegmentSize, r.MaxPartitionSize = s.Storage.SegmentSize, s.Storage.MaxPartitionSize
		}
		r.Compression = s.CompressionType.String()
		if s.Deduplication != nil {
			r.Deduplication = s.Deduplication.Filter.Transform.Uses
		}
		r.System = s.System
	}
	if st := t.Status; st != nil {
		r.Status = Resolutions[st.Resolution]
		if r.Status == "" {
			r.Status = "unknown(" + strconv.Itoa(int(st.Resolution)) + ")"
		}
		r.Reason = st.Reason
		if len(st.ReplicaMap) > 0 {
			r.ReplicaMap = map[string][]int32{}
			for p, spus := range st.ReplicaMap {
				r.ReplicaMap[strconv.FormatUint(uint64(p), 10)] = spus
			}
		}
	}
	return r
}

// Run lists the topics.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	objs, err := c.Admin().List(opts.Ctx, protocol.LabelTopic, opts.System)
	if err != nil {
		return err
	}
	rows := []Row{}
	for _, o := range objs {
		spec, _ := o.Spec.(*protocol.TopicSpec)
		st, _ := o.Status.(*protocol.TopicStatus)
		if spec != nil && spec.System != opts.System {
			continue
		}
		rows = append(rows, RowOf(client.Topic{Name: o.Name, Spec: spec, Status: st}))
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	if opts.Format != output.FormatTable {
		return output.Export(opts.IO.Out, opts.Format, rows)
	}
	if len(rows) == 0 {
		opts.IO.Printf("No topics found\n")
		return nil
	}
	t := output.NewTable(opts.IO, "NAME", "TYPE", "PARTITIONS", "REPLICAS", "RETENTION TIME", "COMPRESSION", "DEDUPLICATION", "STATUS", "REASON")
	for _, r := range rows {
		rf := ""
		if r.ReplicationFactor != nil {
			rf = strconv.FormatUint(uint64(*r.ReplicationFactor), 10)
		}
		t.AddRow(r.Name, r.Type, strconv.FormatUint(uint64(r.Partitions), 10), rf,
			units.FormatDuration(time.Duration(r.RetentionSeconds)*time.Second), r.Compression, r.Deduplication, r.Status, r.Reason)
	}
	return t.Render()
}
