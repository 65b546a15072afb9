package protocol

// Fetch (api key 1), spec §4.8 and the shared FetchablePartitionResponse of
// §4.5.1; fluvio-spu-schema fetch/{request,response}.rs. The SPU advertises
// Fetch but no Fluvio client sends it.

// Version gates of Fetch.
const (
	FetchMaxBytesVersion         int16 = 3  // FetchRequest.max_bytes
	FetchIsolationVersion        int16 = 4  // FetchRequest.isolation_level
	FetchLogStartVersion         int16 = 5  // FetchPartition.log_start_offset
	FetchForgottenVersion        int16 = 7  // FetchRequest.forgotten and its fields
	FetchLeaderEpochVersion      int16 = 9  // FetchPartition.current_leader_epoch
	FetchNextFilterOffsetVersion int16 = 11 // FetchablePartitionResponse.next_filter_offset
)

// FetchRequest is a Kafka-like one-shot fetch.
type FetchRequest struct {
	MaxWait        int32
	MinBytes       int32
	MaxBytes       int32     // v3+
	IsolationLevel Isolation // v4+
	Topics         []FetchableTopic
	Forgotten      []ForgottenTopic // v7+
}

// FetchableTopic lists the partitions to fetch from one topic.
type FetchableTopic struct {
	Name            string
	FetchPartitions []FetchPartition
}

// FetchPartition says where to fetch one partition from.
type FetchPartition struct {
	PartitionIndex     uint32
	CurrentLeaderEpoch int32 // v9+
	FetchOffset        int64
	LogStartOffset     int64 // v5+
	MaxBytes           int32
}

// ForgottenTopic lists partitions removed from an incremental fetch session.
// Both fields are v7+, so below v7 an entry encodes to nothing.
type ForgottenTopic struct {
	Name                      string  // v7+
	ForgottenPartitionIndexes []int32 // v7+
}

// Encode appends the request body at version.
func (f *FetchRequest) Encode(dst []byte, version int16) []byte {
	dst = AppendInt32(dst, f.MaxWait)
	dst = AppendInt32(dst, f.MinBytes)
	if version >= FetchMaxBytesVersion {
		dst = AppendInt32(dst, f.MaxBytes)
	}
	if version >= FetchIsolationVersion {
		dst = AppendUint8(dst, uint8(f.IsolationLevel))
	}
	dst = AppendArrayLen(dst, len(f.Topics))
	for i := range f.Topics {
		t := &f.Topics[i]
		dst = AppendString(dst, t.Name)
		dst = AppendArrayLen(dst, len(t.FetchPartitions))
		for j := range t.FetchPartitions {
			p := &t.FetchPartitions[j]
			dst = AppendUint32(dst, p.PartitionIndex)
			if version >= FetchLeaderEpochVersion {
				dst = AppendInt32(dst, p.CurrentLeaderEpoch)
			}
			dst = AppendInt64(dst, p.FetchOffset)
			if version >= FetchLogStartVersion {
				dst = AppendInt64(dst, p.LogStartOffset)
			}
			dst = AppendInt32(dst, p.MaxBytes)
		}
	}
	if version >= FetchForgottenVersion {
		dst = AppendArrayLen(dst, len(f.Forgotten))
		for i := range f.Forgotten {
			t := &f.Forgotten[i]
			dst = AppendString(dst, t.Name)
			dst = AppendArrayLen(dst, len(t.ForgottenPartitionIndexes))
			for _, p := range t.ForgottenPartitionIndexes {
				dst = AppendInt32(dst, p)
			}
		}
	}
	return dst
}

// Decode reads the request body at version.
func (f *FetchRequest) Decode(r *Reader, version int16) {
	*f = FetchRequest{}
	f.MaxWait = r.Int32()
	f.MinBytes = r.Int32()
	if version >= FetchMaxBytesVersion {
		f.MaxBytes = r.Int32()
	}
	if version >= FetchIsolationVersion {
		f.IsolationLevel = readIsolation(r)
	}
	if n := r.ArrayLen(6); n > 0 {
		f.Topics = make([]FetchableTopic, n)
		for i := range f.Topics {
			t := &f.Topics[i]
			t.Name = r.String()
			if m := r.ArrayLen(16); m > 0 { // index, offset, max_bytes
				t.FetchPartitions = make([]FetchPartition, m)
				for j := range t.FetchPartitions {
					p := &t.FetchPartitions[j]
					p.PartitionIndex = r.Uint32()
					if version >= FetchLeaderEpochVersion {
						p.CurrentLeaderEpoch = r.Int32()
					}
					p.FetchOffset = r.Int64()
					if version >= FetchLogStartVersion {
						p.LogStartOffset = r.Int64()
					}
					p.MaxBytes = r.Int32()
				}
			}
			if r.Err() != nil {
				f.Topics = nil
				return
			}
		}
	}
	if version >= FetchForgottenVersion {
		if n := r.ArrayLen(6); n > 0 {
			f.Forgotten = make([]ForgottenTopic, n)
			for i := range f.Forgotten {
				t := &f.Forgotten[i]
				t.Name = r.String()
				if m := r.ArrayLen(4); m > 0 {
					t.ForgottenPartitionIndexes = make([]int32, m)
					for j := range t.ForgottenPartitionIndexes {
						t.ForgottenPartitionIndexes[j] = r.Int32()
					}
				}
				if r.Err() != nil {
					f.Forgotten = nil
					return
				}
			}
		}
	}
}

