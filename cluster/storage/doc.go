// Package storage is the partition replica log of an SPU: batches stored as
// they arrived, in segments with a sparse offset index, with retention,
// a flush policy and crash recovery. It mirrors the role of Fluvio's
// fluvio-storage crate (spec protocol.md §5.5) without sharing its code.
//
// # On-disk format
//
// One directory per replica (the SPU names it "<topic>-<partition>"):
//
//	<replica dir>/
//	  00000000000000000000.log     segment: batches back to back, base offset 0
//	  00000000000000000000.index   its sparse offset index
//	  00000000000000004096.log     next segment, first batch has offset 4096
//	  00000000000000004096.index
//	  replication.chk              high watermark checkpoint
//
// A segment file (SegmentSuffix) holds record batches in exactly the wire
// layout of spec §5.1, with base_offset rewritten to the offset the log
// assigned (the CRC-32C does not cover base_offset, so nothing else changes):
//
//	+-------------+-----------+----------------------------------+
//	| base_offset | batch_len | batch_len bytes (header+records) | next batch ...
//	|   i64 BE    |  i32 BE   |  crc covers bytes 21..end        |
//	+-------------+-----------+----------------------------------+
//
// Segment names are the base offset of their first batch, zero-padded to
// SegmentNameDigits digits. Offsets are contiguous across segments: a
// segment's end offset is the next segment's base offset.
//
// An index file (IndexSuffix) is an array of IndexEntrySize-byte entries:
//
//	+---------------------+--------------------+
//	| relative offset u32 | file position u32  |  (big-endian)
//	+---------------------+--------------------+
//
// An entry (r, p) says the batch whose base offset is segment base + r starts
// at byte p of the segment. Entries are sparse: one is added when a batch
// starts at least IndexInterval bytes after the previous entry (position 0
// is implicit). Both fields strictly increase.
//
// The checkpoint (CheckpointFile) is CheckpointMagic followed by the high
// watermark as an i64, written to a temporary file and renamed into place.
//
// # Offsets
//
// Log start offset: first offset still stored (advances when retention drops
// whole segments). Log end offset (LEO): the offset the next record gets.
// High watermark (HW): offsets below it are committed; with one replica HW
// follows LEO at every append, as in Fluvio, and the flush policy only
// decides when bytes reach the disk (FlushEveryBatch: before the append
// returns). HW is kept apart from LEO so replication can bound it later.
//
// # Recovery
//
// Open scans the active (last) segment from its last good index entry,
// checking every batch's length, magic, offsets and CRC-32C; the first bad
// or partial batch and everything after it is truncated. A missing, short
// or inconsistent index is rebuilt by scanning its segment.
package storage

// File names and on-disk constants.
const (
	// SegmentSuffix ends a segment file name.
	SegmentSuffix = ".log"
	// IndexSuffix ends an index file name.
	IndexSuffix = ".index"
	// SegmentNameDigits is the width of the zero-padded base offset in names.
	SegmentNameDigits = 20
	// CheckpointFile holds the high watermark.
	CheckpointFile = "replication.chk"
	// CheckpointMagic starts the checkpoint file ("FLHW" then a version 1).
	CheckpointMagic = "FLHW\x01"
	// IndexEntrySize is the size of one index entry: two u32.
	IndexEntrySize = 8
	// DefaultIndexInterval is the number of batch bytes between index entries.
	DefaultIndexInterval = 4096
	// DefaultSegmentSize is the size at which a segment is rolled (1 GiB, as Fluvio).
	DefaultSegmentSize = 1 << 30
	// DefaultMaxBatchSize bounds one appended batch (Fluvio's 2 MiB default
	// raised to the 50 MiB frame limit, since the frame is the real bound).
	DefaultMaxBatchSize = 50 << 20
	// MaxSegmentSize is the largest segment: index positions are u32.
	MaxSegmentSize = 1<<32 - 1
)
