package sc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Config configures a Server.
type Config struct {
	// PublicAddr is where clients connect (Fluvio default 0.0.0.0:9003).
	PublicAddr string
	// PrivateAddr is where SPUs connect (Fluvio default 0.0.0.0:9004).
	PrivateAddr string
	// MetadataDir persists the metadata (local mode); "" keeps it in memory.
	MetadataDir string
	// Logger receives readable logs; nil discards them.
	Logger *slog.Logger
	// MaxFrameSize bounds a request frame (default protocol.MaxFrameSize).
	MaxFrameSize int
	// PlatformVersion is advertised in ApiVersions (default
	// buildinfo.PlatformVersion()).
	PlatformVersion string
	// TopicWait is how long Create waits for a new topic's partitions to
	// come online before answering (default $FLV_TOPIC_WAIT seconds, else
	// 90 s); negative answers at once.
	TopicWait time.Duration
}

// Server is a running SC: the controller plus its public and private
// listeners.
type Server struct {
	cfg  Config
	ctrl *Controller
	log  *slog.Logger
	pub  net.Listener
	priv net.Listener

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	mu        sync.Mutex
	conns     map[net.Conn]struct{}
}

// NewServer loads the metadata and binds both listeners; Serve accepts.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = protocol.MaxFrameSize
	}
	if cfg.TopicWait == 0 {
		cfg.TopicWait = topicWait()
	}
	if cfg.PlatformVersion == "" {
		cfg.PlatformVersion = defaultPlatformVersion()
	}
	ctrl, err := NewController(cfg.MetadataDir, cfg.Logger)
	if err != nil {
		return nil, err
	}
	pub, err := net.Listen("tcp", cfg.PublicAddr)
	if err != nil {
		return nil, fmt.Errorf("sc: listen public %s: %w", cfg.PublicAddr, err)
	}
	priv, err := net.Listen("tcp", cfg.PrivateAddr)
	if err != nil {
		pub.Close()
		return nil, fmt.Errorf("sc: listen private %s: %w", cfg.PrivateAddr, err)
	}
	return &Server{cfg: cfg, ctrl: ctrl, log: cfg.Logger, pub: pub, priv: priv, done: make(chan struct{}), conns: map[net.Conn]struct{}{}}, nil
}

// Controller returns the server's controller.
func (s *Server) Controller() *Controller { return s.ctrl }

// PublicAddr is the bound public address (useful with port 0).
func (s *Server) PublicAddr() net.Addr { return s.pub.Addr() }

// PrivateAddr is the bound private address.
func (s *Server) PrivateAddr() net.Addr { return s.priv.Addr() }

// Serve accepts connections until ctx is done or Close is called, then
// closes every connection and returns once they have ended.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info("SC listening", "public", s.pub.Addr().String(), "private", s.priv.Addr().String(),
		"metadata", s.cfg.MetadataDir, "platform", s.cfg.PlatformVersion)
	s.wg.Add(2)
	go s.acceptLoop(s.pub, s.servePublic)
	go s.acceptLoop(s.priv, func(nc net.Conn) { s.ctrl.serveSPU(nc, s.done) })
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	return s.Close()
}

// Start runs Serve in the background (for tests and embedding).
func (s *Server) Start() {
	go func() { _ = s.Serve(context.Background()) }()
}

func (s *Server) acceptLoop(ln net.Listener, handle func(net.Conn)) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error("accept", "addr", ln.Addr().String(), "err", err)
			}
			return
		}
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			nc.Close()
			return
		default:
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, nc)
				s.mu.Unlock()
				nc.Close()
			}()
			handle(nc)
		}()
	}
}

// Close stops listening, closes every connection and waits for them. The
// store needs no flush: every change was written when it was made.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.done)
		for nc := range s.conns {
			nc.Close()
		}
		s.mu.Unlock()
		s.pub.Close()
		s.priv.Close()
		s.wg.Wait()
		s.log.Info("SC stopped")
	})
	return nil
}
