package protocol

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Batch layout constants (spec §5.1).
//
//	off  field
//	  0  base_offset            i64
//	  8  batch_len              i32  bytes after this field
//	 12  partition_leader_epoch i32
//	 16  magic                  i8   (2)
//	 17  crc                    u32  CRC-32C of bytes 21..end
//	 21  attributes             i16  bits 0-2 codec, 0x10 schema id present
//	 23  last_offset_delta      i32
//	 27  first_timestamp        i64
//	 35  max_time_stamp         i64
//	 43  producer_id            i64
//	 51  producer_epoch         i16
//	 53  first_sequence         i32
//	 57  [schema_id u32] records section
const (
	BatchPreambleSize   = 12 // base_offset + batch_len
	BatchHeaderSize     = 45 // partition_leader_epoch .. first_sequence
	BatchFileHeaderSize = BatchPreambleSize + BatchHeaderSize
	BatchMagic          = 2
	batchCRCStart       = 21 // first byte covered by the CRC (attributes)

	AttrCompressionMask = 0x07
	AttrSchemaID        = 0x10
)

// Castagnoli is the CRC-32C table used for batch checksums.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// BatchHeader is the fixed part of a record batch.
type BatchHeader struct {
	BaseOffset           int64
	BatchLen             int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	FirstTimestamp       int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	FirstSequence        int32
}

// Codec is the batch compression codec from the attributes.
func (h *BatchHeader) Codec() Compression { return Compression(h.Attributes & AttrCompressionMask) }

// Size is the total size of the batch in bytes (preamble included).
func (h *BatchHeader) Size() int { return BatchPreambleSize + int(h.BatchLen) }

// RecordCount is last_offset_delta + 1.
func (h *BatchHeader) RecordCount() int { return int(h.LastOffsetDelta) + 1 }

// LastOffset is the offset of the batch's last record.
func (h *BatchHeader) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// ParseBatchHeader decodes the 57-byte header at the start of b. It checks
// that batch_len covers at least the header, not that b holds the whole batch.
func ParseBatchHeader(b []byte) (BatchHeader, error) {
	var h BatchHeader
	if len(b) < BatchFileHeaderSize {
		return h, fmt.Errorf("%w: batch header needs %d bytes, have %d", ErrShortBuffer, BatchFileHeaderSize, len(b))
	}
	be := binary.BigEndian
	h.BaseOffset = int64(be.Uint64(b[0:]))
	h.BatchLen = int32(be.Uint32(b[8:]))
	h.PartitionLeaderEpoch = int32(be.Uint32(b[12:]))
	h.Magic = int8(b[16])
	h.CRC = be.Uint32(b[17:])
	h.Attributes = int16(be.Uint16(b[21:]))
	h.LastOffsetDelta = int32(be.Uint32(b[23:]))
	h.FirstTimestamp = int64(be.Uint64(b[27:]))
	h.MaxTimestamp = int64(be.Uint64(b[35:]))
	h.ProducerID = int64(be.Uint64(b[43:]))
	h.ProducerEpoch = int16(be.Uint16(b[51:]))
	h.FirstSequence = int32(be.Uint32(b[53:]))
	if h.BatchLen < BatchHeaderSize {
		return h, fmt.Errorf("%w: batch_len %d is smaller than the %d-byte header", ErrInvalid, h.BatchLen, BatchHeaderSize)
	}
	if h.LastOffsetDelta < -1 {
		return h, fmt.Errorf("%w: last_offset_delta %d", ErrInvalid, h.LastOffsetDelta)
	}
	return h, nil
}

// AppendBatchHeader appends the 57-byte header of h.
func AppendBatchHeader(dst []byte, h *BatchHeader) []byte {
	dst = AppendInt64(dst, h.BaseOffset)
	dst = AppendInt32(dst, h.BatchLen)
	dst = AppendInt32(dst, h.PartitionLeaderEpoch)
	dst = AppendInt8(dst, h.Magic)
	dst = AppendUint32(dst, h.CRC)
	dst = AppendInt16(dst, h.Attributes)
	dst = AppendInt32(dst, h.LastOffsetDelta)
	dst = AppendInt64(dst, h.FirstTimestamp)
	dst = AppendInt64(dst, h.MaxTimestamp)
	dst = AppendInt64(dst, h.ProducerID)
	dst = AppendInt16(dst, h.ProducerEpoch)
	return AppendInt32(dst, h.FirstSequence)
}

