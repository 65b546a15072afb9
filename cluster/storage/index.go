package storage

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// IndexEntry maps a batch's offset relative to its segment's base to the
// batch's byte position in the segment file.
type IndexEntry struct {
	RelOffset uint32
	Position  uint32
}

// ParseIndex decodes an index file. It fails on a partial trailing entry
// and on entries that do not strictly increase in both fields or point at or
// past segmentSize. It allocates at most one entry per 8 input bytes.
func ParseIndex(b []byte, segmentSize int64) ([]IndexEntry, error) {
	if len(b)%IndexEntrySize != 0 {
		return nil, fmt.Errorf("%w: index of %d bytes is not a whole number of entries", ErrCorrupt, len(b))
	}
	entries := make([]IndexEntry, 0, len(b)/IndexEntrySize)
	for i := 0; i < len(b); i += IndexEntrySize {
		e := IndexEntry{
			RelOffset: binary.BigEndian.Uint32(b[i:]),
			Position:  binary.BigEndian.Uint32(b[i+4:]),
		}
		if int64(e.Position) >= segmentSize {
			return nil, fmt.Errorf("%w: index entry %d points at %d, segment has %d bytes", ErrCorrupt, i/IndexEntrySize, e.Position, segmentSize)
		}
		if n := len(entries); n > 0 {
			p := entries[n-1]
			if e.RelOffset <= p.RelOffset || e.Position <= p.Position {
				return nil, fmt.Errorf("%w: index entry %d does not increase", ErrCorrupt, i/IndexEntrySize)
			}
		} else if e.Position == 0 || e.RelOffset == 0 {
			return nil, fmt.Errorf("%w: index entry 0 is the implicit start", ErrCorrupt)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// AppendIndexEntry appends the encoding of e.
func AppendIndexEntry(dst []byte, e IndexEntry) []byte {
	dst = binary.BigEndian.AppendUint32(dst, e.RelOffset)
	return binary.BigEndian.AppendUint32(dst, e.Position)
}

// lookup returns the position of the last entry whose relative offset is at
// most rel (0 when none is).
func lookup(entries []IndexEntry, rel uint32) (IndexEntry, int) {
	i := sort.Search(len(entries), func(i int) bool { return entries[i].RelOffset > rel })
	if i == 0 {
		return IndexEntry{}, -1
	}
	return entries[i-1], i - 1
}
