package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// MinimumPlatformVersion is the oldest cluster this client talks to, as in
// the Rust client.
const MinimumPlatformVersion = "0.9.0"

// Client-side version ranges (what the v0.11.11 Rust client speaks).
var (
	clientCreate        = protocol.VersionRange{Min: 9, Max: 16}
	clientDelete        = protocol.VersionRange{Min: 1, Max: 16}
	clientList          = protocol.VersionRange{Min: 15, Max: 16}
	clientWatch         = protocol.VersionRange{Min: 15, Max: 16}
	clientProduce       = protocol.VersionRange{Min: 0, Max: 23}
	clientFetchOffsets  = protocol.VersionRange{Min: 22, Max: 23}
	clientStreamFetch   = protocol.VersionRange{Min: 22, Max: 23}
	clientUpdateOffsets = protocol.VersionRange{Min: 0, Max: 0}
	// clientSPUDefault is the version of requests the SPU does not
	// advertise (the consumer-offset APIs), as the Rust client sends them.
	clientSPUDefault int16 = 23
)

// Errors returned by the client.
var (
	ErrTopicNotFound     = errors.New("client: topic not found")
	ErrPartitionNotFound = errors.New("client: partition not found")
	ErrSPUNotFound       = errors.New("client: SPU not found")
	ErrMetadataTimeout   = errors.New("client: timed out waiting for cluster metadata")
)

// Options configure Connect.
type Options struct {
	// ClientID is sent in every request header ("fluvio" by default).
	ClientID string
	// UseSPULocalAddress connects to an SPU's public_endpoint_local when
	// it advertises one.
	UseSPULocalAddress bool
	// MetadataTimeout bounds how long lookups wait for the first metadata
	// (60 s by default, like FLV_METADATA_TIMEOUT).
	MetadataTimeout time.Duration
	// RequestTimeout bounds each serial request (60 s by default).
	RequestTimeout time.Duration
}

// Client is a connection to a Fluvio cluster. It is safe for concurrent use.
type Client struct {
	opts     Options
	scAddr   string
	sc       *socket
	platform *semver.Version

	spus       *store[*protocol.SpuSpec, *protocol.SpuStatus]
	partitions *store[*protocol.PartitionSpec, *protocol.PartitionStatus]
	topics     *store[*protocol.TopicSpec, *protocol.TopicStatus]

	mu      sync.Mutex
	spuConn map[int32]*socket
	closed  bool
}

// Connect dials the SC at addr ("host:port"), negotiates versions, checks
// the platform version and starts the metadata watches.
func Connect(ctx context.Context, addr string, opts ...Options) (*Client, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.ClientID == "" {
		o.ClientID = "fluvio"
	}
	if o.MetadataTimeout == 0 {
		o.MetadataTimeout = 60 * time.Second
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 60 * time.Second
	}
	sc, err := dialSocket(ctx, addr, o.ClientID)
	if err != nil {
		return nil, err
	}
	pv, err := semver.NewVersion(sc.versions.PlatformVersion)
	if err != nil {
		sc.Close()
		return nil, fmt.Errorf("cluster at %s: platform version %q is not valid semver", addr, sc.versions.PlatformVersion)
	}
	if pv.LessThan(semver.MustParse(MinimumPlatformVersion)) {
		sc.Close()
		return nil, fmt.Errorf("cluster at %s (platform version %s) is older than the minimum required version %s", addr, pv, MinimumPlatformVersion)
	}
	c := &Client{opts: o, scAddr: addr, sc: sc, platform: pv, spuConn: map[int32]*socket{}}
	c.spus = newStore[*protocol.SpuSpec, *protocol.SpuStatus]()
	c.partitions = newStore[*protocol.PartitionSpec, *protocol.PartitionStatus]()
	c.topics = newStore[*protocol.TopicSpec, *protocol.TopicStatus]()
	for _, w := range []struct {
		label string
		apply func(*protocol.WatchResponse)
	}{
		{protocol.LabelSPU, c.spus.apply},
		{protocol.LabelPartition, c.partitions.apply},
		{protocol.LabelTopic, c.topics.apply},
	} {
		if err := c.watch(w.label, w.apply); err != nil {
			sc.Close()
			return nil, err
		}
	}
	return c, nil
}