// BatchCRC computes the CRC-32C of a whole encoded batch (bytes 21..end).
func BatchCRC(batch []byte) uint32 {
	if len(batch) < batchCRCStart {
		return 0
	}
	return crc32.Checksum(batch[batchCRCStart:], Castagnoli)
}

// VerifyBatchCRC reports whether the stored CRC matches the content.
func VerifyBatchCRC(batch []byte) bool {
	if len(batch) < BatchFileHeaderSize {
		return false
	}
	return binary.BigEndian.Uint32(batch[17:]) == BatchCRC(batch)
}

// SetBatchBaseOffset rewrites base_offset in place. The CRC does not cover
// it, so nothing else changes: this is how an SPU assigns offsets to a batch
// stored as it arrived.
func SetBatchBaseOffset(batch []byte, offset int64) {
	binary.BigEndian.PutUint64(batch[0:], uint64(offset))
}

// SetBatchCRC recomputes and stores the CRC of an encoded batch.
func SetBatchCRC(batch []byte) {
	binary.BigEndian.PutUint32(batch[17:], BatchCRC(batch))
}

// Compression is the batch codec (attributes bits 0-2): 0 none, 1 gzip,
// 2 snappy, 3 lz4, 4 zstd. The topic-level CompressionAlgorithm numbers
// differ (see CompressionAlgorithm).
type Compression uint8

// Batch codecs.
const (
	CompressionNone   Compression = 0
	CompressionGzip   Compression = 1
	CompressionSnappy Compression = 2
	CompressionLz4    Compression = 3
	CompressionZstd   Compression = 4
)

func (c Compression) String() string {
	switch c {
	case CompressionNone:
		return "none"
	case CompressionGzip:
		return "gzip"
	case CompressionSnappy:
		return "snappy"
	case CompressionLz4:
		return "lz4"
	case CompressionZstd:
		return "zstd"
	}
	return fmt.Sprintf("compression(%d)", uint8(c))
}

// CompressionAlgorithm is the topic-level compression setting
// (TopicSpec.compression_type): 0 none, 1 gzip, 2 snappy, 3 lz4, 4 any
// (the default), 5 zstd.
type CompressionAlgorithm uint8

// Topic compression settings.
const (
	TopicCompressionNone   CompressionAlgorithm = 0
	TopicCompressionGzip   CompressionAlgorithm = 1
	TopicCompressionSnappy CompressionAlgorithm = 2
	TopicCompressionLz4    CompressionAlgorithm = 3
	TopicCompressionAny    CompressionAlgorithm = 4
	TopicCompressionZstd   CompressionAlgorithm = 5
)

func (a CompressionAlgorithm) String() string {
	switch a {
	case TopicCompressionNone:
		return "none"
	case TopicCompressionGzip:
		return "gzip"
	case TopicCompressionSnappy:
		return "snappy"
	case TopicCompressionLz4:
		return "lz4"
	case TopicCompressionAny:
		return "any"
	case TopicCompressionZstd:
		return "zstd"
	}
	return fmt.Sprintf("compression-algorithm(%d)", uint8(a))
}

// Accepts reports whether a topic with this setting accepts a batch coded
// with c: Any accepts everything, otherwise the codec must match.
func (a CompressionAlgorithm) Accepts(c Compression) bool {
	switch a {
	case TopicCompressionAny:
		return true
	case TopicCompressionNone:
		return c == CompressionNone
	case TopicCompressionGzip:
		return c == CompressionGzip
	case TopicCompressionSnappy:
		return c == CompressionSnappy
	case TopicCompressionLz4:
		return c == CompressionLz4
	case TopicCompressionZstd:
		return c == CompressionZstd
	}
	return false
}

// BatchCodec is the batch codec a producer uses for this topic setting, or
// fallback when the topic accepts any.
func (a CompressionAlgorithm) BatchCodec(fallback Compression) Compression {
	switch a {
	case TopicCompressionNone:
		return CompressionNone
	case TopicCompressionGzip:
		return CompressionGzip
	case TopicCompressionSnappy:
		return CompressionSnappy
	case TopicCompressionLz4:
		return CompressionLz4
	case TopicCompressionZstd:
		return CompressionZstd
	}
	return fallback
}
