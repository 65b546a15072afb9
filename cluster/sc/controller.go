package sc

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Controller holds the metadata and applies admin operations, SPU
// registrations and SPU reports to it. Servers (public API, private control
// plane) call it; it never touches the network itself.
type Controller struct {
	store *Store
	log   *slog.Logger

	mu       sync.Mutex // serializes read-modify-write of the store
	sessions map[int32]*spuSession
	// reports: last ReplicaStatus per replica per reporting SPU.
	reports map[controlplane.ReplicaKey]map[int32]controlplane.ReplicaStatus
}

// NewController loads the store (dir "" = in memory), resets runtime
// statuses (every SPU offline until it connects) and makes sure the
// consumer-offset system topic exists.
func NewController(dir string, log *slog.Logger) (*Controller, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := NewStore(dir, log)
	if err := st.Load(); err != nil {
		return nil, err
	}
	c := &Controller{store: st, log: log, sessions: map[int32]*spuSession{}, reports: map[controlplane.ReplicaKey]map[int32]controlplane.ReplicaStatus{}}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, label := range []string{protocol.LabelSPU, protocol.LabelCustomSpu} {
		for _, o := range st.List(label) {
			if o.Status.(*protocol.SpuStatus).Resolution == protocol.SpuStatusOnline {
				st.PutStatus(label, o.Name, &protocol.SpuStatus{Resolution: protocol.SpuStatusOffline})
			}
		}
	}
	for _, o := range st.List(protocol.LabelPartition) {
		c.refreshPartitionLocked(o)
	}
	if st.Get(protocol.LabelTopic, ConsumerOffsetTopic) == nil {
		if _, err := st.Put(protocol.LabelTopic, ConsumerOffsetTopic, consumerOffsetSpec(),
			&protocol.TopicStatus{Resolution: protocol.TopicPending, Reason: "waiting for an online SPU"}); err != nil {
			return nil, err
		}
		log.Info("created system topic", "topic", ConsumerOffsetTopic)
	}
	c.reconcileLocked()
	return c, nil
}

// Store returns the metadata store (read it; change it through the
// controller).
func (c *Controller) Store() *Store { return c.store }

// onlineSPUsLocked lists online SPUs from the SPU objects.
func (c *Controller) onlineSPUsLocked() []spuRef {
	var out []spuRef
	for _, o := range c.store.List(protocol.LabelSPU) {
		if o.Status.(*protocol.SpuStatus).Resolution != protocol.SpuStatusOnline {
			continue
		}
		s := o.Spec.(*protocol.SpuSpec)
		r := spuRef{id: s.ID}
		if s.Rack != nil {
			r.rack = *s.Rack
		}
		out = append(out, r)
	}
	return out
}

func (c *Controller) totalPartitionsLocked() int { return len(c.store.List(protocol.LabelPartition)) }

// CreateTopic validates and stores a topic and its partitions (spec §3.5).
// With dryRun it validates only.
func (c *Controller) CreateTopic(name string, spec *protocol.TopicSpec, dryRun bool) error {
	if err := ValidateTopicName(name); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store.Get(protocol.LabelTopic, name) != nil {
		return apiErr(protocol.TopicAlreadyExists, "topic %q already exists", name)
	}
	if err := validateTopicConfig(spec); err != nil {
		return err
	}
	var assign [][]int32
	switch spec.Replicas.Kind {
	case protocol.ReplicaComputed:
		p := spec.Replicas.Computed
		if p.Partitions == 0 {
			return apiErr(protocol.TopicError, "partitions must be at least 1")
		}
		if p.ReplicationFactor == 0 {
			return apiErr(protocol.TopicError, "replication factor must be at least 1")
		}
		online := c.onlineSPUsLocked()
		if len(online) == 0 {
			return apiErr(protocol.TopicError, "no SPU is online to host topic %q; start an SPU first", name)
		}
		if int(p.ReplicationFactor) > len(online) {
			return apiErr(protocol.TopicError, "replication factor %d is greater than the %s", p.ReplicationFactor, fmtSPUs(len(online)))
		}
		assign = assignReplicas(online, p.Partitions, p.ReplicationFactor, c.totalPartitionsLocked(), p.IgnoreRackAssignment)
	case protocol.ReplicaAssigned:
		known := map[int32]bool{}
		for _, o := range c.store.List(protocol.LabelSPU) {
			known[o.Spec.(*protocol.SpuSpec).ID] = true
		}
		var err error
		if assign, err = validateAssigned(spec.Replicas.Assigned, known); err != nil {
			return err
		}
	default:
		return apiErr(protocol.TopicInvalidReplicaType, "mirror topics are not supported by this cluster")
	}
	if dryRun {
		return nil
	}
	return c.storeTopicLocked(name, spec, assign)
}

