package protocol

// Record batches and record sets (spec §5.1, §5.3; Rust fluvio-protocol
// record/batch.rs and record/data.rs).
//
//	RecordSet  i32 total length, then whole batches back to back
//	Batch      57-byte header (batchheader.go), [schema_id u32],
//	           records section = codec(u32 count + records)
//
// Two ways in: DecodeBatch builds a Batch with every record (aliasing the
// input or the decompressed section); NextBatch / BatchIterator walk stored
// or received batches without touching their records, which is how an SPU
// appends, indexes and serves them. ForEachRecord sits in between: it
// decompresses one batch once and hands each record to a callback.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Batch errors.
var (
	// ErrBatchCRC means a batch's stored CRC does not match its content.
	ErrBatchCRC = errors.New("protocol: batch crc mismatch")
	// ErrRecordCount means a batch holds a different number of records than
	// its last_offset_delta announces.
	ErrRecordCount = errors.New("protocol: batch record count mismatch")
)

// minRecordSize is the smallest encoded record: length, attributes,
// timestamp delta, offset delta, key flag, value length, headers.
const minRecordSize = 7

// schemaIDSize is the size of the optional schema id after the header.
const schemaIDSize = 4

// Batch is a decoded record batch. Header.BatchLen and Header.CRC hold what
// was read; AppendBatch recomputes both.
type Batch struct {
	Header BatchHeader
	// SchemaID is present when attributes bit 0x10 is set (never by the
	// clients; kept for round trips).
	SchemaID *uint32
	Records  []Record
}

// NewBatch returns a producer-style batch of records: offset deltas 0, 1, 2…
// (written into records, which the batch keeps), last_offset_delta
// len(records)−1, first_timestamp firstTimestamp, max_time_stamp
// firstTimestamp + the last record's TimestampDelta (−1 when firstTimestamp
// is negative), partition_leader_epoch and producer fields −1, magic 2.
// Record timestamp deltas are kept as given.
func NewBatch(firstTimestamp int64, records []Record) Batch {
	for i := range records {
		records[i].OffsetDelta = int64(i)
	}
	maxTS := firstTimestamp
	if firstTimestamp < 0 {
		maxTS = -1
	} else if len(records) > 0 {
		maxTS = firstTimestamp + records[len(records)-1].TimestampDelta
	}
	return Batch{
		Header: BatchHeader{
			PartitionLeaderEpoch: -1,
			Magic:                BatchMagic,
			LastOffsetDelta:      int32(len(records) - 1),
			FirstTimestamp:       firstTimestamp,
			MaxTimestamp:         maxTS,
			ProducerID:           -1,
			ProducerEpoch:        -1,
			FirstSequence:        -1,
		},
		Records: records,
	}
}

// scratch buffers for records sections on their way into or out of a codec.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getScratch() *[]byte { return scratchPool.Get().(*[]byte) }

func putScratch(b *[]byte) {
	if cap(*b) > 4<<20 { // don't pin huge buffers
		return
	}
	*b = (*b)[:0]
	scratchPool.Put(b)
}

// AppendRecords appends the uncompressed records section of records: a u32
// count, then each record.
func AppendRecords(dst []byte, records []Record) []byte {
	dst = AppendArrayLen(dst, len(records))
	for i := range records {
		dst = AppendRecord(dst, &records[i])
	}
	return dst
}

// AppendBatch appends b encoded with codec: the codec bits and the schema-id
// bit of the attributes follow codec and b.SchemaID, magic is 2, batch_len
// and the CRC are computed from the content; every other header field is
// written as given (NewBatch fills them the way a producer does).
func AppendBatch(dst []byte, b *Batch, codec Compression) ([]byte, error) {
	if codec > CompressionZstd {
		return dst, fmt.Errorf("encode batch: %w: %d", ErrUnknownCompression, uint8(codec))
	}
	if codec == CompressionNone {
		start := len(dst)
		dst = appendBatchPrefix(dst, &b.Header, b.SchemaID, codec)
		dst = AppendRecords(dst, b.Records)
		finishBatch(dst[start:])
		return dst, nil
	}
	sp := getScratch()
	defer putScratch(sp)
	*sp = AppendRecords((*sp)[:0], b.Records)
	return AppendBatchSection(dst, &b.Header, b.SchemaID, *sp, codec)
}

