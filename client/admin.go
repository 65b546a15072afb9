package client

import (
	"context"
	"fmt"
	"sort"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Admin manages cluster objects: topics, partitions, SPUs, SmartModules.
type Admin struct{ c *Client }

// Admin returns the admin API of the client.
func (c *Client) Admin() *Admin { return &Admin{c: c} }

// TopicOptions describe a topic to create with computed replicas.
type TopicOptions struct {
	Partitions           uint32
	ReplicationFactor    uint32
	IgnoreRackAssignment bool
	// Compression is the topic compression setting (Any by default).
	Compression *protocol.CompressionAlgorithm
	// RetentionSeconds, SegmentSize and MaxPartitionSize are optional.
	RetentionSeconds *uint32
	SegmentSize      *uint32
	MaxPartitionSize *uint64
	System           bool
}

// Spec builds the TopicSpec these options describe.
func (o TopicOptions) Spec() *protocol.TopicSpec {
	if o.Partitions == 0 {
		o.Partitions = 1
	}
	if o.ReplicationFactor == 0 {
		o.ReplicationFactor = 1
	}
	spec := protocol.NewComputedTopicSpec(o.Partitions, o.ReplicationFactor)
	spec.Replicas.Computed.IgnoreRackAssignment = o.IgnoreRackAssignment
	if o.Compression != nil {
		spec.CompressionType = *o.Compression
	}
	if o.RetentionSeconds != nil {
		spec.CleanupPolicy = &protocol.CleanupPolicy{Segment: protocol.SegmentBasedPolicy{TimeInSeconds: *o.RetentionSeconds}}
	}
	if o.SegmentSize != nil || o.MaxPartitionSize != nil {
		spec.Storage = &protocol.TopicStorageConfig{SegmentSize: o.SegmentSize, MaxPartitionSize: o.MaxPartitionSize}
	}
	spec.System = o.System
	return spec
}

// statusErr turns a Status response into an error.
func statusErr(what string, st *protocol.Status) error {
	if st.ErrorCode.IsOK() {
		return nil
	}
	err := st.ErrorCode.Err()
	if st.ErrorMessage != nil && *st.ErrorMessage != "" {
		return fmt.Errorf("%s: %s: %w", what, *st.ErrorMessage, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Create creates an object of any kind (label) with spec.
func (a *Admin) Create(ctx context.Context, label, name string, dryRun bool, spec protocol.Message) error {
	v, ok := a.c.sc.version(protocol.KeyCreate, clientCreate)
	if !ok {
		return fmt.Errorf("no version found for: %d", protocol.KeyCreate)
	}
	ctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestTimeout)
	defer cancel()
	var st protocol.Status
	if err := a.c.sc.call(ctx, protocol.KeyCreate, v, &protocol.CreateRequest{Label: label, Name: name, DryRun: dryRun, Spec: spec}, &st); err != nil {
		return fmt.Errorf("create %s %s: %w", label, name, err)
	}
	return statusErr(fmt.Sprintf("create %s %s", label, name), &st)
}

// Delete deletes an object of any kind by name.
func (a *Admin) Delete(ctx context.Context, label, name string, force bool) error {
	v, ok := a.c.sc.version(protocol.KeyDelete, clientDelete)
	if !ok {
		return fmt.Errorf("no version found for: %d", protocol.KeyDelete)
	}
	ctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestTimeout)
	defer cancel()
	req := &protocol.DeleteRequest{Label: label, Key: name, Force: force}
	if label == protocol.LabelCustomSpu {
		req.SpuKey = protocol.CustomSpuKey{Name: name}
	}
	var st protocol.Status
	if err := a.c.sc.call(ctx, protocol.KeyDelete, v, req, &st); err != nil {
		return fmt.Errorf("delete %s %s: %w", label, name, err)
	}
	return statusErr(fmt.Sprintf("delete %s %s", label, name), &st)
}

// List lists objects of any kind; filters match by substring of the name.
func (a *Admin) List(ctx context.Context, label string, system bool, filters ...string) ([]protocol.Metadata, error) {
	v, ok := a.c.sc.version(protocol.KeyList, clientList)
	if !ok {
		return nil, fmt.Errorf("no version found for: %d", protocol.KeyList)
	}
	ctx, cancel := context.WithTimeout(ctx, a.c.opts.RequestTimeout)
	defer cancel()
	var resp protocol.ListResponse
	if err := a.c.sc.call(ctx, protocol.KeyList, v, &protocol.ListRequest{Label: label, NameFilters: filters, System: system}, &resp); err != nil {
		return nil, fmt.Errorf("list %s: %w", label, err)
	}
	if resp.Label != label {
		return nil, fmt.Errorf("list %s: cluster answered with %q objects", label, resp.Label)
	}
	sort.Slice(resp.Objects, func(i, j int) bool { return resp.Objects[i].Name < resp.Objects[j].Name })
	return resp.Objects, nil
}

// CreateTopic creates a topic with computed replicas and waits until this
// client's metadata shows it with all its partitions, so a producer or
// consumer made right after finds it.
func (a *Admin) CreateTopic(ctx context.Context, name string, opts TopicOptions) error {
	spec := opts.Spec()
	if err := a.Create(ctx, protocol.LabelTopic, name, false, spec); err != nil {
		return err
	}
	return a.c.waitTopic(ctx, name, true)
}

// DeleteTopic deletes a topic and waits until this client's metadata no
// longer shows it.
func (a *Admin) DeleteTopic(ctx context.Context, name string) error {
	if err := a.Delete(ctx, protocol.LabelTopic, name, false); err != nil {
		return err
	}
	return a.c.waitTopic(ctx, name, false)
}

// Topic is a topic as listed by the SC.
type Topic struct {
	Name   string
	Spec   *protocol.TopicSpec
	Status *protocol.TopicStatus
}

// ListTopics lists the (non-system) topics, optionally filtered by name.
func (a *Admin) ListTopics(ctx context.Context, filters ...string) ([]Topic, error) {
	return listObjects(a, ctx, protocol.LabelTopic, filters, func(name string, spec *protocol.TopicSpec, st *protocol.TopicStatus) Topic {
		return Topic{Name: name, Spec: spec, Status: st}
	})
}

// Partition is a partition as listed by the SC.
type Partition struct {
	Name   string
	Spec   *protocol.PartitionSpec
	Status *protocol.PartitionStatus
}

// ListPartitions lists partitions, optionally filtered by name.
func (a *Admin) ListPartitions(ctx context.Context, filters ...string) ([]Partition, error) {
	return listObjects(a, ctx, protocol.LabelPartition, filters, func(name string, spec *protocol.PartitionSpec, st *protocol.PartitionStatus) Partition {
		return Partition{Name: name, Spec: spec, Status: st}
	})
}

// SPU is a streaming unit as listed by the SC.
type SPU struct {
	Name   string
	Spec   *protocol.SpuSpec
	Status *protocol.SpuStatus
}

// ListSPUs lists the SPUs.
func (a *Admin) ListSPUs(ctx context.Context) ([]SPU, error) {
	return listObjects(a, ctx, protocol.LabelSPU, nil, func(name string, spec *protocol.SpuSpec, st *protocol.SpuStatus) SPU {
		return SPU{Name: name, Spec: spec, Status: st}
	})
}

// SmartModule is a SmartModule stored in the cluster.
type SmartModule struct {
	Name string
	Spec *protocol.SmartModuleSpec
}

// CreateSmartModule stores a SmartModule under name; wasm is the raw or
// gzipped module (it is gzipped here if it is raw, as Fluvio stores it).
func (a *Admin) CreateSmartModule(ctx context.Context, name string, wasm []byte) error {
	gz, err := gzipIfRaw(wasm)
	if err != nil {
		return err
	}
	spec := &protocol.SmartModuleSpec{Wasm: protocol.SmartModuleSpecWasm{Format: protocol.WasmFormatBinary, Payload: gz}}
	return a.Create(ctx, protocol.LabelSmartModule, name, false, spec)
}

// ListSmartModules lists SmartModules (summaries: wasm stripped).
func (a *Admin) ListSmartModules(ctx context.Context, filters ...string) ([]SmartModule, error) {
	objs, err := a.List(ctx, protocol.LabelSmartModule, false, filters...)
	if err != nil {
		return nil, err
	}
	out := make([]SmartModule, 0, len(objs))
	for _, o := range objs {
		spec, _ := o.Spec.(*protocol.SmartModuleSpec)
		out = append(out, SmartModule{Name: o.Name, Spec: spec})
	}
	return out, nil
}

// DeleteSmartModule deletes a SmartModule.
func (a *Admin) DeleteSmartModule(ctx context.Context, name string) error {
	return a.Delete(ctx, protocol.LabelSmartModule, name, false)
}

// listObjects lists objects of one kind and converts each with mk.
func listObjects[S, T protocol.Message, O any](a *Admin, ctx context.Context, label string, filters []string, mk func(string, S, T) O) ([]O, error) {
	objs, err := a.List(ctx, label, false, filters...)
	if err != nil {
		return nil, err
	}
	out := make([]O, 0, len(objs))
	for _, o := range objs {
		spec, _ := o.Spec.(S)
		st, _ := o.Status.(T)
		out = append(out, mk(o.Name, spec, st))
	}
	return out, nil
}
