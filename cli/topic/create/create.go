// Package create is `fluvio topic create`: create a topic with computed or
// assigned replicas, retention, storage limits and compression.
package create

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context

	Name                 string
	Partitions           uint32
	Replication          uint32
	IgnoreRackAssignment bool
	ReplicaAssignment    string
	DryRun               bool
	RetentionTime        string
	SegmentSize          string
	MaxPartitionSize     string
	CompressionType      string

	// Spec is the topic spec built from the flags (set by NewCmdCreate
	// before runF or Run is called).
	Spec *protocol.TopicSpec
}

// NewCmdCreate builds the command; runF replaces the work in tests.
func NewCmdCreate(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create <name>",
		Short: "Create a topic",
		Long: `Create a topic. Its partitions are spread over the SPUs (computed assignment)
unless --replica-assignment gives the SPUs of every partition.`,
		Example: `  $ fluvio topic create greetings
  topic "greetings" created

  $ fluvio topic create events -p 3 -r 2 --retention-time 1d --segment-size "10 MiB"
  $ fluvio topic create logs --compression-type zstd --max-partition-size 1GB
  $ fluvio topic create pinned --replica-assignment assignment.json   # [{"id":0,"replicas":[5001]}]
  $ fluvio topic create check --dry-run                                  # validate only`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.Ctx = cmd.Context()
			spec, err := BuildSpec(opts, cmd.Flags().Changed("partitions") || cmd.Flags().Changed("replication"))
			if err != nil {
				return err
			}
			opts.Spec = spec
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.Uint32VarP(&opts.Partitions, "partitions", "p", 1, "Number of partitions")
	fl.Uint32VarP(&opts.Replication, "replication", "r", 1, "Number of replicas of every partition")
	fl.BoolVarP(&opts.IgnoreRackAssignment, "ignore-rack-assignment", "i", false, "Ignore racks when computing the replica assignment")
	fl.StringVarP(&opts.ReplicaAssignment, "replica-assignment", "f", "", "JSON file of partitions and their SPUs: [{\"id\":0,\"replicas\":[5001,5002]}]")
	fl.BoolVarP(&opts.DryRun, "dry-run", "d", false, "Validate the topic on the cluster without creating it")
	fl.StringVar(&opts.RetentionTime, "retention-time", "", "How long records are kept, e.g. 1h, \"2d 10s\", \"7 days\" (cluster default: 7 days)")
	fl.StringVar(&opts.SegmentSize, "segment-size", "", "Segment size, e.g. 2048, \"10 MiB\", 1GB")
	fl.StringVar(&opts.MaxPartitionSize, "max-partition-size", "", "Maximum size of a partition, e.g. \"10 GiB\"")
	fl.StringVar(&opts.CompressionType, "compression-type", "", "Topic compression: any, none, gzip, snappy, lz4, zstd (default any)")
	return cmd
}

// Compressions maps the --compression-type names to topic settings.
var Compressions = map[string]protocol.CompressionAlgorithm{
	"any": protocol.TopicCompressionAny, "none": protocol.TopicCompressionNone, "gzip": protocol.TopicCompressionGzip,
	"snappy": protocol.TopicCompressionSnappy, "lz4": protocol.TopicCompressionLz4, "zstd": protocol.TopicCompressionZstd,
}