// storeTopicLocked stores the partitions, then the topic as Provisioned.
func (c *Controller) storeTopicLocked(name string, spec *protocol.TopicSpec, assign [][]int32) error {
	for i, reps := range assign {
		pname := PartitionName(name, uint32(i))
		ps := partitionSpecFor(spec, reps)
		if _, err := c.store.Put(protocol.LabelPartition, pname, ps, c.partitionStatusLocked(pname, ps)); err != nil {
			return err
		}
	}
	_, err := c.store.Put(protocol.LabelTopic, name, spec, &protocol.TopicStatus{Resolution: protocol.TopicProvisioned, ReplicaMap: replicaMap(assign)})
	if err == nil {
		c.log.Info("topic provisioned", "topic", name, "partitions", len(assign))
	}
	return err
}

// reconcileLocked assigns computed topics still waiting for SPUs (the
// consumer-offset topic at start).
func (c *Controller) reconcileLocked() {
	for _, o := range c.store.List(protocol.LabelTopic) {
		st := o.Status.(*protocol.TopicStatus)
		spec := o.Spec.(*protocol.TopicSpec)
		if st.Resolution == protocol.TopicProvisioned || spec.Replicas.Kind != protocol.ReplicaComputed {
			continue
		}
		p := spec.Replicas.Computed
		online := c.onlineSPUsLocked()
		if len(online) == 0 || int(p.ReplicationFactor) > len(online) {
			continue
		}
		assign := assignReplicas(online, p.Partitions, p.ReplicationFactor, c.totalPartitionsLocked(), p.IgnoreRackAssignment)
		if err := c.storeTopicLocked(o.Name, spec, assign); err != nil {
			c.log.Error("assign topic", "topic", o.Name, "err", err)
		}
	}
}

// DeleteTopic removes a topic and its partitions (spec §3.6).
func (c *Controller) DeleteTopic(name string, force bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.store.Get(protocol.LabelTopic, name)
	if o == nil {
		return apiErr(protocol.TopicNotFound, "topic %q not found", name)
	}
	spec := o.Spec.(*protocol.TopicSpec)
	if spec.System && !force {
		return &APIError{Code: protocol.ErrorCode{Code: protocol.SystemSpecDeletionAttempt, Message: "topic", Message2: name},
			Message: fmt.Sprintf("topic %q is a system topic; deleting it needs force", name)}
	}
	for _, p := range c.store.List(protocol.LabelPartition) {
		if k, ok := splitPartitionName(p.Name); ok && k.Topic == name {
			if _, err := c.store.Delete(protocol.LabelPartition, p.Name); err != nil {
				return err
			}
			delete(c.reports, k)
		}
	}
	if _, err := c.store.Delete(protocol.LabelTopic, name); err != nil {
		return err
	}
	c.log.Info("topic deleted", "topic", name)
	return nil
}

