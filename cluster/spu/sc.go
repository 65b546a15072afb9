package spu

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/internal/buildinfo"
)

// controlLoop keeps the SPU registered with the SC: dial, register, apply
// pushes, report replica status; reconnect with backoff when the link drops.
func (s *Server) controlLoop() {
	defer s.wg.Done()
	backoff := 100 * time.Millisecond
	for s.ctx.Err() == nil {
		err := s.controlSession()
		if s.ctx.Err() != nil {
			return
		}
		s.log.Warn("sc connection lost, reconnecting", "sc", s.cfg.SCAddr, "err", err, "in", backoff)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
		if err == nil {
			backoff = 100 * time.Millisecond
		}
	}
}

func endpointOf(host string, a net.Addr) controlplane.Endpoint {
	port := 0
	if ta, ok := a.(*net.TCPAddr); ok {
		port = ta.Port
	}
	return controlplane.Endpoint{Host: host, Port: uint16(port)}
}

// controlSession runs one connection to the SC until it fails.
func (s *Server) controlSession() error {
	reg := &controlplane.Register{
		SpuID:        s.cfg.ID,
		Public:       endpointOf(s.cfg.AdvertiseHost, s.pub.Addr()),
		Private:      endpointOf(s.cfg.AdvertiseHost, s.priv.Addr()),
		BuildVersion: buildinfo.PlatformVersion(),
	}
	dctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	c, err := controlplane.Dial(dctx, s.cfg.SCAddr, reg)
	cancel()
	if err != nil {
		return err
	}
	s.log.Info("registered with sc", "sc", s.cfg.SCAddr, "public", reg.Public.String())
	ctx, stop := context.WithCancel(s.ctx)
	defer stop()
	go func() { <-ctx.Done(); c.Close() }()
	reportErr := make(chan error, 1)
	go func() { reportErr <- s.reportLoop(ctx, c) }()
	for {
		env, err := c.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			select {
			case rerr := <-reportErr:
				return errors.Join(err, rerr)
			default:
			}
			return err
		}
		switch m := env.Msg.(type) {
		case *controlplane.UpdateReplicas:
			s.applyReplicas(m)
			s.kickStatus()
		case *controlplane.UpdateSmartModules:
			s.applySmartModules(m)
		case *controlplane.UpdateSpus:
			// Kept for replication (followers dial leaders); nothing to do yet.
		default:
			s.log.Warn("unexpected control-plane message", "key", env.Header.APIKey)
		}
	}
}

func (s *Server) applyReplicas(m *controlplane.UpdateReplicas) {
	if m.Full {
		keep := map[protocol.ReplicaKey]bool{}
		for _, r := range m.Replicas {
			keep[protocol.ReplicaKey{Topic: r.Topic, Partition: r.Partition}] = true
		}
		s.mu.RLock()
		var drop []protocol.ReplicaKey
		for k := range s.replicas {
			if !keep[k] {
				drop = append(drop, k)
			}
		}
		s.mu.RUnlock()
		for _, k := range drop {
			s.RemoveReplica(k, false)
		}
	}
	for _, r := range m.Replicas {
		if err := s.ApplyReplica(r); err != nil {
			s.log.Error("apply replica", "replica", r.ReplicaKey.String(), "err", err)
		}
	}
	for _, k := range m.Removed {
		if err := s.RemoveReplica(protocol.ReplicaKey{Topic: k.Topic, Partition: k.Partition}, true); err != nil {
			s.log.Warn("remove replica", "replica", k.String(), "err", err)
		}
	}
}

func (s *Server) applySmartModules(m *controlplane.UpdateSmartModules) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.Full {
		s.modules = map[string]controlplane.SmartModule{}
	}
	for _, sm := range m.Modules {
		s.modules[sm.Name] = sm
	}
	for _, n := range m.Removed {
		delete(s.modules, n)
	}
}

// PredefinedSmartModule returns the gzip-compressed wasm of a SmartModule
// the SC pushed, for resolving Predefined(name) invocations.
func (s *Server) PredefinedSmartModule(name string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sm, ok := s.modules[name]
	return sm.Wasm, ok
}

// reportLoop sends replica status: after each kick, and then every
// StatusInterval while offsets keep moving or HW trails LEO.
func (s *Server) reportLoop(ctx context.Context, c *controlplane.Conn) error {
	last := map[protocol.ReplicaKey]controlplane.ReplicaStatus{}
	s.kickStatus()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.statusKick:
		}
		for {
			changed, pending := s.statusDelta(last)
			if len(changed) > 0 {
				if err := c.Send(&controlplane.ReplicaStatusReport{Replicas: changed}); err != nil {
					return err
				}
			}
			if len(changed) == 0 && !pending {
				break
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(s.cfg.StatusInterval):
			}
		}
	}
}

// statusDelta returns replica states that differ from last (updating it)
// and whether any replica still has HW below LEO.
func (s *Server) statusDelta(last map[protocol.ReplicaKey]controlplane.ReplicaStatus) ([]controlplane.ReplicaStatus, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []controlplane.ReplicaStatus
	pending := false
	for k, r := range s.replicas {
		o := r.log.Offsets()
		st := controlplane.ReplicaStatus{
			ReplicaKey: controlplane.ReplicaKey{Topic: k.Topic, Partition: k.Partition},
			HW:         o.HighWatermark, LEO: o.LogEnd, Size: o.Size, LogStart: o.LogStart,
		}
		if o.HighWatermark < o.LogEnd {
			pending = true
		}
		if prev, ok := last[k]; !ok || prev != st {
			last[k] = st
			out = append(out, st)
		}
	}
	return out, pending
}