// BuildSpec turns the flags into a TopicSpec, naming the flag of any bad
// value. replicaFlags says -p or -r was given explicitly.
func BuildSpec(o *Options, replicaFlags bool) (*protocol.TopicSpec, error) {
	if o.Partitions == 0 {
		return nil, cmdutil.FlagErrorf("--partitions must be at least 1, got 0")
	}
	if o.Replication == 0 {
		return nil, cmdutil.FlagErrorf("--replication must be at least 1, got 0")
	}
	spec := protocol.NewComputedTopicSpec(o.Partitions, o.Replication)
	spec.Replicas.Computed.IgnoreRackAssignment = o.IgnoreRackAssignment
	if o.ReplicaAssignment != "" {
		if replicaFlags || o.IgnoreRackAssignment {
			return nil, cmdutil.FlagErrorf("--replica-assignment cannot be used with --partitions, --replication or --ignore-rack-assignment")
		}
		maps, err := ReadReplicaAssignment(o.ReplicaAssignment)
		if err != nil {
			return nil, err
		}
		spec.Replicas = protocol.ReplicaSpec{Kind: protocol.ReplicaAssigned, Assigned: maps}
	}
	if o.RetentionTime != "" {
		d, err := units.ParseDuration(o.RetentionTime)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--retention-time: %w", err)
		}
		secs := d.Seconds()
		if secs > float64(^uint32(0)) {
			return nil, cmdutil.FlagErrorf("--retention-time %q is longer than the maximum of %d seconds", o.RetentionTime, ^uint32(0))
		}
		spec.CleanupPolicy = &protocol.CleanupPolicy{Segment: protocol.SegmentBasedPolicy{TimeInSeconds: uint32(secs)}}
	}
	if o.SegmentSize != "" || o.MaxPartitionSize != "" {
		spec.Storage = &protocol.TopicStorageConfig{}
	}
	if o.SegmentSize != "" {
		n, err := units.ParseSize(o.SegmentSize)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--segment-size: %w", err)
		}
		if n > uint64(^uint32(0)) {
			return nil, cmdutil.FlagErrorf("--segment-size %q is larger than the maximum of 4 GiB", o.SegmentSize)
		}
		v := uint32(n)
		spec.Storage.SegmentSize = &v
	}
	if o.MaxPartitionSize != "" {
		n, err := units.ParseSize(o.MaxPartitionSize)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--max-partition-size: %w", err)
		}
		spec.Storage.MaxPartitionSize = &n
	}
	if o.CompressionType != "" {
		c, ok := Compressions[strings.ToLower(o.CompressionType)]
		if !ok {
			return nil, cmdutil.FlagErrorf("--compression-type %q is not valid (valid: any, none, gzip, snappy, lz4, zstd)", o.CompressionType)
		}
		spec.CompressionType = c
	}
	return spec, nil
}

// assignment is one entry of a replica assignment file, as Fluvio writes
// it: {"id": 0, "replicas": [5001, 5002]}.
type assignment struct {
	ID       *uint32 `json:"id"`
	Replicas []int32 `json:"replicas"`
}

// ReadReplicaAssignment reads a replica assignment file.
func ReadReplicaAssignment(path string) ([]protocol.PartitionMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--replica-assignment: %w", err)
	}
	return ParseReplicaAssignment(b, path)
}

// ParseReplicaAssignment decodes a replica assignment document (what
// ReadReplicaAssignment reads from a file named name).
func ParseReplicaAssignment(b []byte, name string) ([]protocol.PartitionMap, error) {
	var as []assignment
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&as); err != nil {
		return nil, cmdutil.FlagErrorf("--replica-assignment %s: %v (want a JSON array like [{\"id\":0,\"replicas\":[5001,5002]}])", name, err)
	}
	if len(as) == 0 {
		return nil, cmdutil.FlagErrorf("--replica-assignment %s: no partitions", name)
	}
	seen := map[uint32]bool{}
	maps := make([]protocol.PartitionMap, 0, len(as))
	for i, a := range as {
		if a.ID == nil {
			return nil, cmdutil.FlagErrorf("--replica-assignment %s: entry %d has no \"id\"", name, i)
		}
		if seen[*a.ID] {
			return nil, cmdutil.FlagErrorf("--replica-assignment %s: partition %d is listed twice", name, *a.ID)
		}
		seen[*a.ID] = true
		if len(a.Replicas) == 0 {
			return nil, cmdutil.FlagErrorf("--replica-assignment %s: partition %d has no replicas", name, *a.ID)
		}
		maps = append(maps, protocol.PartitionMap{ID: *a.ID, Replicas: a.Replicas})
	}
	return maps, nil
}

// Run creates the topic.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Admin().Create(opts.Ctx, protocol.LabelTopic, opts.Name, opts.DryRun, opts.Spec); err != nil {
		return err
	}
	if opts.DryRun {
		fmt.Fprintf(opts.IO.Out, "topic %q is valid (dry run: not created)\n", opts.Name)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "topic %q created\n", opts.Name)
	return nil
}