// AppendBatchSection appends a batch whose uncompressed records section
// (u32 count + records, as returned by AppendBatchRecords or a SmartModule)
// is section, compressing it with codec. The header is written as
// AppendBatch writes it.
func AppendBatchSection(dst []byte, h *BatchHeader, schemaID *uint32, section []byte, codec Compression) ([]byte, error) {
	if codec > CompressionZstd {
		return dst, fmt.Errorf("encode batch: %w: %d", ErrUnknownCompression, uint8(codec))
	}
	start := len(dst)
	dst = appendBatchPrefix(dst, h, schemaID, codec)
	out, err := Compress(codec, dst, section)
	if err != nil {
		return dst[:start], fmt.Errorf("encode batch: %w", err)
	}
	finishBatch(out[start:])
	return out, nil
}

// FinishBatchInPlace turns buf, whose first BatchFileHeaderSize bytes are
// room for the header and whose rest is an uncompressed records section,
// into an encoded batch without moving the section: the header is written
// into the room (as AppendBatchSection writes it, compression none) and
// batch_len and the CRC are set.
func FinishBatchInPlace(buf []byte, h *BatchHeader) {
	appendBatchPrefix(buf[:0], h, nil, CompressionNone)
	finishBatch(buf)
}

func appendBatchPrefix(dst []byte, h *BatchHeader, schemaID *uint32, codec Compression) []byte {
	hh := *h
	hh.Magic = BatchMagic
	hh.Attributes = hh.Attributes&^(AttrCompressionMask|AttrSchemaID) | int16(codec)
	if schemaID != nil {
		hh.Attributes |= AttrSchemaID
	}
	dst = AppendBatchHeader(dst, &hh)
	if schemaID != nil {
		dst = AppendUint32(dst, *schemaID)
	}
	return dst
}

// finishBatch sets batch_len and the CRC of a whole encoded batch.
func finishBatch(batch []byte) {
	binary.BigEndian.PutUint32(batch[8:], uint32(len(batch)-BatchPreambleSize))
	SetBatchCRC(batch)
}

// batchSection validates the framing of the batch at the start of data and
// returns its header, its schema id (if flagged), its raw (possibly
// compressed) records section and its total size.
func batchSection(data []byte) (h BatchHeader, schemaID *uint32, section []byte, size int, err error) {
	h, err = ParseBatchHeader(data)
	if err != nil {
		return h, nil, nil, 0, err
	}
	size = h.Size()
	if size > len(data) {
		return h, nil, nil, 0, fmt.Errorf("%w: batch of %d bytes, have %d", ErrShortBuffer, size, len(data))
	}
	off := BatchFileHeaderSize
	if h.Attributes&AttrSchemaID != 0 {
		if size < off+schemaIDSize {
			return h, nil, nil, 0, fmt.Errorf("%w: batch_len %d leaves no room for the schema id", ErrInvalid, h.BatchLen)
		}
		id := binary.BigEndian.Uint32(data[off:])
		schemaID = &id
		off += schemaIDSize
	}
	if c := h.Codec(); c > CompressionZstd {
		return h, nil, nil, 0, fmt.Errorf("%w: %d", ErrUnknownCompression, uint8(c))
	}
	return h, schemaID, data[off:size:size], size, nil
}

// AppendBatchRecords appends the uncompressed records section (u32 count +
// records) of the batch at the start of batch to dst, decompressing it if
// needed; the result is what a SmartModule receives as its input. The
// decompressed size is bounded by maxOut (MaxDecompressedSize if <= 0).
func AppendBatchRecords(dst, batch []byte, maxOut int) ([]byte, error) {
	return batchRecords(dst, batch, maxOut, false)
}

// BatchRecords is AppendBatchRecords that, for an uncompressed batch,
// returns the records section of batch itself instead of a copy; scratch
// receives decompressed records otherwise.
func BatchRecords(scratch, batch []byte, maxOut int) ([]byte, error) {
	return batchRecords(scratch, batch, maxOut, true)
}