// readIsolation reads the u8 Isolation enum; values other than 0 and 1 are
// invalid.
func readIsolation(r *Reader) Isolation {
	v := Isolation(r.Uint8())
	if v > ReadCommitted {
		r.Failf("unknown Isolation %d", v)
		return ReadUncommitted
	}
	return v
}

// FetchResponse answers a FetchRequest.
type FetchResponse struct {
	ThrottleTimeMs int32
	ErrorCode      ErrorCode
	SessionID      int32
	Topics         []FetchableTopicResponse
}

// FetchableTopicResponse holds the fetched partitions of one topic.
type FetchableTopicResponse struct {
	Name       string
	Partitions []FetchablePartitionResponse
}

// AbortedTransaction is part of the Kafka-shaped fetch response; Fluvio
// never fills it.
type AbortedTransaction struct {
	ProducerID  int64
	FirstOffset int64
}

// FetchablePartitionResponse carries one partition's records and offsets, in
// Fetch and StreamFetch responses.
type FetchablePartitionResponse struct {
	PartitionIndex uint32
	// ErrorCode is delivered to the consumer after the records.
	ErrorCode     ErrorCode
	HighWatermark int64
	// NextFilterOffset, when > 0, is the offset the consumer acknowledges
	// next (set when a SmartModule filtered records out).
	NextFilterOffset int64 // v11+
	LogStartOffset   int64
	// Aborted is always nil on Fluvio.
	Aborted *[]AbortedTransaction
	Records RecordSet
}

// Encode appends the partition response at version.
func (p *FetchablePartitionResponse) Encode(dst []byte, version int16) []byte {
	dst = AppendUint32(dst, p.PartitionIndex)
	dst = p.ErrorCode.Encode(dst)
	dst = AppendInt64(dst, p.HighWatermark)
	if version >= FetchNextFilterOffsetVersion {
		dst = AppendInt64(dst, p.NextFilterOffset)
	}
	dst = AppendInt64(dst, p.LogStartOffset)
	if p.Aborted == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = AppendArrayLen(dst, len(*p.Aborted))
		for _, a := range *p.Aborted {
			dst = AppendInt64(dst, a.ProducerID)
			dst = AppendInt64(dst, a.FirstOffset)
		}
	}
	return p.Records.Encode(dst)
}

// Decode reads the partition response at version. Record bytes alias r's
// buffer.
func (p *FetchablePartitionResponse) Decode(r *Reader, version int16) {
	*p = FetchablePartitionResponse{}
	p.PartitionIndex = r.Uint32()
	p.ErrorCode.Decode(r)
	p.HighWatermark = r.Int64()
	if version >= FetchNextFilterOffsetVersion {
		p.NextFilterOffset = r.Int64()
	}
	p.LogStartOffset = r.Int64()
	if r.Bool() {
		var ab []AbortedTransaction
		if n := r.ArrayLen(16); n > 0 {
			ab = make([]AbortedTransaction, n)
			for i := range ab {
				ab[i].ProducerID = r.Int64()
				ab[i].FirstOffset = r.Int64()
			}
		}
		p.Aborted = &ab
	}
	p.Records.Decode(r)
}

// fetchablePartitionMinSize is the smallest encoding of a
// FetchablePartitionResponse at any version.
const fetchablePartitionMinSize = 4 + 2 + 8 + 8 + 1 + 4

// Encode appends the response body at version.
func (f *FetchResponse) Encode(dst []byte, version int16) []byte {
	dst = AppendInt32(dst, f.ThrottleTimeMs)
	dst = f.ErrorCode.Encode(dst)
	dst = AppendInt32(dst, f.SessionID)
	dst = AppendArrayLen(dst, len(f.Topics))
	for i := range f.Topics {
		t := &f.Topics[i]
		dst = AppendString(dst, t.Name)
		dst = AppendArrayLen(dst, len(t.Partitions))
		for j := range t.Partitions {
			dst = t.Partitions[j].Encode(dst, version)
		}
	}
	return dst
}

// Decode reads the response body at version.
func (f *FetchResponse) Decode(r *Reader, version int16) {
	*f = FetchResponse{}
	f.ThrottleTimeMs = r.Int32()
	f.ErrorCode.Decode(r)
	f.SessionID = r.Int32()
	if n := r.ArrayLen(6); n > 0 {
		f.Topics = make([]FetchableTopicResponse, n)
		for i := range f.Topics {
			t := &f.Topics[i]
			t.Name = r.String()
			if m := r.ArrayLen(fetchablePartitionMinSize); m > 0 {
				t.Partitions = make([]FetchablePartitionResponse, m)
				for j := range t.Partitions {
					t.Partitions[j].Decode(r, version)
				}
			}
			if r.Err() != nil {
				f.Topics = nil
				return
			}
		}
	}
}
