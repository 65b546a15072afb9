// Package delete is `fluvio consumer delete`: forget a named consumer's
// committed offsets (all of them, or one topic's, or one partition's).
package delete

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	IO           *iostreams.IOStreams
	Client       func(context.Context) (*client.Client, error)
	Ctx          context.Context
	Consumer     string
	Topic        string
	Partition    uint32
	HasPartition bool
}

// NewCmdDelete builds the command; runF replaces the work in tests.
func NewCmdDelete(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "delete <consumer>",
		Short: "Delete a named consumer's committed offsets",
		Example: `  $ fluvio consumer delete my-app
  consumer "my-app" on topic "greetings" and partition "0" deleted

  $ fluvio consumer delete my-app --topic greetings --partition 1`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Consumer, opts.Ctx = args[0], cmd.Context()
			opts.HasPartition = cmd.Flags().Changed("partition")
			if opts.HasPartition && opts.Topic == "" {
				return cmdutil.FlagErrorf("--partition needs --topic")
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Topic, "topic", "t", "", "Only this topic's offsets")
	cmd.Flags().Uint32VarP(&opts.Partition, "partition", "p", 0, "Only this partition's offset (with --topic)")
	return cmd
}

// Run deletes the offsets.
func Run(opts *Options) error {
	c, err := opts.Client(opts.Ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	type target struct {
		topic     string
		partition uint32
	}
	var targets []target
	if opts.HasPartition {
		targets = append(targets, target{opts.Topic, opts.Partition})
	} else {
		cos, err := c.Admin().ListConsumers(opts.Ctx)
		if err != nil {
			return err
		}
		for _, co := range cos {
			if co.ConsumerID == opts.Consumer && (opts.Topic == "" || co.ReplicaID.Topic == opts.Topic) {
				targets = append(targets, target{co.ReplicaID.Topic, co.ReplicaID.Partition})
			}
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("no consumers found named %q (see 'fluvio consumer list')", opts.Consumer)
	}
	for _, t := range targets {
		if err := c.Admin().DeleteConsumer(opts.Ctx, opts.Consumer, t.topic, t.partition); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "consumer %q on topic %q and partition \"%d\" deleted\n", opts.Consumer, t.topic, t.partition)
	}
	return nil
}
