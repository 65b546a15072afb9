// Package clustertest runs an SC and N SPUs in-process on 127.0.0.1:0 for
// fast tests: the same servers `fluvio-run sc` and `fluvio-run spu` run,
// wired through the real control plane, with data in t.TempDir().
package clustertest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/sc"
	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/cluster/spu"
	"github.com/gofluvio/fluvio/cluster/spu/smartmodules"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// Options configure Start.
type Options struct {
	// SPUs is the number of SPUs (default 1), with ids 5001, 5002, ...
	SPUs int
	// Dir holds the SC metadata and SPU data (default t.TempDir()).
	Dir string
	// SmartModules runs SmartModule chains on the SPUs (nil: the wazero
	// engine of cluster/spu/smartmodules, one shared by the SPUs, its
	// compilation cache under Dir).
	SmartModules spu.SmartModules
	// NoSmartModules makes the SPUs refuse SmartModules (SmartModules nil).
	NoSmartModules bool
	// Storage is the SPU replica template (flush policy, FS).
	Storage storage.Config
}

// Cluster is a running in-process cluster.
type Cluster struct {
	t    testing.TB
	opts Options
	SC   *sc.Server
	SPUs []*spu.Server
}

// Start starts the SC and the SPUs and waits until every SPU is online.
// Everything stops at the end of the test.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.SPUs <= 0 {
		opts.SPUs = 1
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := sc.NewServer(sc.Config{PublicAddr: "127.0.0.1:0", PrivateAddr: "127.0.0.1:0", MetadataDir: filepath.Join(opts.Dir, "sc")})
	if err != nil {
		t.Fatalf("clustertest: start SC: %v", err)
	}
	s.Start()
	c := &Cluster{t: t, opts: opts, SC: s}
	if opts.SmartModules == nil && !opts.NoSmartModules {
		e := smartmodules.New(smartengine.Config{CacheDir: filepath.Join(opts.Dir, "smartengine-cache")})
		c.opts.SmartModules = e
		t.Cleanup(func() { _ = e.Close() })
	}
	t.Cleanup(func() { c.Close() })
	for i := 0; i < opts.SPUs; i++ {
		c.SPUs = append(c.SPUs, nil)
		c.StartSPU(i)
	}
	c.WaitOnline(opts.SPUs)
	return c
}

// Addr is the SC public address clients connect to.
func (c *Cluster) Addr() string { return c.SC.PublicAddr().String() }

// StartSPU (re)starts SPU i (id 5001+i) on a fresh port with its data dir.
func (c *Cluster) StartSPU(i int) *spu.Server {
	c.t.Helper()
	srv, err := spu.New(spu.Config{
		ID:                int32(5001 + i),
		PublicAddr:        "127.0.0.1:0",
		PrivateAddr:       "127.0.0.1:0",
		AdvertiseHost:     "127.0.0.1",
		SCAddr:            c.SC.PrivateAddr().String(),
		DataDir:           filepath.Join(c.opts.Dir, "spu"),
		Storage:           c.opts.Storage,
		SmartModules:      c.opts.SmartModules,
		RetentionInterval: time.Second,
	})
	if err != nil {
		c.t.Fatalf("clustertest: start SPU %d: %v", 5001+i, err)
	}
	go func() { _ = srv.Serve(context.Background()) }()
	c.SPUs[i] = srv
	return srv
}

// StopSPU stops SPU i gracefully.
func (c *Cluster) StopSPU(i int) {
	if c.SPUs[i] != nil {
		_ = c.SPUs[i].Close()
		c.SPUs[i] = nil
	}
}

// WaitOnline waits until n SPUs are online in the SC.
func (c *Cluster) WaitOnline(n int) {
	c.t.Helper()
	c.Eventually(10*time.Second, func() error {
		online := 0
		for _, o := range c.SC.Controller().Store().List(protocol.LabelSPU) {
			if st, ok := o.Status.(*protocol.SpuStatus); ok && st.Resolution == protocol.SpuStatusOnline {
				online++
			}
		}
		if online < n {
			return fmt.Errorf("%d of %d SPUs online", online, n)
		}
		return nil
	})
}

// Eventually polls cond until it returns nil or the deadline passes.
func (c *Cluster) Eventually(d time.Duration, cond func() error) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("clustertest: condition not met after %s: %v", d, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Client connects a Go client to the cluster, closed at the end of the test.
func (c *Cluster) Client() *client.Client {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := client.Connect(ctx, c.Addr(), client.Options{MetadataTimeout: 10 * time.Second, RequestTimeout: 20 * time.Second})
	if err != nil {
		c.t.Fatalf("clustertest: connect: %v", err)
	}
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// Close stops the SPUs and the SC.
func (c *Cluster) Close() {
	for i := range c.SPUs {
		c.StopSPU(i)
	}
	_ = c.SC.Close()
}
