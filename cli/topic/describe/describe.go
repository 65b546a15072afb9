// Package describe is `fluvio topic describe`: every setting and the
// status of one or more topics.
package describe

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/cli/topic/list"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
)

// ErrNotFound is returned when a named topic does not exist.
var ErrNotFound = fmt.Errorf("describe: topic not found")

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Ctx    context.Context
	Names  []string
	Format output.Format
}

// NewCmdDescribe builds the command; runF replaces the work in tests.
func NewCmdDescribe(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "describe <name>...",
		Short: "Show the settings and status of topics",
		Example: `  $ fluvio topic describe greetings
  Name                     :  greetings
  Type                     :  computed
  Partition Count          :  1
  ...

  $ fluvio topic describe greetings -O yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names, opts.Ctx = args, cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	output.AddFormatFlag(cmd, &opts.Format)
	return cmd
}

// Run describes the topics.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	topics, err := c.Admin().ListTopics(opts.Ctx)
	if err != nil {
		return err
	}
	byName := map[string]client.Topic{}
	for _, t := range topics {
		byName[t.Name] = t
	}
	rows := []list.Row{}
	for _, n := range opts.Names {
		t, ok := byName[n]
		if !ok {
			return fmt.Errorf("%w: %q (see 'fluvio topic list')", ErrNotFound, n)
		}
		rows = append(rows, list.RowOf(t))
	}
	if opts.Format != output.FormatTable {
		return output.Export(opts.IO.Out, opts.Format, rows)
	}
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteString("\n")
		}
		kv := func(k, v string) { fmt.Fprintf(&b, "%-25s:  %s\n", k, v) }
		kv("Name", r.Name)
		kv("Type", r.Type)
		kv("Partition Count", strconv.FormatUint(uint64(r.Partitions), 10))
		if r.ReplicationFactor != nil {
			kv("Replication Factor", strconv.FormatUint(uint64(*r.ReplicationFactor), 10))
			kv("Ignore Rack Assignment", strconv.FormatBool(r.IgnoreRackAssignment))
		}
		kv("Retention Time", units.FormatDuration(time.Duration(r.RetentionSeconds)*time.Second))
		if r.SegmentSize != nil {
			kv("Segment Size", units.FormatSize(uint64(*r.SegmentSize)))
		}
		if r.MaxPartitionSize != nil {
			kv("Max Partition Size", units.FormatSize(*r.MaxPartitionSize))
		}
		kv("Compression Type", r.Compression)
		kv("Deduplication", r.Deduplication)
		kv("System", strconv.FormatBool(r.System))
		kv("Status", r.Status)
		kv("Reason", r.Reason)
		if len(r.ReplicaMap) > 0 {
			keys := make([]int, 0, len(r.ReplicaMap))
			for k := range r.ReplicaMap {
				n, _ := strconv.Atoi(k)
				keys = append(keys, n)
			}
			sort.Ints(keys)
			var parts []string
			for _, k := range keys {
				parts = append(parts, fmt.Sprintf("%d: %v", k, r.ReplicaMap[strconv.Itoa(k)]))
			}
			kv("Replica Map", strings.Join(parts, ", "))
		}
	}
	_, err = opts.IO.Out.Write([]byte(b.String()))
	return err
}
