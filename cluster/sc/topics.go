package sc

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// The system topic holding consumer offsets (spec §3.4, §8.1).
const (
	ConsumerOffsetTopic        = "consumer-offset"
	consumerOffsetRetention    = 7 * 24 * 3600
	consumerOffsetSegment      = 512000000
	consumerOffsetMaxPartition = 2048000000
)

// Topic configuration bounds (the real SC's validate_config).
const (
	minRetentionSeconds = 10
	minSegmentSize      = 1024
	minMaxPartitionSize = 2048
	maxTopicNameLen     = 63
)

// ValidateTopicName checks Fluvio's topic name rule: 1-63 characters of
// [a-z0-9-], not starting or ending with '-'.
func ValidateTopicName(name string) error {
	bad := len(name) == 0 || len(name) > maxTopicNameLen || name[0] == '-' || name[len(name)-1] == '-'
	for i := 0; i < len(name) && !bad; i++ {
		ch := name[i]
		bad = !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-')
	}
	if bad {
		return apiErr(protocol.TopicInvalidName,
			"invalid topic name %q: a topic name is 1 to %d characters of lowercase letters, digits and '-', and does not start or end with '-'",
			name, maxTopicNameLen)
	}
	return nil
}

// validateTopicConfig checks retention and storage bounds.
func validateTopicConfig(spec *protocol.TopicSpec) error {
	if cp := spec.CleanupPolicy; cp != nil && cp.Segment.TimeInSeconds < minRetentionSeconds {
		return apiErr(protocol.TopicInvalidConfiguration, "retention time %ds is below the minimum of %ds", cp.Segment.TimeInSeconds, minRetentionSeconds)
	}
	if st := spec.Storage; st != nil {
		segment := uint64(controlplane.DefaultSegmentSize)
		if st.SegmentSize != nil {
			if *st.SegmentSize < minSegmentSize {
				return apiErr(protocol.TopicInvalidConfiguration, "segment size %d bytes is below the minimum of %d bytes", *st.SegmentSize, minSegmentSize)
			}
			segment = uint64(*st.SegmentSize)
		}
		if st.MaxPartitionSize != nil {
			if *st.MaxPartitionSize < minMaxPartitionSize {
				return apiErr(protocol.TopicInvalidConfiguration, "max partition size %d bytes is below the minimum of %d bytes", *st.MaxPartitionSize, minMaxPartitionSize)
			}
			if *st.MaxPartitionSize < segment {
				return apiErr(protocol.TopicInvalidConfiguration, "max partition size %d bytes is smaller than the segment size %d bytes", *st.MaxPartitionSize, segment)
			}
		}
	}
	return nil
}

// replicaConfig is the storage configuration pushed to SPUs, with Fluvio's
// defaults filled in.
func replicaConfig(p *protocol.PartitionSpec) controlplane.ReplicaConfig {
	c := controlplane.ReplicaConfig{
		Compression:      p.CompressionType,
		RetentionSeconds: controlplane.DefaultRetentionSeconds,
		SegmentSize:      controlplane.DefaultSegmentSize,
		MaxPartitionSize: controlplane.DefaultMaxPartitionSize,
		System:           p.System,
	}
	if p.CleanupPolicy != nil {
		c.RetentionSeconds = p.CleanupPolicy.Segment.TimeInSeconds
	}
	if p.Storage != nil {
		if p.Storage.SegmentSize != nil {
			c.SegmentSize = *p.Storage.SegmentSize
		}
		if p.Storage.MaxPartitionSize != nil {
			c.MaxPartitionSize = *p.Storage.MaxPartitionSize
		}
	}
	return c
}

// spuRef is an online SPU as replica assignment sees it.
type spuRef struct {
	id   int32
	rack string
}

