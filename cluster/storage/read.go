package storage

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// Slice is a run of whole batches in one segment file, ready to be sent as
// is. A non-empty Slice holds its own file handle: Close it when done. The
// handle stays valid if retention deletes the segment meanwhile.
type Slice struct {
	File File  // nil when Len is 0
	Pos  int64 // byte position of the first batch in File
	Len  int64 // bytes of whole batches
	// FirstOffset is the base offset of the first batch (it may be below
	// the offset asked for: the batch containing it is included).
	FirstOffset int64
	// NextOffset is the offset after the last batch: where to read next.
	NextOffset int64
	// Offsets is the replica's state when the slice was cut.
	Offsets Offsets
}

// WriteTo copies the slice's bytes to w. When the file is an *os.File and w
// is a *net.TCPConn, the copy is a sendfile: the bytes never enter user space.
func (s *Slice) WriteTo(w io.Writer) (int64, error) {
	if s.Len == 0 {
		return 0, nil
	}
	if f, ok := s.File.(*os.File); ok {
		// Why Seek and a LimitedReader? (*net.TCPConn).ReadFrom turns
		// exactly this shape into sendfile; an io.SectionReader is copied
		// through a buffer. The handle is ours alone, so its offset is free.
		if _, err := f.Seek(s.Pos, io.SeekStart); err != nil {
			return 0, fmt.Errorf("storage: seek segment: %w", err)
		}
		return io.Copy(w, &io.LimitedReader{R: f, N: s.Len})
	}
	return io.Copy(w, io.NewSectionReader(s.File, s.Pos, s.Len))
}

// ReadInto reads the slice into buf when it is large enough (a stream
// reads chunk after chunk into one buffer), else into a new slice.
func (s *Slice) ReadInto(buf []byte) ([]byte, error) {
	if int64(cap(buf)) < s.Len {
		buf = make([]byte, s.Len)
	}
	b := buf[:s.Len]
	if s.Len == 0 {
		return b, nil
	}
	if _, err := s.File.ReadAt(b, s.Pos); err != nil {
		return nil, fmt.Errorf("storage: read batches: %w", err)
	}
	return b, nil
}

// Close releases the slice's file handle.
func (s *Slice) Close() error {
	if s.File == nil {
		return nil
	}
	err := s.File.Close()
	s.File = nil
	return err
}

// locateReadSize is what locate reads per header lookup: a header and the
// ones near it, not the batches it steps over.
const locateReadSize = 4 << 10

// lastEntryWithin returns the last index entry whose position is in
// [from, to] and whose relative offset is at most maxRel.
func lastEntryWithin(entries []IndexEntry, from, to, maxRel int64) (IndexEntry, bool) {
	i := sort.Search(len(entries), func(i int) bool { return int64(entries[i].Position) > to }) - 1
	for ; i >= 0 && int64(entries[i].Position) >= from; i-- {
		if int64(entries[i].RelOffset) <= maxRel {
			return entries[i], true
		}
	}
	return IndexEntry{}, false
}

// located is a run of batches found under r.mu.
type located struct {
	seg         *segment
	pos, n      int64
	first, next int64
}

