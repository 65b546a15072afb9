package spu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/storage"
)

// Defaults of a standalone SPU: Fluvio's SPU_PUBLIC_PORT 9005 and private
// 9006 (spec protocol.md §4.1). fluvio cluster start passes 9010/9011,
// 9020/9021, ... explicitly (distribution.md §5.4).
const (
	DefaultPublicAddr  = "0.0.0.0:9005"
	DefaultPrivateAddr = "0.0.0.0:9006"
	DefaultSCAddr      = "127.0.0.1:9004"
	// PlatformVersion is what the SPU advertises in ApiVersions, as the
	// real SPU does.
	PlatformVersion = "0.0.0"
	// ConsumerOffsetTopic is the system topic holding consumer offsets.
	ConsumerOffsetTopic = "consumer-offset"
)

// ErrClosed is returned by Serve after Close.
var ErrClosed = errors.New("spu: server closed")

// Config configures a Server.
type Config struct {
	// ID is the SPU id (-i), e.g. 5001.
	ID int32
	// PublicAddr is the client listener (default DefaultPublicAddr).
	PublicAddr string
	// PrivateAddr is the listener reserved for replication (default
	// DefaultPrivateAddr).
	PrivateAddr string
	// AdvertiseHost is the host registered with the SC for both endpoints
	// (default "localhost", as fluvio cluster start does).
	AdvertiseHost string
	// SCAddr is the SC private address. Empty: no control plane; replicas
	// are given with ApplyReplica (tests).
	SCAddr string
	// DataDir is the log base dir; replicas live in
	// <DataDir>/spu-logs-<ID>/<topic>-<partition>.
	DataDir string
	// Storage is the template for every replica (FS, flush policy, batch
	// bound); segment size and retention come from each topic.
	Storage storage.Config
	// Logger receives readable logs (default: discard).
	Logger *slog.Logger
	// MaxFrameSize bounds a request frame (default protocol.MaxFrameSize).
	MaxFrameSize int
	// SmartModules runs SmartModule chains for streams and produce; nil
	// answers requests carrying SmartModules with a SmartModule error.
	SmartModules SmartModules
	// StatusInterval spaces replica status reports to the SC (default 100ms).
	StatusInterval time.Duration
	// RetentionInterval is how often retention runs (default 1 minute).
	RetentionInterval time.Duration
}

// Server is a running SPU.
type Server struct {
	cfg  Config
	log  *slog.Logger
	pub  net.Listener
	priv net.Listener

	bigFrames sync.Pool // *[]byte: see frameReader.pool

	mu       sync.RWMutex
	replicas map[protocol.ReplicaKey]*replica
	conns    map[*conn]struct{}
	closed   bool
	modules  map[string]controlplane.SmartModule
	offsets  *consumerOffsets

	statusKick chan struct{}
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once
	done       chan struct{}
}

// replica is one hosted partition replica.
type replica struct {
	key      protocol.ReplicaKey
	leaderID int32
	replicas []int32 // leader first
	cfg      controlplane.ReplicaConfig
	log      *storage.Replica
	gone     chan struct{} // closed when the SPU stops serving it
	deleted  bool          // topic deleted (vs moved away)
}

func (r *replica) isLeader(spu int32) bool { return r.leaderID == spu }

// New binds the listeners. Serve starts the work.
func New(cfg Config) (*Server, error) {
	if cfg.PublicAddr == "" {
		cfg.PublicAddr = DefaultPublicAddr
	}
	if cfg.PrivateAddr == "" {
		cfg.PrivateAddr = DefaultPrivateAddr
	}
	if cfg.AdvertiseHost == "" {
		cfg.AdvertiseHost = "localhost"
	}
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = protocol.MaxFrameSize
	}
	if cfg.StatusInterval <= 0 {
		cfg.StatusInterval = 100 * time.Millisecond
	}
	if cfg.RetentionInterval <= 0 {
		cfg.RetentionInterval = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("spu: a data dir (--log-base-dir) is required")
	}
	if cfg.Storage.Logger == nil {
		cfg.Storage.Logger = cfg.Logger
	}
	pub, err := net.Listen("tcp", cfg.PublicAddr)
	if err != nil {
		return nil, fmt.Errorf("spu: listen public %s: %w", cfg.PublicAddr, err)
	}
	priv, err := net.Listen("tcp", cfg.PrivateAddr)
	if err != nil {
		pub.Close()
		return nil, fmt.Errorf("spu: listen private %s: %w", cfg.PrivateAddr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg: cfg, log: cfg.Logger.With("spu", cfg.ID), pub: pub, priv: priv,
		replicas: map[protocol.ReplicaKey]*replica{}, conns: map[*conn]struct{}{},
		modules: map[string]controlplane.SmartModule{}, statusKick: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	return s, nil
}

// PublicAddr is the bound client address.
func (s *Server) PublicAddr() net.Addr { return s.pub.Addr() }

// PrivateAddr is the bound private address.
func (s *Server) PrivateAddr() net.Addr { return s.priv.Addr() }

// ID is the SPU id.
func (s *Server) ID() int32 { return s.cfg.ID }

// Serve runs the listeners, the control plane and retention until ctx ends
// or Close is called, then shuts down gracefully: connections are closed,
// in-flight requests finish, and every replica is flushed and closed.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info("spu serving", "public", s.pub.Addr().String(), "private", s.priv.Addr().String(), "data", s.cfg.DataDir)
	s.wg.Add(2)
	go s.acceptLoop(s.pub, true)
	go s.acceptLoop(s.priv, false)
	s.wg.Add(1)
	go s.retentionLoop()
	if s.cfg.SCAddr != "" {
		s.wg.Add(1)
		go s.controlLoop()
	}
	select {
	case <-ctx.Done():
	case <-s.ctx.Done():
	}
	return s.shutdown()
}