// assignReplicas computes partitions replica lists (leader first) over
// spus, starting the leaders at start and going round-robin; followers are
// the next SPUs on the ring. Unless ignoreRack, SPUs are ordered so racks
// alternate, spreading a partition's replicas over racks.
func assignReplicas(spus []spuRef, partitions, rf uint32, start int, ignoreRack bool) [][]int32 {
	order := slices.Clone(spus)
	sort.Slice(order, func(i, j int) bool { return order[i].id < order[j].id })
	if !ignoreRack && slices.ContainsFunc(order, func(s spuRef) bool { return s.rack != "" }) {
		byRack := map[string][]spuRef{}
		var racks []string
		for _, s := range order {
			if _, ok := byRack[s.rack]; !ok {
				racks = append(racks, s.rack)
			}
			byRack[s.rack] = append(byRack[s.rack], s)
		}
		sort.Strings(racks)
		order = order[:0]
		for i := 0; len(order) < len(spus); i++ {
			for _, r := range racks {
				if i < len(byRack[r]) {
					order = append(order, byRack[r][i])
				}
			}
		}
	}
	n := len(order)
	out := make([][]int32, partitions)
	for p := range out {
		leader := (start + p) % n
		reps := make([]int32, rf)
		for k := range reps {
			reps[k] = order[(leader+k)%n].id
		}
		out[p] = reps
	}
	return out
}

// validateAssigned checks an explicit replica map: partition ids 0..n-1,
// each with at least one replica, no duplicate SPU, every SPU known.
func validateAssigned(maps []protocol.PartitionMap, known map[int32]bool) ([][]int32, error) {
	if len(maps) == 0 {
		return nil, apiErr(protocol.TopicError, "the replica assignment has no partitions")
	}
	out := make([][]int32, len(maps))
	for _, m := range maps {
		if int(m.ID) >= len(maps) || out[m.ID] != nil {
			return nil, apiErr(protocol.TopicError, "partition ids of a replica assignment must be 0 to %d, each once (got %d)", len(maps)-1, m.ID)
		}
		if len(m.Replicas) == 0 {
			return nil, apiErr(protocol.TopicError, "partition %d has no replicas", m.ID)
		}
		seen := map[int32]bool{}
		for _, id := range m.Replicas {
			if seen[id] {
				return nil, apiErr(protocol.TopicError, "partition %d lists SPU %d twice", m.ID, id)
			}
			if !known[id] {
				return nil, apiErr(protocol.TopicError, "partition %d is assigned to SPU %d, which is not registered", m.ID, id)
			}
			seen[id] = true
		}
		out[m.ID] = slices.Clone(m.Replicas)
	}
	return out, nil
}

// PartitionName is the store key of a partition: "<topic>-<n>".
func PartitionName(topic string, p uint32) string {
	return topic + "-" + strconv.FormatUint(uint64(p), 10)
}

// splitPartitionName parses "<topic>-<n>" at the last '-'.
func splitPartitionName(name string) (controlplane.ReplicaKey, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return controlplane.ReplicaKey{}, false
	}
	n, err := strconv.ParseUint(name[i+1:], 10, 32)
	if err != nil {
		return controlplane.ReplicaKey{}, false
	}
	return controlplane.ReplicaKey{Topic: name[:i], Partition: uint32(n)}, true
}

// partitionSpecFor copies a topic's configuration into a partition spec.
func partitionSpecFor(t *protocol.TopicSpec, replicas []int32) *protocol.PartitionSpec {
	return &protocol.PartitionSpec{
		Leader:          replicas[0],
		Replicas:        slices.Clone(replicas),
		CleanupPolicy:   t.CleanupPolicy,
		Storage:         t.Storage,
		CompressionType: t.CompressionType,
		Deduplication:   t.Deduplication,
		System:          t.System,
	}
}

// consumerOffsetSpec is the spec of the consumer-offset system topic.
func consumerOffsetSpec() *protocol.TopicSpec {
	seg := uint32(consumerOffsetSegment)
	maxp := uint64(consumerOffsetMaxPartition)
	s := protocol.NewComputedTopicSpec(1, 1)
	s.CleanupPolicy = &protocol.CleanupPolicy{Segment: protocol.SegmentBasedPolicy{TimeInSeconds: consumerOffsetRetention}}
	s.Storage = &protocol.TopicStorageConfig{SegmentSize: &seg, MaxPartitionSize: &maxp}
	s.System = true
	return s
}

func replicaMap(assign [][]int32) map[uint32][]int32 {
	m := make(map[uint32][]int32, len(assign))
	for i, r := range assign {
		m[uint32(i)] = slices.Clone(r)
	}
	return m
}

func fmtSPUs(n int) string {
	if n == 1 {
		return "1 online SPU"
	}
	return fmt.Sprintf("%d online SPUs", n)
}
