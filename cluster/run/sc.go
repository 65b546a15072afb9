package run

import (
	"errors"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cluster/sc"
)

// scOptions are the flags of `fluvio-run sc` (Fluvio's ScOpt, spec
// distribution §5.3-5.4).
type scOptions struct {
	local       string
	k8          bool
	readOnly    string
	bindPublic  string
	bindPrivate string
	namespace   string
	tls         bool
}

// NewSCCmd builds `fluvio-run sc`, the controller.
func NewSCCmd() *cobra.Command {
	o := &scOptions{}
	cmd := &cobra.Command{
		Use:   "sc",
		Short: "Run the streaming controller (SC)",
		Long: `Run the streaming controller: the admin API clients use (--bind-public) and the
port SPUs register on (--bind-private). With --local <dir> the metadata (topics,
partitions, SPUs, SmartModules) is kept in <dir> and reloaded on restart; without
it the metadata lives in memory only.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case o.k8:
				return errors.New("--k8: Kubernetes metadata is not supported by this build; use --local <dir>")
			case o.readOnly != "":
				return errors.New("--read-only: read-only metadata is not supported by this build; use --local <dir>")
			case o.tls:
				return errors.New("--tls: TLS is not supported by this build yet")
			}
			log := scLogger()
			if o.local == "" {
				log.Warn("no --local <dir> given: metadata is kept in memory and lost on exit")
			}
			srv, err := sc.NewServer(sc.Config{PublicAddr: o.bindPublic, PrivateAddr: o.bindPrivate, MetadataDir: o.local, Logger: log})
			if err != nil {
				return err
			}
			err = srv.Serve(cmd.Context())
			log.Info("shutdown complete")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.local, "local", "", "keep metadata in this directory (local cluster)")
	f.BoolVar(&o.k8, "k8", false, "keep metadata in Kubernetes (not supported)")
	f.StringVar(&o.readOnly, "read-only", "", "serve read-only metadata from this file (not supported)")
	f.StringVar(&o.bindPublic, "bind-public", "0.0.0.0:9003", "address clients connect to")
	f.StringVar(&o.bindPrivate, "bind-private", "0.0.0.0:9004", "address SPUs connect to")
	f.StringVar(&o.namespace, "namespace", "default", "Kubernetes namespace (ignored in local mode)")
	f.BoolVar(&o.tls, "tls", false, "serve the public port with TLS (not supported)")
	cmd.MarkFlagsMutuallyExclusive("local", "k8", "read-only")
	return cmd
}

// scLogger logs readable text to stderr at the level RUST_LOG asks for
// (error, warn, info (default), debug or trace), as Fluvio's servers do.
func scLogger() *slog.Logger {
	level := slog.LevelInfo
	env := strings.ToLower(os.Getenv("RUST_LOG"))
	switch {
	case strings.Contains(env, "trace"), strings.Contains(env, "debug"):
		level = slog.LevelDebug
	case strings.Contains(env, "error"):
		level = slog.LevelError
	case strings.Contains(env, "warn"):
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", "sc")
}