// PlatformVersion is the cluster's platform version.
func (c *Client) PlatformVersion() string { return c.platform.String() }

// Addr is the SC address this client is connected to.
func (c *Client) Addr() string { return c.scAddr }

// Close closes every connection of the client.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conns := c.spuConn
	c.spuConn = map[int32]*socket{}
	c.mu.Unlock()
	for _, s := range conns {
		s.Close()
	}
	return c.sc.Close()
}

// watch opens a Watch stream for label and applies every frame to a store.
func (c *Client) watch(label string, apply func(*protocol.WatchResponse)) error {
	v, ok := c.sc.version(protocol.KeyWatch, clientWatch)
	if !ok {
		return fmt.Errorf("cluster at %s: WatchApi version not found", c.scAddr)
	}
	// Metadata watches use the bare default header, client id "dummy",
	// exactly as the Rust client does.
	st, err := c.sc.openStream(protocol.KeyWatch, v, &protocol.WatchRequest{Label: label}, 16, "dummy", nil, nil)
	if err != nil {
		return fmt.Errorf("watch %s: %w", label, err)
	}
	go func() {
		defer st.close()
		for {
			var resp protocol.WatchResponse
			if err := st.next(context.Background(), &resp); err != nil {
				if errors.Is(err, ErrClosed) || c.sc.closedErr() != nil {
					return
				}
				continue // a frame that fails to decode is skipped
			}
			if resp.Label != label {
				continue
			}
			apply(&resp)
		}
	}()
	return nil
}

