// Package diagnostics is `fluvio cluster diagnostics`: collect what a bug
// report needs into ./diagnostics-<date>.tar.gz (root directory
// diagnostics/): the profile and installation type, the cluster's topics,
// partitions, SPUs and SPU groups as YAML, the local cluster's process logs
// and metadata, the size of every SPU's data, and a system summary.
package diagnostics

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/cli/output"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// MaxLogBytes bounds how much of each log file is collected (its tail).
const MaxLogBytes = 64 << 20

// Options are the dependencies and flags of the verb.
type Options struct {
	IO      *iostreams.IOStreams
	Client  func(context.Context) (*client.Client, error)
	Config  func() (*config.Config, error)
	BaseDir func() (string, error)
	Now     func() time.Time
	Ctx     context.Context
	Quiet   bool
	Dir     string
	Timeout time.Duration
}

// NewCmdDiagnostics builds the command; runF replaces the work in tests.
func NewCmdDiagnostics(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: f.Client, Config: f.Config, BaseDir: f.BaseDir, Now: f.Now, Timeout: 10 * time.Second}
	cmd := &cobra.Command{
		Use:   "diagnostics",
		Short: "Collect logs, metadata and cluster state into a tarball for a bug report",
		Example: `  $ fluvio cluster diagnostics
  Wrote diagnostics to diagnostics-2025-01-02-03-04-05.tar.gz

  $ fluvio cluster diagnostics --dir /tmp --quiet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Quiet, "quiet", false, "Do not list what is collected")
	cmd.Flags().StringVar(&opts.Dir, "dir", ".", "Directory to write the tarball to")
	return cmd
}

// archive accumulates the tarball's files.
type archive struct {
	tw    *tar.Writer
	now   time.Time
	io    *iostreams.IOStreams
	quiet bool
	names []string
}

func (a *archive) add(name string, data []byte) error {
	h := &tar.Header{Name: "diagnostics/" + name, Mode: 0o644, Size: int64(len(data)), ModTime: a.now, Typeflag: tar.TypeReg}
	if err := a.tw.WriteHeader(h); err != nil {
		return err
	}
	if _, err := a.tw.Write(data); err != nil {
		return err
	}
	a.names = append(a.names, name)
	if !a.quiet {
		a.io.Printf("collected %s\n", name)
	}
	return nil
}

// localPaths reads log_dir and data_dir from ~/.fluvio/local-config,
// defaulting to base/log and base/data.
func localPaths(base string) (logDir, dataDir string) {
	logDir, dataDir = filepath.Join(base, "log"), filepath.Join(base, "data")
	b, err := os.ReadFile(filepath.Join(base, "local-config"))
	if err != nil {
		return
	}
	var lc struct {
		LogDir  string `toml:"log_dir"`
		DataDir string `toml:"data_dir"`
	}
	if toml.Unmarshal(b, &lc) == nil {
		if lc.LogDir != "" {
			logDir = lc.LogDir
		}
		if lc.DataDir != "" {
			dataDir = lc.DataDir
		}
	}
	return
}

// Run writes the tarball.
func Run(opts *Options) error {
	now := opts.Now()
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	path := filepath.Join(opts.Dir, "diagnostics-"+now.Format("2006-01-02-15-04-05")+".tar.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	a := &archive{tw: tar.NewWriter(zw), now: now, io: opts.IO, quiet: opts.Quiet}

	// Profile and installation.
	var info strings.Builder
	fmt.Fprintf(&info, "fluvio CLI: %s (%s)\n", buildinfo.Version, buildinfo.GitCommit())
	if cfg, err := opts.Config(); err == nil {
		name, _, cl, err := cfg.Current()
		if err != nil {
			fmt.Fprintf(&info, "profile: none (%v)\n", err)
		} else {
			fmt.Fprintf(&info, "profile: %s\nendpoint: %s\ninstallation: %s\n", name, cl.Endpoint, cl.Installation())
		}
	}
	if err := a.add("profile.txt", []byte(info.String())); err != nil {
		return err
	}

	// Cluster state through the admin API.
	ctx, cancel := context.WithTimeout(opts.Ctx, opts.Timeout)
	defer cancel()
	if c, err := opts.Client(ctx); err != nil {
		if err := a.add("cluster-error.txt", []byte(err.Error()+"\n")); err != nil {
			return err
		}
	} else {
		defer c.Close()
		fmt.Fprintf(&info, "platform: %s\n", c.PlatformVersion())
		for _, label := range []string{protocol.LabelTopic, protocol.LabelPartition, protocol.LabelSPU, protocol.LabelSpuGroup, protocol.LabelSmartModule} {
			var doc bytes.Buffer
			objs, err := c.Admin().List(ctx, label, false)
			if err == nil {
				sys, _ := c.Admin().List(ctx, label, true)
				objs = append(objs, sys...)
				err = output.Export(&doc, output.FormatYAML, summarize(objs))
			}
			if err != nil {
				doc.Reset()
				fmt.Fprintf(&doc, "error: %v\n", err)
			}
			if err := a.add("cluster/"+strings.ToLower(label)+".yaml", doc.Bytes()); err != nil {
				return err
			}
		}
	}

	// Local cluster files.
	if base, err := opts.BaseDir(); err == nil {
		logDir, dataDir := localPaths(base)
		logs, _ := filepath.Glob(filepath.Join(logDir, "*.log"))
		sort.Strings(logs)
		for _, l := range logs {
			if b, err := tail(l, MaxLogBytes); err == nil {
				if err := a.add("logs/"+filepath.Base(l), b); err != nil {
					return err
				}
			}
		}
		if b, err := os.ReadFile(filepath.Join(base, "local-config")); err == nil {
			if err := a.add("local-config", b); err != nil {
				return err
			}
		}
		if md, err := tarGz(filepath.Join(dataDir, "metadata"), now); err == nil {
			if err := a.add("metadata.tar.gz", md); err != nil {
				return err
			}
		}
		if err := a.add("spu-disk-usage.txt", []byte(diskUsage(dataDir))); err != nil {
			return err
		}
	}
	host, _ := os.Hostname()
	sys := fmt.Sprintf("hostname: %s\nos: %s\narch: %s\ncpus: %d\ngo: %s\ncollected: %s\n", host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), now.UTC().Format(time.RFC3339))
	if err := a.add("system.txt", []byte(sys)); err != nil {
		return err
	}
	if err := a.tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(opts.IO.Out, "Wrote diagnostics to %s\n", path)
	return nil
}

// object is a metadata object as the YAML files show it.
type object struct {
	Name   string `json:"name"`
	Spec   any    `json:"spec"`
	Status any    `json:"status"`
}

// summarize strips SmartModule payloads (the wasm) and keeps the rest.
func summarize(objs []protocol.Metadata) []object {
	out := make([]object, 0, len(objs))
	for _, o := range objs {
		spec := any(o.Spec)
		if sm, ok := o.Spec.(*protocol.SmartModuleSpec); ok {
			spec = map[string]any{"wasm_bytes": len(sm.Wasm.Payload), "meta": sm.Meta}
		}
		out = append(out, object{Name: o.Name, Spec: spec, Status: o.Status})
	}
	return out
}

// tail reads at most the last n bytes of a file.
func tail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(st.Size()-n, 0)
	b := make([]byte, st.Size()-off)
	_, err = f.ReadAt(b, off)
	return b, err
}

// tarGz packs a directory tree.
func tarGz(dir string, now time.Time) ([]byte, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if err := tw.WriteHeader(&tar.Header{Name: "metadata/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(b)), ModTime: now}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// diskUsage sums the files under each spu-logs-* directory.
func diskUsage(dataDir string) string {
	dirs, _ := filepath.Glob(filepath.Join(dataDir, "spu-logs-*"))
	sort.Strings(dirs)
	if len(dirs) == 0 {
		return "no SPU data under " + dataDir + "\n"
	}
	var b strings.Builder
	for _, d := range dirs {
		var total int64
		_ = filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if info, err := e.Info(); err == nil {
					total += info.Size()
				}
			}
			return nil
		})
		fmt.Fprintf(&b, "%s\t%d bytes\n", filepath.Base(d), total)
	}
	return b.String()
}