// locate finds the whole batches to serve from offset: starting with the
// batch that contains offset, up to limit (HW or LEO), within one segment,
// at most maxBytes in total except that the first batch always goes.
// r.mu is held for reading.
func (r *Replica) locate(offset int64, maxBytes int64, iso Isolation) (located, error) {
	limit := r.leo
	if iso == ReadCommitted {
		limit = r.hw
	}
	if offset < r.logStart || offset > r.leo {
		return located{}, fmt.Errorf("%w: offset %d, log holds %d..%d", ErrOffsetOutOfRange, offset, r.logStart, r.leo)
	}
	if offset >= limit {
		return located{next: offset}, nil
	}
	// Last segment whose base is at or below offset.
	i := len(r.segments) - 1
	for i > 0 && r.segments[i].base > offset {
		i--
	}
	for ; i < len(r.segments); i++ {
		s := r.segments[i]
		if s.base >= limit {
			break
		}
		size := s.size
		sc := newScanner(s.f, size)
		sc.read = locateReadSize
		defer sc.release()
		pos := int64(0)
		if offset > s.base {
			if e, k := lookup(s.entries, uint32(min(offset-s.base, int64(^uint32(0))))); k >= 0 {
				pos = int64(e.Position)
			}
		}
		// Find the batch containing offset (or the first after it).
		var start *batchInfo
		for pos < size {
			bi, err := sc.header(pos, r.cfg.MaxBatchSize)
			if err != nil {
				return located{}, fmt.Errorf("storage: read %s: %w", s.logPath, err)
			}
			if bi.lastOffset >= offset {
				start = &bi
				break
			}
			pos += bi.size
		}
		if start == nil {
			continue
		}
		if start.lastOffset >= limit {
			return located{next: offset}, nil
		}
		loc := located{seg: s, pos: start.pos, n: start.size, first: start.baseOffset, next: start.lastOffset + 1}
		p := start.pos + start.size
		// Jump over whole batches with the index: its last entry within
		// maxBytes whose batch starts at or below limit ends the run of
		// batches before it; only what follows that entry is scanned.
		if e, ok := lastEntryWithin(s.entries, p, start.pos+maxBytes, limit-s.base); ok {
			loc.n = int64(e.Position) - start.pos
			loc.next = s.base + int64(e.RelOffset)
			p = int64(e.Position)
		}
		for p < size {
			bi, err := sc.header(p, r.cfg.MaxBatchSize)
			if err != nil {
				return located{}, fmt.Errorf("storage: read %s: %w", s.logPath, err)
			}
			if bi.lastOffset >= limit || loc.n+bi.size > maxBytes {
				break
			}
			loc.n += bi.size
			loc.next = bi.lastOffset + 1
			p += bi.size
		}
		return loc, nil
	}
	return located{next: offset}, nil
}

// Read returns whole batches starting with the one containing offset, up to
// maxBytes (at least one batch), up to HW (ReadCommitted) or LEO
// (ReadUncommitted), from a single segment. An empty Slice (Len 0) means
// nothing is readable yet at offset: wait on Changed. An offset below the log
// start or past LEO is ErrOffsetOutOfRange.
func (r *Replica) Read(offset int64, maxBytes int, iso Isolation) (*Slice, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return nil, ErrClosed
	}
	loc, err := r.locate(offset, int64(maxBytes), iso)
	if err != nil {
		return nil, err
	}
	sl := &Slice{Pos: loc.pos, Len: loc.n, FirstOffset: loc.first, NextOffset: loc.next, Offsets: r.offsetsLocked()}
	if loc.n == 0 {
		sl.FirstOffset = loc.next
		return sl, nil
	}
	f, err := r.fs.Open(loc.seg.logPath)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s for reading: %w", loc.seg.logPath, err)
	}
	sl.File = f
	return sl, nil
}

// ReadBatches is Read into memory, for consumers that process batches (such
// as SmartModules). It returns the bytes and the offset to read next.
func (r *Replica) ReadBatches(offset int64, maxBytes int, iso Isolation) ([]byte, int64, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return nil, 0, ErrClosed
	}
	loc, err := r.locate(offset, int64(maxBytes), iso)
	if err != nil {
		return nil, 0, err
	}
	b := make([]byte, loc.n)
	if loc.n > 0 {
		if _, err := loc.seg.f.ReadAt(b, loc.pos); err != nil {
			return nil, 0, fmt.Errorf("storage: read %s: %w", loc.seg.logPath, err)
		}
	}
	return b, loc.next, nil
}

func (r *Replica) offsetsLocked() Offsets {
	return Offsets{LogStart: r.logStart, HighWatermark: r.hw, LogEnd: r.leo, Size: r.size}
}
