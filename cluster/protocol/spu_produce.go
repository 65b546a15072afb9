package protocol

import "encoding/binary"

// Produce (api key 0), spec §4.3; fluvio-spu-schema produce/{request,response}.rs.
// The request has a hand-written codec in Rust: transactional_id is always
// present and smartmodules appear from v8.

// Isolation is the read isolation of produce and fetch requests.
type Isolation uint8

// Isolation levels (their u8 values are the StreamFetch/Fetch encoding).
const (
	ReadUncommitted Isolation = 0
	ReadCommitted   Isolation = 1
)

func (i Isolation) String() string {
	if i == ReadCommitted {
		return "ReadCommitted"
	}
	return "ReadUncommitted"
}

// Version gates of Produce.
const (
	ProduceSmartModulesVersion int16 = 8 // ProduceRequest.smartmodules
	ProduceThrottleVersion     int16 = 1 // ProduceResponse.throttle_time_ms
	ProduceAppendTimeVersion   int16 = 2 // PartitionProduceResponse.log_append_time_ms
	ProduceLogStartVersion     int16 = 5 // PartitionProduceResponse.log_start_offset
)

// DefaultProduceTimeoutMs is the client's default produce timeout.
const DefaultProduceTimeoutMs = 1500

// ProduceRequest writes record batches to partitions.
type ProduceRequest struct {
	// TransactionalID is always encoded (clients send None).
	TransactionalID *string
	// Isolation travels as i16 "acks": 1 = ReadUncommitted, -1 =
	// ReadCommitted; on decode any negative value is ReadCommitted.
	// ReadCommitted makes the SPU wait for the high watermark.
	Isolation Isolation
	// TimeoutMs bounds a ReadCommitted wait (default 1500).
	TimeoutMs int32
	Topics    []TopicProduceData
	// SmartModules transform records before they are stored (v8+).
	SmartModules []SmartModuleInvocation // v8+
}

// TopicProduceData is the data for one topic.
type TopicProduceData struct {
	Name string
	// Partitions has one entry per batch sent: the same partition index may
	// repeat, and the response answers each entry in order.
	Partitions []PartitionProduceData
}

// PartitionProduceData is one entry of records for a partition.
type PartitionProduceData struct {
	PartitionIndex uint32
	Records        RecordSet
}

// Encode appends the request body at version.
func (p *ProduceRequest) Encode(dst []byte, version int16) []byte {
	dst, _ = p.encode(dst, version, -1)
	return dst
}

// AppendProduceFrame appends the frame of the request h, p (p at
// h.APIVersion) without the bytes of its record set: p has exactly one
// topic with one partition entry, whose Records are ignored, and whose
// record set is recordsLen bytes of whole batches that the caller writes
// between frame[:split] and frame[split:] (one vectored write). The bytes
// are those EncodeRequestFrame gives with the batches in place; a producer
// so sends batches without copying them into a frame.
func AppendProduceFrame(dst []byte, h *RequestHeader, p *ProduceRequest, recordsLen int) (frame []byte, split int) {
	if len(p.Topics) != 1 || len(p.Topics[0].Partitions) != 1 || recordsLen < 0 {
		panic("protocol: AppendProduceFrame needs one topic with one partition entry")
	}
	dst, start := BeginFrame(dst)
	dst = h.Encode(dst)
	dst, split = p.encode(dst, h.APIVersion, recordsLen)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4+recordsLen))
	return dst, split
}

// encode appends the body; with external >= 0 every record set is written
// as that length alone and split is where its bytes go.
func (p *ProduceRequest) encode(dst []byte, version int16, external int) (_ []byte, split int) {
	split = -1
	dst = AppendOptString(dst, p.TransactionalID)
	if p.Isolation == ReadCommitted {
		dst = AppendInt16(dst, -1)
	} else {
		dst = AppendInt16(dst, 1)
	}
	dst = AppendInt32(dst, p.TimeoutMs)
	dst = AppendArrayLen(dst, len(p.Topics))
	for i := range p.Topics {
		t := &p.Topics[i]
		dst = AppendString(dst, t.Name)
		dst = AppendArrayLen(dst, len(t.Partitions))
		for j := range t.Partitions {
			dst = AppendUint32(dst, t.Partitions[j].PartitionIndex)
			if external >= 0 {
				dst = AppendInt32(dst, int32(external))
				split = len(dst)
			} else {
				dst = t.Partitions[j].Records.Encode(dst)
			}
		}
	}
	if version >= ProduceSmartModulesVersion {
		dst = appendSmartModules(dst, p.SmartModules, version)
	}
	return dst, split
}

