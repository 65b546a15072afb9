package sc

import (
	"errors"
	"io"
	"net"
	"slices"
	"time"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// registerTimeout bounds how long a new private connection may take to send
// its Register frame.
const registerTimeout = 10 * time.Second

// spuSession is one connected SPU on the private port.
type spuSession struct {
	c    *Controller
	conn *controlplane.Conn
	id   int32
	// sent: the replicas last pushed, to send only real changes.
	sent map[controlplane.ReplicaKey]controlplane.Replica
	// ready: the SPU reported every replica it hosts since it connected;
	// only then is it Online (and its partitions with it).
	ready bool
}

// serveSPU runs one control-plane connection until it ends; the SPU is
// online for exactly that long.
func (c *Controller) serveSPU(nc net.Conn, done <-chan struct{}) {
	conn := controlplane.NewConn(nc, "sc")
	defer conn.Close()
	_ = nc.SetReadDeadline(time.Now().Add(registerTimeout))
	env, err := conn.Recv()
	if err != nil {
		c.log.Warn("private connection dropped before registering", "remote", nc.RemoteAddr().String(), "err", err)
		return
	}
	reg, ok := env.Msg.(*controlplane.Register)
	if !ok {
		c.log.Warn("private connection did not start with register", "remote", nc.RemoteAddr().String(), "key", env.Header.APIKey)
		return
	}
	_ = nc.SetReadDeadline(time.Time{})
	sess := &spuSession{c: c, conn: conn, id: reg.SpuID, sent: map[controlplane.ReplicaKey]controlplane.Replica{}}
	host := "localhost"
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		host = ta.IP.String()
	}
	if err := c.register(reg, sess, host); err != nil {
		code, msg := errorCodeOf(err)
		resp := &controlplane.RegisterResponse{Error: code}
		if msg != nil {
			resp.Message = *msg
		}
		c.log.Warn("SPU registration refused", "spu", reg.SpuID, "err", err)
		_ = conn.Reply(env.Header.CorrelationID, resp)
		return
	}
	defer c.unregister(reg.SpuID, sess)

	spus := c.store.Subscribe(protocol.LabelSPU)
	defer spus.Close()
	sms := c.store.Subscribe(protocol.LabelSmartModule)
	defer sms.Close()
	parts := c.store.Subscribe(protocol.LabelPartition)
	defer parts.Close()
	if err := conn.Reply(env.Header.CorrelationID, &controlplane.RegisterResponse{}); err != nil {
		return
	}

	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			env, err := conn.Recv()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					c.log.Warn("SPU connection", "spu", reg.SpuID, "err", err)
				}
				if env.Msg == nil && env.Header.APIKey == 0 {
					return
				}
				continue // a frame we cannot decode; the stream is still in sync
			}
			if r, ok := env.Msg.(*controlplane.ReplicaStatusReport); ok {
				c.report(reg.SpuID, r)
			}
		}
	}()
	defer func() { conn.Close(); <-readDone }()

	// Full syncs in the documented order, then changes as they come.
	if sess.pushSpus(spus) != nil || sess.pushSmartModules(sms) != nil || sess.pushReplicas(parts) != nil {
		return
	}
	for {
		var err error
		select {
		case <-done:
			return
		case <-readDone:
			return
		case <-spus.Ready():
			err = sess.pushSpus(spus)
		case <-sms.Ready():
			err = sess.pushSmartModules(sms)
		case <-parts.Ready():
			err = sess.pushReplicas(parts)
		}
		if err != nil {
			c.log.Warn("push to SPU", "spu", reg.SpuID, "err", err)
			return
		}
	}
}

func spuInfo(o *Object) controlplane.SpuInfo {
	s := o.Spec.(*protocol.SpuSpec)
	info := controlplane.SpuInfo{
		ID:      s.ID,
		Public:  controlplane.Endpoint{Port: s.PublicEndpoint.Port},
		Private: controlplane.Endpoint{Host: s.PrivateEndpoint.Host, Port: s.PrivateEndpoint.Port},
		Rack:    s.Rack,
		Online:  o.Status.(*protocol.SpuStatus).Resolution == protocol.SpuStatusOnline,
	}
	for _, a := range s.PublicEndpoint.Ingress {
		if a.Hostname != nil {
			info.Public.Host = *a.Hostname
			break
		}
		if a.IP != nil {
			info.Public.Host = *a.IP
			break
		}
	}
	return info
}

