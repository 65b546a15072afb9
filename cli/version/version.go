// Package version is `fluvio version`: the CLI's version and build, and
// the platform version of the cluster the current profile (or -c/-P)
// points at, when it can be reached.
package version

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// ConnectTimeout bounds the wait for the cluster's platform version.
const ConnectTimeout = 5 * time.Second

// Options are the dependencies and flags of the verb.
type Options struct {
	IO      *iostreams.IOStreams
	Client  func(context.Context) (*client.Client, error)
	Config  func() (*config.Config, error)
	Target  *cmdutil.Target
	Ctx     context.Context
	JSON    bool
	Timeout time.Duration
}

// NewCmdVersion builds the command; runF replaces the work in tests.
func NewCmdVersion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client, Config: f.Config, Target: &f.Target, Timeout: ConnectTimeout}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version of the CLI and of the cluster",
		Example: `  $ fluvio version
  Fluvio CLI        : 0.11.11
  Fluvio Platform   : 0.11.11 (local)
  Git Commit        : 1a2b3c4d
  Go Version        : go1.26.0
  OS Details        : linux/amd64

  $ fluvio version --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.JSON, "json", "j", false, "Print as JSON")
	return cmd
}

// Info is what the command prints.
type Info struct {
	CLI      string `json:"fluvio_cli"`
	Platform string `json:"fluvio_platform"`
	Commit   string `json:"git_commit"`
	Go       string `json:"go_version"`
	OS       string `json:"os_details"`
}

// Run prints the versions; an unreachable cluster is "Not available",
// not an error.
func Run(opts *Options) error {
	info := Info{CLI: buildinfo.Version, Platform: "Not available", Commit: buildinfo.GitCommit(), Go: runtime.Version(), OS: buildinfo.Target()}
	ctx, cancel := context.WithTimeout(opts.Ctx, opts.Timeout)
	defer cancel()
	if c, err := opts.Client(ctx); err == nil {
		info.Platform = c.PlatformVersion()
		c.Close()
	}
	profile := ""
	if opts.Target != nil && opts.Target.Profile != "" {
		profile = opts.Target.Profile
	} else if opts.Target == nil || opts.Target.Cluster == "" {
		if cfg, err := opts.Config(); err == nil {
			profile = cfg.CurrentProfile
		}
	}
	if profile != "" {
		info.Platform += " (" + profile + ")"
	}
	if opts.JSON {
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(opts.IO.Out, "%s\n", b)
		return err
	}
	var b strings.Builder
	for _, kv := range [][2]string{{"Fluvio CLI", info.CLI}, {"Fluvio Platform", info.Platform}, {"Git Commit", info.Commit}, {"Go Version", info.Go}, {"OS Details", info.OS}} {
		fmt.Fprintf(&b, "%-18s: %s\n", kv[0], kv[1])
	}
	_, err := fmt.Fprint(opts.IO.Out, b.String())
	return err
}