// AddPartitions adds count partitions to a computed topic (Update
// AddPartition).
func (c *Controller) AddPartitions(name string, count uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.store.Get(protocol.LabelTopic, name)
	if o == nil {
		return apiErr(protocol.TopicNotFound, "topic %q not found", name)
	}
	old := o.Spec.(*protocol.TopicSpec)
	if old.System {
		return &APIError{Code: protocol.ErrorCode{Code: protocol.SystemSpecUpdatingAttempt, Message: "topic", Message2: name},
			Message: fmt.Sprintf("topic %q is a system topic and cannot be changed", name)}
	}
	if old.Replicas.Kind != protocol.ReplicaComputed {
		return apiErr(protocol.TopicInvalidReplicaType, "partitions can only be added to topics with computed replicas")
	}
	if count == 0 {
		return apiErr(protocol.TopicError, "the number of partitions to add must be at least 1")
	}
	st := o.Status.(*protocol.TopicStatus)
	if st.Resolution != protocol.TopicProvisioned {
		return apiErr(protocol.TopicPendingInitialization, "topic %q is not provisioned yet", name)
	}
	online := c.onlineSPUsLocked()
	rf := old.Replicas.Computed.ReplicationFactor
	if int(rf) > len(online) {
		return apiErr(protocol.TopicError, "replication factor %d is greater than the %s", rf, fmtSPUs(len(online)))
	}
	spec := *old
	spec.Replicas.Computed.Partitions += count
	first := old.Replicas.Computed.Partitions
	added := assignReplicas(online, count, rf, c.totalPartitionsLocked(), old.Replicas.Computed.IgnoreRackAssignment)
	rm := map[uint32][]int32{}
	for k, v := range st.ReplicaMap {
		rm[k] = v
	}
	for i, reps := range added {
		id := first + uint32(i)
		pname := PartitionName(name, id)
		ps := partitionSpecFor(&spec, reps)
		if _, err := c.store.Put(protocol.LabelPartition, pname, ps, c.partitionStatusLocked(pname, ps)); err != nil {
			return err
		}
		rm[id] = reps
	}
	_, err := c.store.Put(protocol.LabelTopic, name, &spec, &protocol.TopicStatus{Resolution: protocol.TopicProvisioned, ReplicaMap: rm})
	return err
}

// partitionStatusLocked computes a partition's status from the SPU reports
// and liveness: Online when its leader is online and has reported it.
func (c *Controller) partitionStatusLocked(name string, spec *protocol.PartitionSpec) *protocol.PartitionStatus {
	st := &protocol.PartitionStatus{Resolution: protocol.PartitionOffline, Leader: protocol.NewReplicaStatus(), Size: protocol.PartitionSizeNotSupported}
	st.Leader.SPU = spec.Leader
	key, _ := splitPartitionName(name)
	reps := c.reports[key]
	leaderOnline := c.sessions[spec.Leader] != nil
	if r, ok := reps[spec.Leader]; ok {
		st.Leader.HW, st.Leader.LEO = r.HW, r.LEO
		st.Size = r.Size
		st.BaseOffset = r.LogStart
		if leaderOnline {
			st.Resolution = protocol.PartitionOnline
			st.LSR = 1
		}
	}
	if !leaderOnline && st.Leader.HW >= 0 {
		st.Resolution = protocol.PartitionLeaderOffline
	}
	for _, id := range spec.Replicas {
		if id == spec.Leader {
			continue
		}
		rs := protocol.NewReplicaStatus()
		rs.SPU = id
		if r, ok := reps[id]; ok {
			rs.HW, rs.LEO = r.HW, r.LEO
			if c.sessions[id] != nil {
				st.LSR++
			}
		}
		st.Replicas = append(st.Replicas, rs)
	}
	return st
}

// refreshPartitionLocked recomputes o's status and stores it when changed.
func (c *Controller) refreshPartitionLocked(o *Object) {
	st := c.partitionStatusLocked(o.Name, o.Spec.(*protocol.PartitionSpec))
	if !bytes.Equal(st.Encode(nil, storeCodecVersion), o.Status.Encode(nil, storeCodecVersion)) {
		c.store.PutStatus(protocol.LabelPartition, o.Name, st)
	}
}

// refreshSPUPartitionsLocked refreshes every partition id takes part in.
func (c *Controller) refreshSPUPartitionsLocked(id int32) {
	for _, o := range c.store.List(protocol.LabelPartition) {
		if slices.Contains(o.Spec.(*protocol.PartitionSpec).Replicas, id) {
			c.refreshPartitionLocked(o)
		}
	}
}