// spuSocket returns the (shared) connection to the leader SPU of a
// partition.
func (c *Client) spuSocket(ctx context.Context, leader int32) (*socket, error) {
	c.mu.Lock()
	if s := c.spuConn[leader]; s != nil && s.closedErr() == nil {
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()
	spu, err := c.spus.waitFor(ctx, c.opts.MetadataTimeout, func(m map[string]*object[*protocol.SpuSpec, *protocol.SpuStatus]) (*object[*protocol.SpuSpec, *protocol.SpuStatus], bool) {
		for _, o := range m {
			if o.Spec.ID == leader {
				return o, true
			}
		}
		return nil, false
	})
	if err != nil {
		return nil, fmt.Errorf("SPU %d: %w", leader, err)
	}
	addr := c.spuAddr(spu.Spec)
	s, err := dialSocket(ctx, addr, c.opts.ClientID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		s.Close()
		return nil, ErrClosed
	}
	if old := c.spuConn[leader]; old != nil && old.closedErr() == nil {
		s.Close()
		return old, nil
	}
	c.spuConn[leader] = s
	return s, nil
}

func (c *Client) spuAddr(spec *protocol.SpuSpec) string {
	if c.opts.UseSPULocalAddress && spec.PublicEndpointLocal != nil {
		return net.JoinHostPort(spec.PublicEndpointLocal.Host, strconv.Itoa(int(spec.PublicEndpointLocal.Port)))
	}
	host := ""
	if len(spec.PublicEndpoint.Ingress) > 0 {
		in := spec.PublicEndpoint.Ingress[0]
		if in.Hostname != nil {
			host = *in.Hostname
		} else if in.IP != nil {
			host = *in.IP
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(int(spec.PublicEndpoint.Port)))
}

// partitionLeader waits for the partition's metadata and returns its leader.
func (c *Client) partitionLeader(ctx context.Context, topic string, partition uint32) (int32, error) {
	name := topic + "-" + strconv.FormatUint(uint64(partition), 10)
	p, err := c.partitions.waitFor(ctx, c.opts.MetadataTimeout, func(m map[string]*object[*protocol.PartitionSpec, *protocol.PartitionStatus]) (*object[*protocol.PartitionSpec, *protocol.PartitionStatus], bool) {
		if o := m[name]; o != nil {
			return o, true
		}
		if _, ok := c.topics.get(topic); !ok && c.topics.initialized() {
			return nil, true
		}
		return nil, false
	})
	if err != nil {
		return 0, err
	}
	if p == nil {
		if _, ok := c.topics.get(topic); !ok {
			return 0, fmt.Errorf("%w: %s", ErrTopicNotFound, topic)
		}
		return 0, fmt.Errorf("%w: %s", ErrPartitionNotFound, name)
	}
	return p.Spec.Leader, nil
}

// topicSpec waits for a topic's metadata.
func (c *Client) topicSpec(ctx context.Context, topic string) (*protocol.TopicSpec, error) {
	t, err := c.topics.waitFor(ctx, c.opts.MetadataTimeout, func(m map[string]*object[*protocol.TopicSpec, *protocol.TopicStatus]) (*object[*protocol.TopicSpec, *protocol.TopicStatus], bool) {
		o := m[topic]
		return o, true
	})
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("%w: %s", ErrTopicNotFound, topic)
	}
	return t.Spec, nil
}

// object is one metadata object of a store.
type object[S, T protocol.Message] struct {
	Name   string
	Spec   S
	Status T
}

// store is a local replica of one SC object kind, kept by a Watch stream.
type store[S, T protocol.Message] struct {
	mu      sync.Mutex
	objs    map[string]*object[S, T]
	init    bool
	changed chan struct{}
}

func newStore[S, T protocol.Message]() *store[S, T] {
	return &store[S, T]{objs: map[string]*object[S, T]{}, changed: make(chan struct{})}
}

func (s *store[S, T]) apply(resp *protocol.WatchResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conv := func(m protocol.Metadata) (*object[S, T], bool) {
		spec, ok1 := m.Spec.(S)
		status, ok2 := m.Status.(T)
		return &object[S, T]{Name: m.Name, Spec: spec, Status: status}, ok1 && ok2
	}
	switch {
	case len(resp.All) > 0:
		s.objs = make(map[string]*object[S, T], len(resp.All))
		for _, m := range resp.All {
			if o, ok := conv(m); ok {
				s.objs[m.Name] = o
			}
		}
	case len(resp.Changes) > 0:
		for _, ch := range resp.Changes {
			if ch.Op == protocol.MsgDelete {
				delete(s.objs, ch.Object.Name)
			} else if o, ok := conv(ch.Object); ok {
				s.objs[ch.Object.Name] = o
			}
		}
	default:
		return
	}
	s.init = true
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *store[S, T]) initialized() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.init
}

func (s *store[S, T]) get(name string) (*object[S, T], bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objs[name]
	return o, ok
}

// waitFor calls find on the store (once initialized) until it reports done,
// waking on every change; it gives up after timeout.
func (s *store[S, T]) waitFor(ctx context.Context, timeout time.Duration, find func(map[string]*object[S, T]) (*object[S, T], bool)) (*object[S, T], error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		if s.init {
			if o, done := find(s.objs); done {
				s.mu.Unlock()
				return o, nil
			}
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, ErrMetadataTimeout
		}
	}
}

// waitTopic waits until the topic and all its partitions are in the local
// metadata (present) or the topic is gone (!present).
func (c *Client) waitTopic(ctx context.Context, topic string, present bool) error {
	deadline := time.NewTimer(c.opts.MetadataTimeout)
	defer deadline.Stop()
	for {
		ch1, ch2 := c.topics.changes(), c.partitions.changes()
		t, ok := c.topics.get(topic)
		if !present && !ok {
			return nil
		}
		if present && ok {
			all := true
			for p := uint32(0); p < t.Spec.Partitions(); p++ {
				if _, ok := c.partitions.get(topic + "-" + strconv.FormatUint(uint64(p), 10)); !ok {
					all = false
					break
				}
			}
			if all {
				return nil
			}
		}
		select {
		case <-ch1:
		case <-ch2:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("topic %s: %w", topic, ErrMetadataTimeout)
		}
	}
}

func (s *store[S, T]) changes() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}
