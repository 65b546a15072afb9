package storage

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// segment is one .log file and its index. The last segment of a replica is
// the active one: the only one written, with its index file open.
type segment struct {
	base      int64
	logPath   string
	indexPath string
	f         File // segment file, read and written by position
	idx       File // index file; nil once the segment is sealed
	size      int64
	end       int64 // offset after the last batch
	entries   []IndexEntry
	modTime   time.Time // last append (or file mtime at open), for time retention
}

// SegmentName is the file name of the segment whose first offset is base.
func SegmentName(base int64) string {
	return fmt.Sprintf("%0*d%s", SegmentNameDigits, base, SegmentSuffix)
}

// IndexName is the file name of the index of the segment starting at base.
func IndexName(base int64) string {
	return fmt.Sprintf("%0*d%s", SegmentNameDigits, base, IndexSuffix)
}

// parseSegmentName returns the base offset of a segment file name.
func parseSegmentName(name string) (int64, bool) {
	stem, ok := strings.CutSuffix(name, SegmentSuffix)
	if !ok || len(stem) != SegmentNameDigits {
		return 0, false
	}
	base, err := strconv.ParseInt(stem, 10, 64)
	if err != nil || base < 0 {
		return 0, false
	}
	return base, true
}

func newSegmentPaths(dir string, base int64) *segment {
	return &segment{
		base:      base,
		logPath:   filepath.Join(dir, SegmentName(base)),
		indexPath: filepath.Join(dir, IndexName(base)),
		end:       base,
	}
}

// lastIndexPos is the position of the last index entry (0: the implicit one).
func (s *segment) lastIndexPos() int64 {
	if len(s.entries) == 0 {
		return 0
	}
	return int64(s.entries[len(s.entries)-1].Position)
}

// scanner reads batch headers and whole batches of a segment file through a
// buffer, so walking many small batches costs few reads.
type scanner struct {
	f      File
	limit  int64 // file size: nothing is read at or past it
	buf    []byte
	bufPos int64
	n      int
	read   int // bytes per read when less than len(buf) (0: len(buf))
}

const scanBufSize = 64 << 10

var scanBufs = sync.Pool{New: func() any { b := make([]byte, scanBufSize); return &b }}

// newScanner returns a scanner with a pooled buffer; release returns it.
func newScanner(f File, limit int64) *scanner {
	return &scanner{f: f, limit: limit, buf: *scanBufs.Get().(*[]byte)}
}

func (s *scanner) release() {
	if len(s.buf) == scanBufSize {
		b := s.buf
		scanBufs.Put(&b)
	}
	s.buf = nil
}

// at returns n bytes at pos, valid until the next call. It never allocates
// more than n bytes and only when the file holds them.
func (s *scanner) at(pos int64, n int) ([]byte, error) {
	if pos < 0 || pos+int64(n) > s.limit {
		return nil, io.ErrUnexpectedEOF
	}
	if pos >= s.bufPos && pos+int64(n) <= s.bufPos+int64(s.n) {
		off := pos - s.bufPos
		return s.buf[off : off+int64(n)], nil
	}
	if n > len(s.buf) {
		s.buf = make([]byte, n)
	}
	want := int64(len(s.buf))
	if s.read > 0 {
		want = int64(max(s.read, n))
	}
	want = min(want, s.limit-pos)
	m, err := s.f.ReadAt(s.buf[:want], pos)
	if m < n {
		s.n = 0
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	s.bufPos, s.n = pos, m
	return s.buf[:n], nil
}

// batchInfo is what the log needs to know about a stored batch.
type batchInfo struct {
	pos        int64
	size       int64
	baseOffset int64
	lastOffset int64
}

// header reads and checks the batch header at pos: whole, magic 2, at least
// one record, no bigger than maxBatch.
func (s *scanner) header(pos int64, maxBatch int) (batchInfo, error) {
	b, err := s.at(pos, protocol.BatchFileHeaderSize)
	if err != nil {
		return batchInfo{}, fmt.Errorf("batch header at %d: %w", pos, err)
	}
	h, err := protocol.ParseBatchHeader(b)
	if err != nil {
		return batchInfo{}, fmt.Errorf("batch header at %d: %w", pos, err)
	}
	if h.Magic != protocol.BatchMagic {
		return batchInfo{}, fmt.Errorf("%w: batch at %d has magic %d", ErrCorrupt, pos, h.Magic)
	}
	if h.LastOffsetDelta < 0 {
		return batchInfo{}, fmt.Errorf("%w: batch at %d has no records", ErrCorrupt, pos)
	}
	if h.Size() > maxBatch {
		return batchInfo{}, fmt.Errorf("%w: batch at %d has %d bytes (limit %d)", ErrCorrupt, pos, h.Size(), maxBatch)
	}
	return batchInfo{pos: pos, size: int64(h.Size()), baseOffset: h.BaseOffset, lastOffset: h.LastOffset()}, nil
}

// verified reads the batch at pos like header and also checks that it is
// whole, its CRC-32C matches and its base offset is want.
func (s *scanner) verified(pos int64, want int64, maxBatch int) (batchInfo, error) {
	bi, err := s.header(pos, maxBatch)
	if err != nil {
		return bi, err
	}
	if bi.baseOffset != want {
		return bi, fmt.Errorf("%w: batch at %d has base offset %d, want %d", ErrCorrupt, pos, bi.baseOffset, want)
	}
	b, err := s.at(pos, int(bi.size))
	if err != nil {
		return bi, fmt.Errorf("batch at %d of %d bytes: %w", pos, bi.size, err)
	}
	if !protocol.VerifyBatchCRC(b) {
		return bi, fmt.Errorf("%w: batch at %d fails its crc", ErrCorrupt, pos)
	}
	return bi, nil
}

// scanResult is the outcome of checking a segment from some position on.
type scanResult struct {
	goodSize int64 // end of the last good batch
	end      int64 // offset after the last good batch
	entries  []IndexEntry
	badErr   error // why the scan stopped before the file's end, if it did
}

// scanSegment checks batches of a segment from pos (a batch boundary whose
// batch has base offset next) to size, extending entries with index entries
// every interval bytes. It stops at the first bad or partial batch.
func scanSegment(f File, base, pos, next, size int64, entries []IndexEntry, interval, maxBatch int) scanResult {
	sc := newScanner(f, size)
	defer sc.release()
	last := int64(0)
	if n := len(entries); n > 0 {
		last = int64(entries[n-1].Position)
	}
	res := scanResult{goodSize: pos, end: next}
	for pos < size {
		bi, err := sc.verified(pos, next, maxBatch)
		if err != nil {
			res.badErr = err
			break
		}
		if pos > 0 && pos-last >= int64(interval) && bi.baseOffset-base <= int64(^uint32(0)) {
			entries = append(entries, IndexEntry{RelOffset: uint32(bi.baseOffset - base), Position: uint32(pos)})
			last = pos
		}
		pos += bi.size
		next = bi.lastOffset + 1
		res.goodSize, res.end = pos, next
	}
	res.entries = entries
	return res
}

// encodeIndex returns the bytes of an index file.
func encodeIndex(entries []IndexEntry) []byte {
	b := make([]byte, 0, len(entries)*IndexEntrySize)
	for _, e := range entries {
		b = AppendIndexEntry(b, e)
	}
	return b
}