func batchRecords(dst, batch []byte, maxOut int, view bool) ([]byte, error) {
	h, _, section, _, err := batchSection(batch)
	if err != nil {
		return dst, fmt.Errorf("batch records: %w", err)
	}
	if view && h.Codec() == CompressionNone {
		return section[:len(section):len(section)], nil
	}
	out, err := Decompress(h.Codec(), dst, section, maxOut)
	if err != nil {
		return dst, fmt.Errorf("batch records: %w", err)
	}
	return out, nil
}

// DecodeBatch decodes the batch at the start of data and returns it with its
// size in bytes. Compressed records are decompressed (bounded by
// MaxDecompressedSize); records alias data or the decompressed buffer.
//
// Like the Rust decoder it does not verify the CRC (use VerifyBatchCRC or
// DecodeBatchStrict) and does not require last_offset_delta+1 records.
//
// Why not check the record count here? The real SPU's SmartModule output
// keeps the input batches' offset range in last_offset_delta while a filter
// drops records and an array_map adds them (fluvio-spu smartengine), so
// consumers meet batches where the two differ.
func DecodeBatch(data []byte) (Batch, int, error) {
	return decodeBatch(data, false)
}

// DecodeBatchStrict is DecodeBatch for batches about to be stored from a
// producer: it also requires magic 2, a matching CRC (ErrBatchCRC) and
// exactly last_offset_delta+1 records (ErrRecordCount).
func DecodeBatchStrict(data []byte) (Batch, int, error) {
	return decodeBatch(data, true)
}

func decodeBatch(data []byte, strict bool) (Batch, int, error) {
	h, schemaID, section, size, err := batchSection(data)
	if err != nil {
		return Batch{}, 0, fmt.Errorf("decode batch: %w", err)
	}
	if strict {
		if h.Magic != BatchMagic {
			return Batch{}, 0, fmt.Errorf("decode batch: %w: magic %d", ErrInvalid, h.Magic)
		}
		if !VerifyBatchCRC(data[:size]) {
			return Batch{}, 0, fmt.Errorf("decode batch: %w: stored %#08x, computed %#08x", ErrBatchCRC, h.CRC, BatchCRC(data[:size]))
		}
	}
	if c := h.Codec(); c != CompressionNone {
		section, err = Decompress(c, nil, section, MaxDecompressedSize)
		if err != nil {
			return Batch{}, 0, fmt.Errorf("decode batch: %w", err)
		}
	}
	r := NewReader(section)
	n := r.ArrayLen(minRecordSize)
	if err := r.Err(); err != nil {
		return Batch{}, 0, fmt.Errorf("decode batch: record count: %w", err)
	}
	if strict && n != h.RecordCount() {
		return Batch{}, 0, fmt.Errorf("decode batch: %w: %d records, last_offset_delta %d", ErrRecordCount, n, h.LastOffsetDelta)
	}
	b := Batch{Header: h, SchemaID: schemaID}
	if n > 0 {
		b.Records = make([]Record, n)
	}
	for i := range b.Records {
		ReadRecord(r, &b.Records[i])
	}
	if err := r.Err(); err != nil {
		return Batch{}, 0, fmt.Errorf("decode batch: %w", err)
	}
	if r.Remaining() != 0 {
		return Batch{}, 0, fmt.Errorf("decode batch: %w: %d bytes after the last record", ErrInvalid, r.Remaining())
	}
	return b, size, nil
}

// ForEachRecord calls fn for every record of the batch at the start of
// batch, with the record's absolute offset (base_offset + offset_delta) and
// timestamp (first_timestamp + timestamp_delta, or −1 when the batch has no
// first timestamp, as the Rust client reports it). The batch is
// decompressed once into a pooled buffer: r and the slices it holds are only
// valid during the call. An error from fn stops the walk and is returned.
func ForEachRecord(batch []byte, fn func(offset, timestamp int64, r *Record) error) error {
	return forEachRecord(batch, false, fn)
}

// ForEachRecordRetained is ForEachRecord for callers that keep the
// records' keys and values: they alias batch (or, for a compressed batch,
// a buffer allocated for its decompressed records) and stay valid after
// the call, as long as batch is not modified. Only *r itself is reused.
func ForEachRecordRetained(batch []byte, fn func(offset, timestamp int64, r *Record) error) error {
	return forEachRecord(batch, true, fn)
}