// Close stops the server (as cancelling Serve's context does) and waits for
// the shutdown.
func (s *Server) Close() error {
	err := s.shutdown()
	return err
}

func (s *Server) shutdown() error {
	var err error
	s.closeOnce.Do(func() {
		s.log.Info("spu shutting down")
		s.cancel()
		s.pub.Close()
		s.priv.Close()
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.close()
		}
		s.mu.Unlock()
		s.wg.Wait()
		s.mu.Lock()
		var errs []error
		for k, r := range s.replicas {
			if cerr := r.log.Close(); cerr != nil {
				errs = append(errs, fmt.Errorf("close replica %s: %w", k.Topic+"-"+strconv.Itoa(int(k.Partition)), cerr))
			}
			close(r.gone)
		}
		s.replicas = map[protocol.ReplicaKey]*replica{}
		s.mu.Unlock()
		err = errors.Join(errs...)
		if err == nil {
			s.log.Info("spu stopped; all replicas flushed")
		}
		close(s.done)
	})
	<-s.done
	return err
}

func (s *Server) acceptLoop(ln net.Listener, public bool) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !public {
			// Reserved for replication: nothing speaks to it yet.
			s.log.Debug("private connection refused: replication is not implemented", "remote", nc.RemoteAddr().String())
			nc.Close()
			continue
		}
		c := newConn(s, nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// replicaDir is where a replica's log lives.
func (s *Server) replicaDir(k protocol.ReplicaKey) string {
	return filepath.Join(s.cfg.DataDir, "spu-logs-"+strconv.Itoa(int(s.cfg.ID)), k.Topic+"-"+strconv.FormatUint(uint64(k.Partition), 10))
}

// ApplyReplica starts hosting a replica (opening or creating its log) or
// updates its leadership. The SC pushes these; tests call it directly.
func (s *Server) ApplyReplica(rep controlplane.Replica) error {
	key := protocol.ReplicaKey{Topic: rep.Topic, Partition: rep.Partition}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if r, ok := s.replicas[key]; ok {
		r.leaderID, r.replicas, r.cfg = rep.Leader, rep.Replicas, rep.Config
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	cfg := s.cfg.Storage
	if rep.Config.SegmentSize > 0 {
		cfg.SegmentSize = int64(rep.Config.SegmentSize)
	}
	cfg.RetentionTime = time.Duration(rep.Config.RetentionSeconds) * time.Second
	cfg.MaxPartitionSize = int64(min(rep.Config.MaxPartitionSize, 1<<62))
	lg, err := storage.Open(s.replicaDir(key), cfg)
	if err != nil {
		return fmt.Errorf("spu: open replica %s: %w", rep.ReplicaKey, err)
	}
	r := &replica{key: key, leaderID: rep.Leader, replicas: rep.Replicas, cfg: rep.Config, log: lg, gone: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		lg.Close()
		return ErrClosed
	}
	if old, ok := s.replicas[key]; ok { // lost a race with another apply
		s.mu.Unlock()
		lg.Close()
		old.leaderID, old.replicas, old.cfg = rep.Leader, rep.Replicas, rep.Config
		return nil
	}
	s.replicas[key] = r
	s.mu.Unlock()
	o := lg.Offsets()
	s.log.Info("hosting replica", "replica", rep.ReplicaKey.String(), "leader", rep.Leader, "log_start", o.LogStart, "leo", o.LogEnd)
	if key.Topic == ConsumerOffsetTopic && key.Partition == 0 {
		s.loadConsumerOffsets(r)
	}
	s.kickStatus()
	return nil
}

// RemoveReplica stops serving a replica; streams on it end. With deleteData
// (topic deleted) its directory is removed too.
func (s *Server) RemoveReplica(key protocol.ReplicaKey, deleteData bool) error {
	s.mu.Lock()
	r, ok := s.replicas[key]
	if ok {
		delete(s.replicas, key)
		r.deleted = deleteData
		close(r.gone)
	}
	if ok && s.offsets != nil && s.offsets.rep == r {
		s.offsets = nil
	}
	s.mu.Unlock()
	if !ok {
		return nil
	}
	err := r.log.Close()
	if deleteData {
		if rerr := os.RemoveAll(s.replicaDir(key)); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	s.log.Info("stopped serving replica", "topic", key.Topic, "partition", key.Partition, "deleted", deleteData)
	return err
}

// Replica returns the log of a hosted replica.
func (s *Server) Replica(key protocol.ReplicaKey) (*storage.Replica, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.replicas[key]
	if !ok {
		return nil, false
	}
	return r.log, true
}

func (s *Server) lookup(topic string, partition uint32) *replica {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.replicas[protocol.ReplicaKey{Topic: topic, Partition: partition}]
}

// leader returns the replica if this SPU leads it.
func (s *Server) leader(topic string, partition uint32) *replica {
	r := s.lookup(topic, partition)
	if r == nil || !r.isLeader(s.cfg.ID) {
		return nil
	}
	return r
}

func (s *Server) retentionLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.RLock()
		reps := make([]*replica, 0, len(s.replicas))
		for _, r := range s.replicas {
			reps = append(reps, r)
		}
		s.mu.RUnlock()
		for _, r := range reps {
			if err := r.log.EnforceRetention(); err != nil && !errors.Is(err, storage.ErrClosed) {
				s.log.Warn("retention", "topic", r.key.Topic, "partition", r.key.Partition, "err", err)
			}
		}
		s.kickStatus()
	}
}

func (s *Server) kickStatus() {
	select {
	case s.statusKick <- struct{}{}:
	default:
	}
}