func (s *spuSession) pushSpus(sub *Subscription) error {
	u, ok := sub.Next()
	if !ok {
		return nil
	}
	m := &controlplane.UpdateSpus{Epoch: u.Epoch, Full: u.Full}
	for _, o := range u.All {
		m.Spus = append(m.Spus, spuInfo(o))
	}
	for _, ch := range u.Changes {
		if ch.Delete {
			m.Removed = append(m.Removed, ch.Obj.Spec.(*protocol.SpuSpec).ID)
		} else {
			m.Spus = append(m.Spus, spuInfo(ch.Obj))
		}
	}
	return s.conn.Send(m)
}

func smartModuleOf(o *Object) controlplane.SmartModule {
	spec := o.Spec.(*protocol.SmartModuleSpec)
	sm := controlplane.SmartModule{Name: o.Name, Format: controlplane.WasmFormat(spec.Wasm.Format), Wasm: spec.Wasm.Payload}
	if md := spec.Meta; md != nil {
		p := md.Package
		sm.Package = &controlplane.SmartModulePackage{Name: p.Name, Group: p.Group, Version: p.Version, APIVersion: p.APIVersion}
		names := make([]string, 0, len(md.Params))
		for k := range md.Params {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			sm.Params = append(sm.Params, controlplane.SmartModuleParam{Name: k, Description: md.Params[k].Description, Optional: md.Params[k].Optional})
		}
	}
	return sm
}

func (s *spuSession) pushSmartModules(sub *Subscription) error {
	u, ok := sub.Next()
	if !ok {
		return nil
	}
	m := &controlplane.UpdateSmartModules{Epoch: u.Epoch, Full: u.Full}
	for _, o := range u.All {
		m.Modules = append(m.Modules, smartModuleOf(o))
	}
	for _, ch := range u.Changes {
		if ch.Delete {
			m.Removed = append(m.Removed, ch.Obj.Name)
		} else {
			m.Modules = append(m.Modules, smartModuleOf(ch.Obj))
		}
	}
	return s.conn.Send(m)
}

// replicaFor is the replica a partition object puts on spu, if any.
func replicaFor(o *Object, spu int32) (controlplane.Replica, bool) {
	key, ok := splitPartitionName(o.Name)
	ps := o.Spec.(*protocol.PartitionSpec)
	if !ok || !slices.Contains(ps.Replicas, spu) {
		return controlplane.Replica{}, false
	}
	return controlplane.Replica{ReplicaKey: key, Leader: ps.Leader, Replicas: slices.Clone(ps.Replicas), Config: replicaConfig(ps)}, true
}

func sameReplica(a, b controlplane.Replica) bool {
	return a.ReplicaKey == b.ReplicaKey && a.Leader == b.Leader && slices.Equal(a.Replicas, b.Replicas) && a.Config == b.Config
}

func (s *spuSession) pushReplicas(sub *Subscription) error {
	u, ok := sub.Next()
	if !ok {
		return nil
	}
	m := &controlplane.UpdateReplicas{Epoch: u.Epoch, Full: u.Full}
	if u.Full {
		s.sent = map[controlplane.ReplicaKey]controlplane.Replica{}
		for _, o := range u.All {
			if r, ok := replicaFor(o, s.id); ok {
				m.Replicas = append(m.Replicas, r)
				s.sent[r.ReplicaKey] = r
			}
		}
		return s.conn.Send(m)
	}
	for _, ch := range u.Changes {
		key, ok := splitPartitionName(ch.Obj.Name)
		if !ok {
			continue
		}
		prev, had := s.sent[key]
		r, hosted := replicaFor(ch.Obj, s.id)
		switch {
		case ch.Delete || !hosted:
			if had {
				m.Removed = append(m.Removed, key)
				delete(s.sent, key)
			}
		case !had || !sameReplica(prev, r):
			m.Replicas = append(m.Replicas, r)
			s.sent[key] = r
		}
	}
	if len(m.Replicas) == 0 && len(m.Removed) == 0 {
		return nil // status-only changes
	}
	return s.conn.Send(m)
}
