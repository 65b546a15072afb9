// Package list is `fluvio consumer list`: every named consumer with the
// offset it committed per partition and when.
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
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO     *iostreams.IOStreams
	Client func(context.Context) (*client.Client, error)
	Now    func() time.Time
	Ctx    context.Context
	Format output.Format
}

// NewCmdList builds the command; runF replaces the work in tests.
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client, Now: f.Now}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List named consumers",
		Example: `  $ fluvio consumer list
  CONSUMER  TOPIC      PARTITION  OFFSET  LAST SEEN
  my-app    greetings  0          41      3s`,
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
	return cmd
}

// Row is a committed offset as tables and -O json|yaml show it.
type Row struct {
	Consumer  string `json:"consumer"`
	Topic     string `json:"topic"`
	Partition uint32 `json:"partition"`
	Offset    int64  `json:"offset"`
	// ModifiedTime is the commit time, milliseconds since the epoch.
	ModifiedTime uint64 `json:"modified_time"`
}

// Run lists the consumers.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	cos, err := c.Admin().ListConsumers(opts.Ctx)
	if err != nil {
		return err
	}
	rows := []Row{}
	for _, co := range cos {
		rows = append(rows, Row{Consumer: co.ConsumerID, Topic: co.ReplicaID.Topic, Partition: co.ReplicaID.Partition, Offset: co.Offset, ModifiedTime: co.ModifiedTime})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Consumer != b.Consumer {
			return a.Consumer < b.Consumer
		}
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	if opts.Format != output.FormatTable {
		return output.Export(opts.IO.Out, opts.Format, rows)
	}
	if len(rows) == 0 {
		opts.IO.Printf("No consumers found\n")
		return nil
	}
	now := opts.Now()
	t := output.NewTable(opts.IO, "CONSUMER", "TOPIC", "PARTITION", "OFFSET", "LAST SEEN")
	for _, r := range rows {
		seen := now.Sub(time.UnixMilli(int64(r.ModifiedTime))).Truncate(time.Second)
		t.AddRow(r.Consumer, r.Topic, strconv.FormatUint(uint64(r.Partition), 10), strconv.FormatInt(r.Offset, 10), units.FormatDuration(seen))
	}
	return t.Render()
}