// Decode reads the request body at version. Record bytes alias r's buffer.
func (p *ProduceRequest) Decode(r *Reader, version int16) {
	*p = ProduceRequest{}
	p.TransactionalID = r.OptString()
	if r.Int16() < 0 {
		p.Isolation = ReadCommitted
	}
	p.TimeoutMs = r.Int32()
	if n := r.ArrayLen(6); n > 0 { // name (2) + partitions count (4)
		p.Topics = make([]TopicProduceData, n)
		for i := range p.Topics {
			t := &p.Topics[i]
			t.Name = r.String()
			if m := r.ArrayLen(8); m > 0 { // partition_index (4) + records length (4)
				t.Partitions = make([]PartitionProduceData, m)
				for j := range t.Partitions {
					t.Partitions[j].PartitionIndex = r.Uint32()
					t.Partitions[j].Records.Decode(r)
				}
			}
			if r.Err() != nil {
				p.Topics = nil
				return
			}
		}
	}
	if version >= ProduceSmartModulesVersion {
		p.SmartModules = readSmartModules(r, version)
	}
}

// ProduceResponse answers a ProduceRequest.
type ProduceResponse struct {
	Responses      []TopicProduceResponse
	ThrottleTimeMs int32 // v1+
}

// TopicProduceResponse answers one TopicProduceData.
type TopicProduceResponse struct {
	Name string
	// Partitions answers the request's entries one for one, same order.
	Partitions []PartitionProduceResponse
}

// PartitionProduceResponse answers one PartitionProduceData entry.
type PartitionProduceResponse struct {
	PartitionIndex uint32
	ErrorCode      ErrorCode
	// BaseOffset is the offset given to the entry's first record.
	BaseOffset      int64
	LogAppendTimeMs int64 // v2+
	LogStartOffset  int64 // v5+
}

// Encode appends the response body at version.
func (p *ProduceResponse) Encode(dst []byte, version int16) []byte {
	dst = AppendArrayLen(dst, len(p.Responses))
	for i := range p.Responses {
		t := &p.Responses[i]
		dst = AppendString(dst, t.Name)
		dst = AppendArrayLen(dst, len(t.Partitions))
		for j := range t.Partitions {
			pr := &t.Partitions[j]
			dst = AppendUint32(dst, pr.PartitionIndex)
			dst = pr.ErrorCode.Encode(dst)
			dst = AppendInt64(dst, pr.BaseOffset)
			if version >= ProduceAppendTimeVersion {
				dst = AppendInt64(dst, pr.LogAppendTimeMs)
			}
			if version >= ProduceLogStartVersion {
				dst = AppendInt64(dst, pr.LogStartOffset)
			}
		}
	}
	if version >= ProduceThrottleVersion {
		dst = AppendInt32(dst, p.ThrottleTimeMs)
	}
	return dst
}

// Decode reads the response body at version.
func (p *ProduceResponse) Decode(r *Reader, version int16) {
	*p = ProduceResponse{}
	if n := r.ArrayLen(6); n > 0 {
		p.Responses = make([]TopicProduceResponse, n)
		for i := range p.Responses {
			t := &p.Responses[i]
			t.Name = r.String()
			if m := r.ArrayLen(14); m > 0 { // index (4) + error (2) + offset (8)
				t.Partitions = make([]PartitionProduceResponse, m)
				for j := range t.Partitions {
					pr := &t.Partitions[j]
					pr.PartitionIndex = r.Uint32()
					pr.ErrorCode.Decode(r)
					pr.BaseOffset = r.Int64()
					if version >= ProduceAppendTimeVersion {
						pr.LogAppendTimeMs = r.Int64()
					}
					if version >= ProduceLogStartVersion {
						pr.LogStartOffset = r.Int64()
					}
				}
			}
			if r.Err() != nil {
				p.Responses = nil
				return
			}
		}
	}
	if version >= ProduceThrottleVersion {
		p.ThrottleTimeMs = r.Int32()
	}
}
