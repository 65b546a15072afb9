package protocol

// FetchOffsets (api key 1002 on the SPU), spec §4.4;
// fluvio-spu-schema server/fetch_offset.rs. Sent before every stream to learn
// a partition's start offset and high watermark.

// FetchOffsetsConsumerIDVersion is the only version carrying consumer_id
// (v23 exactly: HEAD dropped it above 23).
const FetchOffsetsConsumerIDVersion int16 = 23

// FetchOffsetsRequest asks for the offsets of partitions.
type FetchOffsetsRequest struct {
	Topics []FetchOffsetTopic
	// ConsumerID, when set, makes the SPU return stored offset + 1 as the
	// start offset (v23 only).
	ConsumerID *string // v23 only
}

// FetchOffsetTopic lists the partitions of one topic.
type FetchOffsetTopic struct {
	Name       string
	Partitions []FetchOffsetPartition
}

// FetchOffsetPartition names one partition.
type FetchOffsetPartition struct {
	PartitionIndex uint32
}

// Encode appends the request body at version.
func (f *FetchOffsetsRequest) Encode(dst []byte, version int16) []byte {
	dst = AppendArrayLen(dst, len(f.Topics))
	for i := range f.Topics {
		t := &f.Topics[i]
		dst = AppendString(dst, t.Name)
		dst = AppendArrayLen(dst, len(t.Partitions))
		for _, p := range t.Partitions {
			dst = AppendUint32(dst, p.PartitionIndex)
		}
	}
	if version == FetchOffsetsConsumerIDVersion {
		dst = AppendOptString(dst, f.ConsumerID)
	}
	return dst
}

// Decode reads the request body at version.
func (f *FetchOffsetsRequest) Decode(r *Reader, version int16) {
	*f = FetchOffsetsRequest{}
	if n := r.ArrayLen(6); n > 0 {
		f.Topics = make([]FetchOffsetTopic, n)
		for i := range f.Topics {
			t := &f.Topics[i]
			t.Name = r.String()
			if m := r.ArrayLen(4); m > 0 {
				t.Partitions = make([]FetchOffsetPartition, m)
				for j := range t.Partitions {
					t.Partitions[j].PartitionIndex = r.Uint32()
				}
			}
			if r.Err() != nil {
				f.Topics = nil
				return
			}
		}
	}
	if version == FetchOffsetsConsumerIDVersion {
		f.ConsumerID = r.OptString()
	}
}

// FetchOffsetsResponse answers a FetchOffsetsRequest.
type FetchOffsetsResponse struct {
	Topics []FetchOffsetTopicResponse
}

// FetchOffsetTopicResponse holds the offsets of one topic's partitions.
type FetchOffsetTopicResponse struct {
	Name       string
	Partitions []FetchOffsetPartitionResponse
}

// FetchOffsetPartitionResponse holds one partition's offsets. Note that
// the error code comes first on the wire.
type FetchOffsetPartitionResponse struct {
	ErrorCode      ErrorCode
	PartitionIndex uint32
	// StartOffset is the log start (or stored consumer offset + 1).
	StartOffset int64
	// LastStableOffset is the high watermark.
	LastStableOffset int64
}

// Encode appends the response body.
func (f *FetchOffsetsResponse) Encode(dst []byte, _ int16) []byte {
	dst = AppendArrayLen(dst, len(f.Topics))
	for i := range f.Topics {
		t := &f.Topics[i]
		dst = AppendString(dst, t.Name)
		dst = AppendArrayLen(dst, len(t.Partitions))
		for j := range t.Partitions {
			p := &t.Partitions[j]
			dst = p.ErrorCode.Encode(dst)
			dst = AppendUint32(dst, p.PartitionIndex)
			dst = AppendInt64(dst, p.StartOffset)
			dst = AppendInt64(dst, p.LastStableOffset)
		}
	}
	return dst
}

// Decode reads the response body.
func (f *FetchOffsetsResponse) Decode(r *Reader, _ int16) {
	*f = FetchOffsetsResponse{}
	if n := r.ArrayLen(6); n > 0 {
		f.Topics = make([]FetchOffsetTopicResponse, n)
		for i := range f.Topics {
			t := &f.Topics[i]
			t.Name = r.String()
			if m := r.ArrayLen(22); m > 0 {
				t.Partitions = make([]FetchOffsetPartitionResponse, m)
				for j := range t.Partitions {
					p := &t.Partitions[j]
					p.ErrorCode.Decode(r)
					p.PartitionIndex = r.Uint32()
					p.StartOffset = r.Int64()
					p.LastStableOffset = r.Int64()
				}
			}
			if r.Err() != nil {
				f.Topics = nil
				return
			}
		}
	}
}
