// Package status is `fluvio cluster status`: is the cluster of the current
// profile up, how many SPUs are online, what topics it holds.
package status

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/cluster/local"
)

// Options are the dependencies and flags of the verb.
type Options struct {
	Ctx          context.Context
	IO           *iostreams.IOStreams
	Config       func() (*config.Config, error)
	LocalCluster func() (*local.Cluster, error)
	Format       output.Format
}

// NewCmdStatus builds the command; runF replaces the work in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Config: f.Config, LocalCluster: f.LocalCluster}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Check that the cluster of the current profile is up",
		Long: `Check the cluster of the current profile: whether its SC answers, how many SPUs
are online and what topics it holds. Exits 1 when the SC cannot be reached.`,
		Example: `  $ fluvio cluster status
  $ fluvio cluster status -O json`,
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

// Run prints the status.
func Run(opts *Options) error {
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	profile, _, cl, err := cfg.Current()
	if err != nil {
		return fmt.Errorf("%w; run 'fluvio cluster start' or 'fluvio profile switch <name>'", err)
	}
	lc, err := opts.LocalCluster()
	if err != nil {
		return err
	}
	var st *local.Status
	if cl.Installation() == config.InstallLocal && lc.IsInstalled() {
		if st, err = lc.Status(ctx); err != nil {
			return err
		}
	} else {
		// Not our local cluster: all we can check without the client
		// library is that its SC answers.
		st = &local.Status{SC: local.ProcessStatus{Name: "sc", Addr: cl.Endpoint}}
		if v, err := local.ProbeSC(ctx, cl.Endpoint); err == nil {
			st.SC.Reachable, st.PlatformVersion = true, v
		}
	}
	if opts.Format != output.FormatTable {
		if err := output.Export(opts.IO.Out, opts.Format, st); err != nil {
			return err
		}
	} else {
		print(opts.IO, profile, st)
	}
	if !st.SC.Reachable {
		return cmdutil.ErrSilent
	}
	return nil
}

func print(io *iostreams.IOStreams, profile string, st *local.Status) {
	w := io.Out
	fmt.Fprintf(w, "📝 Running cluster status checks with profile %s\n", profile)
	if !st.SC.Reachable {
		fmt.Fprintf(w, "❌ Unable to reach cluster on profile %s (%s)\n", profile, st.SC.Addr)
		if st.Installed && !st.SC.Running {
			fmt.Fprintln(w, "   the local cluster is shut down; 'fluvio cluster resume' starts it again")
		}
		return
	}
	fmt.Fprintf(w, "✅ SC is ok (%s, platform %s)\n", st.SC.Addr, st.PlatformVersion)
	if n := len(st.SPUs); n > 0 {
		switch {
		case st.OnlineSPUs == n:
			fmt.Fprintf(w, "✅ (%d/%d) SPUs are online\n", n, n)
		case st.OnlineSPUs == 0:
			fmt.Fprintln(w, "❌ No SPUs are online")
		default:
			fmt.Fprintf(w, "🟡 (%d/%d) SPUs are online\n", st.OnlineSPUs, n)
		}
	}
	if st.TopicsKnown {
		if st.Topics == 0 {
			fmt.Fprintln(w, "🟡 No topics present")
		} else {
			fmt.Fprintf(w, "✅ %d topic(s) using %s\n", st.Topics, humanBytes(st.TopicBytes))
		}
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