// customSpuByIDLocked finds the CustomSpu object with spec id.
func (c *Controller) customSpuByIDLocked(id int32) *Object {
	for _, o := range c.store.List(protocol.LabelCustomSpu) {
		if o.Spec.(*protocol.CustomSpuSpec).ID == id {
			return o
		}
	}
	return nil
}

// CreateCustomSpu registers a custom SPU and its SPU object (offline until
// the SPU connects).
func (c *Controller) CreateCustomSpu(name string, spec *protocol.CustomSpuSpec, dryRun bool) error {
	if name == "" {
		return apiErr(protocol.SpuRegisterationFailed, "a custom SPU needs a name")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store.Get(protocol.LabelCustomSpu, name) != nil {
		return apiErr(protocol.SpuAlreadyExists, "custom SPU %q already exists", name)
	}
	if o := c.customSpuByIDLocked(spec.ID); o != nil {
		return apiErr(protocol.SpuAlreadyExists, "SPU id %d is already registered as %q", spec.ID, o.Name)
	}
	if dryRun {
		return nil
	}
	return c.putCustomSpuLocked(name, spec)
}

func (c *Controller) putCustomSpuLocked(name string, spec *protocol.CustomSpuSpec) error {
	status := protocol.SpuResolution(protocol.SpuStatusInit)
	if c.spuReadyLocked(spec.ID) {
		status = protocol.SpuStatusOnline
	}
	if _, err := c.store.Put(protocol.LabelCustomSpu, name, spec, &protocol.SpuStatus{Resolution: status}); err != nil {
		return err
	}
	ss := &protocol.SpuSpec{ID: spec.ID, Type: protocol.SpuTypeCustom, PublicEndpoint: spec.PublicEndpoint,
		PrivateEndpoint: spec.PrivateEndpoint, Rack: spec.Rack, PublicEndpointLocal: spec.PublicEndpointLocal}
	_, err := c.store.Put(protocol.LabelSPU, name, ss, &protocol.SpuStatus{Resolution: status})
	return err
}

// DeleteCustomSpu removes a custom SPU (by name or id) and its SPU object,
// disconnecting it when online.
func (c *Controller) DeleteCustomSpu(key protocol.CustomSpuKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var o *Object
	if key.ByID {
		o = c.customSpuByIDLocked(key.ID)
	} else {
		o = c.store.Get(protocol.LabelCustomSpu, key.Name)
	}
	if o == nil {
		return apiErr(protocol.SpuNotFound, "custom SPU %s not found", key.String())
	}
	if _, err := c.store.Delete(protocol.LabelCustomSpu, o.Name); err != nil {
		return err
	}
	if _, err := c.store.Delete(protocol.LabelSPU, o.Name); err != nil {
		return err
	}
	if s := c.sessions[o.Spec.(*protocol.CustomSpuSpec).ID]; s != nil {
		s.conn.Close()
	}
	return nil
}

// spuEndpoints turns a registration into the SPU object's endpoints. An
// unspecified host (the SPU advertised its bind address 0.0.0.0) is replaced
// by fallbackHost, the address the SPU connected from.
func spuEndpoints(reg *controlplane.Register, fallbackHost string) (protocol.IngressPort, protocol.Endpoint) {
	host := func(h string) string {
		switch h {
		case "", "0.0.0.0", "::", "[::]":
			return fallbackHost
		}
		return h
	}
	pub := host(reg.Public.Host)
	return protocol.IngressPort{Port: reg.Public.Port, Ingress: []protocol.IngressAddr{{Hostname: &pub}}},
		protocol.Endpoint{Port: reg.Private.Port, Host: host(reg.Private.Host)}
}

// register marks an SPU online. An SPU whose id has no CustomSpu is
// auto-registered as CustomSpu "custom-spu-<id>" so `fluvio-run spu -i 5001`
// works without a prior `fluvio cluster spu register`.
func (c *Controller) register(reg *controlplane.Register, sess *spuSession, fallbackHost string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions[reg.SpuID] != nil {
		return apiErr(protocol.SpuAlreadyExists, "SPU %d is already connected", reg.SpuID)
	}
	pub, priv := spuEndpoints(reg, fallbackHost)
	name := "custom-spu-" + strconv.Itoa(int(reg.SpuID))
	cs := &protocol.CustomSpuSpec{ID: reg.SpuID, PublicEndpoint: pub, PrivateEndpoint: priv, Rack: reg.Rack}
	if o := c.customSpuByIDLocked(reg.SpuID); o != nil {
		name = o.Name
		old := o.Spec.(*protocol.CustomSpuSpec)
		cs.PublicEndpointLocal = old.PublicEndpointLocal
		if cs.Rack == nil {
			cs.Rack = old.Rack
		}
	} else {
		c.log.Info("auto-registering custom SPU", "spu", reg.SpuID, "name", name)
	}
	// Reports from an earlier session describe replicas the SPU has not
	// reopened yet: forget them, so its partitions come back Online only
	// once the restarted SPU serves them.
	for _, m := range c.reports {
		delete(m, reg.SpuID)
	}
	c.sessions[reg.SpuID] = sess
	if err := c.putCustomSpuLocked(name, cs); err != nil {
		delete(c.sessions, reg.SpuID)
		return err
	}
	c.log.Info("SPU online", "spu", reg.SpuID, "public", fmt.Sprintf("%s:%d", *pub.Ingress[0].Hostname, pub.Port), "version", reg.BuildVersion)
	c.reconcileLocked()
	c.refreshSPUPartitionsLocked(reg.SpuID)
	return nil
}

// unregister marks an SPU offline when its session ends.
func (c *Controller) unregister(id int32, sess *spuSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions[id] != sess {
		return
	}
	delete(c.sessions, id)
	if o := c.customSpuByIDLocked(id); o != nil {
		c.store.PutStatus(protocol.LabelCustomSpu, o.Name, &protocol.SpuStatus{Resolution: protocol.SpuStatusOffline})
		c.store.PutStatus(protocol.LabelSPU, o.Name, &protocol.SpuStatus{Resolution: protocol.SpuStatusOffline})
	}
	c.refreshSPUPartitionsLocked(id)
	c.log.Info("SPU offline", "spu", id)
}

// report applies an SPU's replica status report.
func (c *Controller) report(id int32, r *controlplane.ReplicaStatusReport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions[id] == nil {
		return
	}
	for _, rs := range r.Replicas {
		o := c.store.Get(protocol.LabelPartition, rs.ReplicaKey.String())
		if o == nil || !slices.Contains(o.Spec.(*protocol.PartitionSpec).Replicas, id) {
			continue
		}
		m := c.reports[rs.ReplicaKey]
		if m == nil {
			m = map[int32]controlplane.ReplicaStatus{}
			c.reports[rs.ReplicaKey] = m
		}
		m[id] = rs
		c.refreshPartitionLocked(o)
	}
	if sess := c.sessions[id]; !sess.ready && c.spuReadyLocked(id) {
		if o := c.customSpuByIDLocked(id); o != nil {
			if err := c.putCustomSpuLocked(o.Name, o.Spec.(*protocol.CustomSpuSpec)); err != nil {
				c.log.Warn("mark SPU online", "spu", id, "err", err)
			}
			c.log.Info("SPU serving all its replicas", "spu", id)
			c.reconcileLocked()
		}
	}
}

// spuReadyLocked reports whether SPU id is connected and has reported every
// replica assigned to it since it connected. The answer sticks for the
// session once true: later assignments do not take the SPU offline.
func (c *Controller) spuReadyLocked(id int32) bool {
	sess := c.sessions[id]
	if sess == nil {
		return false
	}
	if sess.ready {
		return true
	}
	for _, o := range c.store.List(protocol.LabelPartition) {
		if !slices.Contains(o.Spec.(*protocol.PartitionSpec).Replicas, id) {
			continue
		}
		key, _ := splitPartitionName(o.Name)
		if _, ok := c.reports[key][id]; !ok {
			return false
		}
	}
	sess.ready = true
	return true
}

// CreateSmartModule stores a SmartModule; its wasm must be gzip-compressed.
func (c *Controller) CreateSmartModule(name string, spec *protocol.SmartModuleSpec, dryRun bool) error {
	if name == "" {
		return &APIError{Code: protocol.ErrorCode{Code: protocol.SmartModuleInvalid, Message: "empty name"}, Message: "a SmartModule needs a name"}
	}
	p := spec.Wasm.Payload
	if len(p) < 2 || p[0] != 0x1f || p[1] != 0x8b {
		return &APIError{Code: protocol.ErrorCode{Code: protocol.SmartModuleInvalid, Message: "wasm payload is not gzip-compressed", Name: &name},
			Message: fmt.Sprintf("SmartModule %q: the wasm payload must be gzip-compressed", name)}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store.Get(protocol.LabelSmartModule, name) != nil {
		return apiErr(protocol.Other, "SmartModule %q already exists", name)
	}
	if dryRun {
		return nil
	}
	stored := *spec
	stored.Summary = nil
	_, err := c.store.Put(protocol.LabelSmartModule, name, &stored, &protocol.SmartModuleStatus{})
	return err
}

// DeleteSmartModule removes a SmartModule.
func (c *Controller) DeleteSmartModule(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store.Get(protocol.LabelSmartModule, name) == nil {
		return &APIError{Code: protocol.NewErrorMessage(protocol.SmartModuleNotFound, name), Message: fmt.Sprintf("SmartModule %q not found", name)}
	}
	_, err := c.store.Delete(protocol.LabelSmartModule, name)
	return err
}

// CreateTableFormat stores a table format.
func (c *Controller) CreateTableFormat(name string, spec *protocol.TableFormatSpec, dryRun bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "" {
		return apiErr(protocol.TableFormatError, "a table format needs a name")
	}
	if c.store.Get(protocol.LabelTableFormat, name) != nil {
		return apiErr(protocol.TableFormatAlreadyExists, "table format %q already exists", name)
	}
	if dryRun {
		return nil
	}
	_, err := c.store.Put(protocol.LabelTableFormat, name, spec, &protocol.TableFormatStatus{})
	return err
}

// DeleteTableFormat removes a table format.
func (c *Controller) DeleteTableFormat(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store.Get(protocol.LabelTableFormat, name) == nil {
		return apiErr(protocol.TableFormatNotFound, "table format %q not found", name)
	}
	_, err := c.store.Delete(protocol.LabelTableFormat, name)
	return err
}

// CreateSpuGroup stores an SPU group. Local clusters cannot start managed
// SPUs, so the group is stored Invalid with a reason saying so.
func (c *Controller) CreateSpuGroup(name string, spec *protocol.SpuGroupSpec, dryRun bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "" {
		return apiErr(protocol.Other, "an SPU group needs a name")
	}
	if c.store.Get(protocol.LabelSpuGroup, name) != nil {
		return apiErr(protocol.Other, "SPU group %q already exists", name)
	}
	if dryRun {
		return nil
	}
	reason := "SPU groups need a Kubernetes cluster; this cluster runs custom SPUs (fluvio-run spu)"
	_, err := c.store.Put(protocol.LabelSpuGroup, name, spec, &protocol.SpuGroupStatus{Resolution: protocol.SpuGroupInvalid, Reason: &reason})
	return err
}

// DeleteSpuGroup removes an SPU group.
func (c *Controller) DeleteSpuGroup(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.store.Get(protocol.LabelSpuGroup, name) == nil {
		return apiErr(protocol.Other, "SPU group %q not found", name)
	}
	_, err := c.store.Delete(protocol.LabelSpuGroup, name)
	return err
}

// onlineSPUs lists the ids of connected SPUs.
func (c *Controller) onlineSPUs() []int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int32, 0, len(c.sessions))
	for id := range c.sessions {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