func forEachRecord(batch []byte, retained bool, fn func(offset, timestamp int64, r *Record) error) error {
	h, _, section, _, err := batchSection(batch)
	if err != nil {
		return fmt.Errorf("records of batch: %w", err)
	}
	if c := h.Codec(); c != CompressionNone {
		if retained {
			section, err = Decompress(c, nil, section, MaxDecompressedSize)
		} else {
			sp := getScratch()
			defer putScratch(sp)
			*sp, err = Decompress(c, (*sp)[:0], section, MaxDecompressedSize)
			section = *sp
		}
		if err != nil {
			return fmt.Errorf("records of batch: %w", err)
		}
	}
	r := NewReader(section)
	n := r.ArrayLen(minRecordSize)
	var rec Record
	for i := 0; i < n; i++ {
		ReadRecord(r, &rec)
		if err := r.Err(); err != nil {
			return fmt.Errorf("records of batch at offset %d: record %d: %w", h.BaseOffset, i, err)
		}
		ts := int64(-1)
		if h.FirstTimestamp > 0 {
			ts = h.FirstTimestamp + rec.TimestampDelta
		}
		if err := fn(h.BaseOffset+rec.OffsetDelta, ts, &rec); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("records of batch at offset %d: %w", h.BaseOffset, err)
	}
	return nil
}

// NextBatch splits the first whole batch off recordSet (batches back to
// back, without the RecordSet length prefix) without decoding its records:
// raw is the batch, hdr its header, rest what follows. When fewer bytes than
// a whole batch remain (none, or a truncated trailing batch, spec §5.3) it
// returns raw == nil, rest == recordSet and no error. A header that cannot
// be a batch (batch_len below the header size, last_offset_delta < −1) is an
// error. It never allocates.
func NextBatch(recordSet []byte) (raw []byte, hdr BatchHeader, rest []byte, err error) {
	if len(recordSet) < BatchFileHeaderSize {
		return nil, hdr, recordSet, nil
	}
	hdr, err = ParseBatchHeader(recordSet)
	if err != nil {
		return nil, hdr, recordSet, err
	}
	size := hdr.Size()
	if size > len(recordSet) {
		return nil, hdr, recordSet, nil
	}
	return recordSet[:size:size], hdr, recordSet[size:], nil
}

// BatchIterator walks the whole batches of a record set with NextBatch:
//
//	it := NewBatchIterator(batches)
//	for it.Next() {
//		use(it.Batch(), it.Header())
//	}
//	if err := it.Err(); err != nil { … }
//	tail := it.Rest() // a truncated trailing batch, if any
//
// It never allocates.
type BatchIterator struct {
	rest []byte
	raw  []byte
	hdr  BatchHeader
	err  error
}

// NewBatchIterator returns an iterator over batches (without the RecordSet
// length prefix).
func NewBatchIterator(batches []byte) BatchIterator { return BatchIterator{rest: batches} }

// Next advances to the next whole batch and reports whether there is one.
func (it *BatchIterator) Next() bool {
	if it.err != nil {
		return false
	}
	var raw []byte
	raw, it.hdr, it.rest, it.err = NextBatch(it.rest)
	it.raw = raw
	return raw != nil
}

// Batch is the current batch's bytes (aliasing the input).
func (it *BatchIterator) Batch() []byte { return it.raw }

// Header is the current batch's header.
func (it *BatchIterator) Header() *BatchHeader { return &it.hdr }

// Err is the error that stopped the walk, if any.
func (it *BatchIterator) Err() error { return it.err }

// Rest is what has not been consumed: after the walk, a truncated trailing
// batch or nothing.
func (it *BatchIterator) Rest() []byte { return it.rest }

// AppendRecordSet appends a RecordSet (spec §5.3): the i32 total length,
// then batches back to back. RecordSet.Decode reads one.
func AppendRecordSet(dst []byte, batches ...[]byte) []byte {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	dst = AppendInt32(dst, int32(n))
	for _, b := range batches {
		dst = append(dst, b...)
	}
	return dst
}
