package run

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/cluster/spu"
	"github.com/gofluvio/fluvio/cluster/spu/smartmodules"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// spuOptions are the flags of `fluvio-run spu` (Fluvio's SpuOpt, spec
// distribution §5.3-5.4), plus --flush for the storage flush policy.
type spuOptions struct {
	id            int32
	publicServer  string
	privateServer string
	scAddr        string
	logBaseDir    string
	logSize       string
	indexMaxBytes string
	indexInterval string
	peerMaxBytes  string
	flush         string
	advertiseHost string
	smMemory      string
	smTimeout     time.Duration
	smAsBuilt     bool
}

// NewSPUCmd builds `fluvio-run spu`, a streaming processing unit.
func NewSPUCmd() *cobra.Command {
	o := &spuOptions{}
	cmd := &cobra.Command{
		Use:   "spu",
		Short: "Run a streaming processing unit (SPU)",
		Long: `Run a streaming processing unit: it registers with the SC (--sc-addr), stores
the partitions it is assigned under --log-base-dir and serves producers and
consumers on --public-server. SIGTERM or Ctrl-C shuts it down gracefully: open
requests finish and every partition is flushed to disk first.`,
		Example: `  fluvio-run spu -i 5001 -p 0.0.0.0:9010 -v 0.0.0.0:9011 --log-base-dir ~/.fluvio/data`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := o.config()
			if err != nil {
				return err
			}
			cfg.Logger = serverLogger("spu")
			sm, err := o.smartModules(cfg)
			if err != nil {
				return err
			}
			defer sm.Close()
			cfg.SmartModules = sm
			s, err := spu.New(cfg)
			if err != nil {
				return err
			}
			return s.Serve(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&o.id, "id", "i", -1, "SPU id (required), e.g. 5001")
	f.StringVarP(&o.publicServer, "public-server", "p", spu.DefaultPublicAddr, "address producers and consumers connect to")
	f.StringVarP(&o.privateServer, "private-server", "v", spu.DefaultPrivateAddr, "address for SPU-to-SPU replication")
	f.StringVar(&o.scAddr, "sc-addr", spu.DefaultSCAddr, "SC private address to register with")
	f.StringVar(&o.logBaseDir, "log-base-dir", "", "data directory (default ~/.fluvio/data); partitions go to spu-logs-<id>/<topic>-<partition>")
	f.StringVar(&o.logSize, "log-size", "", "default segment size, e.g. 1G or 100M (a topic's segment size wins)")
	f.StringVar(&o.indexMaxBytes, "index-max-bytes", "", "largest batch accepted, e.g. 2M (default 50M, the frame limit)")
	f.StringVar(&o.indexInterval, "index-max-interval-bytes", "", "bytes of batches between sparse index entries (default 4096)")
	f.StringVar(&o.peerMaxBytes, "peer-max-bytes", "", "replication fetch bound (accepted; replication is not implemented yet)")
	f.StringVar(&o.flush, "flush", storage.DefaultFlushPolicy.String(), `when to fsync: "batch" (every batch), "os" (leave it to the OS) or an interval like "100ms"`)
	f.StringVar(&o.advertiseHost, "advertise-host", "localhost", "host registered with the SC for clients to dial")
	f.StringVar(&o.smMemory, "smartmodule-memory-limit", os.Getenv(envSmartEngineMaxMemory),
		"largest linear memory of one SmartModule instance, e.g. 512M (default 1G; env "+envSmartEngineMaxMemory+")")
	f.DurationVar(&o.smTimeout, "smartmodule-timeout", smartengine.DefaultCallTimeout,
		"longest one SmartModule call may run before its stream fails")
	f.BoolVar(&o.smAsBuilt, "smartmodule-as-built", os.Getenv(envSmartModuleAsBuilt) != "",
		"run SmartModules exactly as built: without it, the byte-by-byte copy loops of modules built with Fluvio's Rust SDK run as bulk copies, with the same results (env "+envSmartModuleAsBuilt+")")
	return cmd
}

// envSmartEngineMaxMemory is Fluvio's SPU setting for the SmartModule
// memory limit (spec smartmodule.md §3.3).
const envSmartEngineMaxMemory = "FLV_SMART_ENGINE_MAX_MEMORY_BYTES"

// envSmartModuleAsBuilt, when set to anything, turns SmartModule
// acceleration off (ours: Fluvio has no such setting). An environment
// variable reaches the SPUs that fluvio cluster start spawns.
const envSmartModuleAsBuilt = "FLUVIO_SMARTMODULE_AS_BUILT"

// smartModules builds the SmartModule engine of the SPU, its compilation
// cache beside the SPU's logs in the data dir.
func (o *spuOptions) smartModules(cfg spu.Config) (*smartmodules.Engine, error) {
	limit, err := parseSize("--smartmodule-memory-limit", o.smMemory)
	if err != nil {
		return nil, err
	}
	if o.smTimeout < 0 {
		return nil, fmt.Errorf("--smartmodule-timeout %s: want a positive duration like 10s", o.smTimeout)
	}
	return smartmodules.New(smartengine.Config{
		CacheDir:       filepath.Join(cfg.DataDir, "smartengine-cache-"+strconv.Itoa(int(cfg.ID))),
		MaxMemoryBytes: uint64(limit),
		CallTimeout:    o.smTimeout,
		NoAcceleration: o.smAsBuilt,
	}), nil
}

// config validates the flags into an spu.Config.
func (o *spuOptions) config() (spu.Config, error) {
	if o.id < 0 {
		return spu.Config{}, errors.New("-i/--id is required: the SPU id, e.g. -i 5001")
	}
	dir := o.logBaseDir
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return spu.Config{}, fmt.Errorf("no --log-base-dir and no home directory: %w", err)
		}
		dir = filepath.Join(home, ".fluvio", "data")
	}
	pol, err := storage.ParseFlushPolicy(o.flush)
	if err != nil {
		return spu.Config{}, fmt.Errorf("--flush: %w", err)
	}
	st := storage.Config{Flush: pol}
	if st.SegmentSize, err = parseSize("--log-size", o.logSize); err != nil {
		return spu.Config{}, err
	}
	mb, err := parseSize("--index-max-bytes", o.indexMaxBytes)
	if err != nil {
		return spu.Config{}, err
	}
	st.MaxBatchSize = int(mb)
	iv, err := parseSize("--index-max-interval-bytes", o.indexInterval)
	if err != nil {
		return spu.Config{}, err
	}
	st.IndexInterval = int(iv)
	if _, err := parseSize("--peer-max-bytes", o.peerMaxBytes); err != nil {
		return spu.Config{}, err
	}
	return spu.Config{
		ID: o.id, PublicAddr: o.publicServer, PrivateAddr: o.privateServer, SCAddr: o.scAddr,
		AdvertiseHost: o.advertiseHost, DataDir: dir, Storage: st,
	}, nil
}

// parseSize reads a byte count with an optional K, M, G (powers of 1024,
// with or without a trailing "i" or "B"); "" is 0 (the default).
func parseSize(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	num := strings.TrimSpace(s)
	num = strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(num), "B"), "I")
	mult := int64(1)
	switch {
	case strings.HasSuffix(num, "K"):
		mult, num = 1<<10, num[:len(num)-1]
	case strings.HasSuffix(num, "M"):
		mult, num = 1<<20, num[:len(num)-1]
	case strings.HasSuffix(num, "G"):
		mult, num = 1<<30, num[:len(num)-1]
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%s %q: want a size like 4096, 512K, 100M or 1G", flag, s)
	}
	return n * mult, nil
}

// serverLogger logs readable text to stderr at the level RUST_LOG asks for,
// tagged with the component.
func serverLogger(component string) *slog.Logger {
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
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", component)
}
