package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// Isolation chooses how far a read goes: to the log end offset or only to
// the high watermark. The values are those of the StreamFetch isolation byte.
type Isolation uint8

// Isolation levels.
const (
	ReadUncommitted Isolation = 0
	ReadCommitted   Isolation = 1
)

// Offsets is a snapshot of a replica's offsets and size.
type Offsets struct {
	LogStart      int64
	HighWatermark int64
	LogEnd        int64
	Size          int64 // bytes in all segments
}

// Replica is the log of one partition replica. It is safe for concurrent
// use: appends are serialized, reads run in parallel with them.
type Replica struct {
	dir string
	cfg Config
	fs  FS

	syncMu sync.Mutex // serializes fsyncs and segment removal; taken before mu

	mu       sync.RWMutex
	segments []*segment // ascending base; the last is active
	logStart int64
	hw       int64
	leo      int64
	durable  int64 // offsets below it are fsynced (FlushOS: written to the OS)
	size     int64
	dirty    bool // appended since the last flush
	closed   bool
	changed  chan struct{} // closed and replaced when LEO or HW moves
	ckptHW   int64         // HW last written to the checkpoint

	kick     chan struct{} // asks the interval flusher to flush now
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Open opens (creating if needed) the replica log in dir and recovers it:
// a torn tail of the active segment is truncated and missing or bad indexes
// are rebuilt.
func Open(dir string, cfg Config) (*Replica, error) {
	cfg = cfg.withDefaults()
	r := &Replica{dir: dir, cfg: cfg, fs: cfg.FS, changed: make(chan struct{}), ckptHW: -1}
	if err := r.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: create replica dir: %w", err)
	}
	if err := r.load(); err != nil {
		r.closeFiles()
		return nil, err
	}
	if cfg.Flush.Mode == FlushInterval {
		r.kick = make(chan struct{}, 1)
		r.stop = make(chan struct{})
		r.done = make(chan struct{})
		go r.flushLoop()
	}
	return r, nil
}

// Dir is the replica's directory.
func (r *Replica) Dir() string { return r.dir }

func (r *Replica) load() error {
	des, err := r.fs.ReadDir(r.dir)
	if err != nil {
		return fmt.Errorf("storage: list %s: %w", r.dir, err)
	}
	var bases []int64
	for _, de := range des {
		if base, ok := parseSegmentName(de.Name()); ok && !de.IsDir() {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	if len(bases) == 0 {
		seg, err := r.createSegment(0)
		if err != nil {
			return err
		}
		r.segments = []*segment{seg}
	}
	for i, base := range bases {
		seg, err := r.openSegment(base, i == len(bases)-1)
		if err != nil {
			return err
		}
		r.segments = append(r.segments, seg)
	}
	for i, s := range r.segments[:len(r.segments)-1] {
		s.end = r.segments[i+1].base
		r.size += s.size
	}
	active := r.active()
	r.size += active.size
	r.logStart = r.segments[0].base
	r.leo = active.end
	// The recovered tail is now durable; with one replica all of it is
	// committed. The checkpoint bounds HW once followers exist.
	if r.cfg.Flush.Mode != FlushOS {
		if err := active.f.Sync(); err != nil {
			return fmt.Errorf("storage: sync recovered segment: %w", err)
		}
	}
	r.hw = r.leo
	r.durable = r.leo
	if hw, err := r.readCheckpoint(); err == nil {
		r.ckptHW = hw
	}
	return nil
}

func (r *Replica) active() *segment { return r.segments[len(r.segments)-1] }

func (r *Replica) createSegment(base int64) (*segment, error) {
	s := newSegmentPaths(r.dir, base)
	f, err := r.fs.OpenFile(s.logPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: create segment %s: %v", ErrWrite, s.logPath, err)
	}
	idx, err := r.fs.OpenFile(s.indexPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		f.Close()
		r.fs.Remove(s.logPath)
		return nil, fmt.Errorf("%w: create index %s: %v", ErrWrite, s.indexPath, err)
	}
	s.f, s.idx, s.modTime = f, idx, r.cfg.Now()
	return s, nil
}

// openSegment opens an existing segment, loading or rebuilding its index.
// The active segment's tail is checked batch by batch and truncated at the
// first bad batch.
func (r *Replica) openSegment(base int64, active bool) (*segment, error) {
	s := newSegmentPaths(r.dir, base)
	f, err := r.fs.OpenFile(s.logPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("storage: open segment: %w", err)
	}
	s.f = f
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("storage: stat segment: %w", err)
	}
	s.size, s.modTime = fi.Size(), fi.ModTime()
	entries, idxErr := r.readIndex(s)
	log := r.cfg.Logger.With("segment", s.logPath)
	rebuilt := idxErr != nil
	var res scanResult
	switch {
	case idxErr != nil:
		log.Warn("rebuilding index", "reason", idxErr)
		res = scanSegment(f, base, 0, base, s.size, nil, r.cfg.IndexInterval, r.cfg.MaxBatchSize)
	case active:
		// Scan the tail from the last index entry. If even the batch at
		// that entry is bad, distrust the index and scan everything.
		start, next := int64(0), base
		if n := len(entries); n > 0 {
			start, next = int64(entries[n-1].Position), base+int64(entries[n-1].RelOffset)
		}
		res = scanSegment(f, base, start, next, s.size, entries, r.cfg.IndexInterval, r.cfg.MaxBatchSize)
		if res.badErr != nil && res.goodSize == start && start > 0 {
			log.Warn("index points at a bad batch, rebuilding", "reason", res.badErr)
			rebuilt = true
			res = scanSegment(f, base, 0, base, s.size, nil, r.cfg.IndexInterval, r.cfg.MaxBatchSize)
		} else if len(res.entries) != len(entries) {
			rebuilt = true
		}
	default:
		res = scanResult{goodSize: s.size, entries: entries}
	}
	if res.badErr != nil || res.goodSize < s.size {
		log.Warn("truncating torn or corrupt tail", "from", s.size, "to", res.goodSize, "reason", res.badErr)
		if err := f.Truncate(res.goodSize); err != nil {
			return nil, fmt.Errorf("storage: truncate segment %s: %w", s.logPath, err)
		}
		s.size = res.goodSize
	}
	s.entries, s.end = res.entries, res.end
	if rebuilt || !active {
		if err := r.writeIndex(s); err != nil && active {
			return nil, err
		}
	}
	if active {
		idx, err := r.fs.OpenFile(s.indexPath, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("storage: open index: %w", err)
		}
		s.idx = idx
		// Drop a stale tail of the index file beyond the entries kept.
		if err := idx.Truncate(int64(len(s.entries) * IndexEntrySize)); err != nil {
			return nil, fmt.Errorf("storage: truncate index: %w", err)
		}
	}
	return s, nil
}

// readIndex loads and checks a segment's index file.
func (r *Replica) readIndex(s *segment) ([]IndexEntry, error) {
	f, err := r.fs.Open(s.indexPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// Positions strictly increase below the segment size, so a valid index
	// has fewer entries than the segment has bytes.
	if fi.Size() > s.size*IndexEntrySize {
		return nil, fmt.Errorf("%w: index of %d bytes for a segment of %d", ErrCorrupt, fi.Size(), s.size)
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	entries, err := ParseIndex(b, s.size)
	if err != nil {
		return nil, err
	}
	// Spot-check the last entry: it must point at a batch with that offset.
	if n := len(entries); n > 0 {
		e := entries[n-1]
		sc := newScanner(s.f, s.size)
		bi, err := sc.header(int64(e.Position), r.cfg.MaxBatchSize)
		sc.release()
		if err != nil || bi.baseOffset != s.base+int64(e.RelOffset) {
			return nil, fmt.Errorf("%w: last index entry does not point at its batch", ErrCorrupt)
		}
	}
	return entries, nil
}

// writeIndex replaces a segment's index file with its entries.
func (r *Replica) writeIndex(s *segment) error {
	tmp := s.indexPath + ".tmp"
	f, err := r.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("storage: write index: %w", err)
	}
	_, err = f.Write(encodeIndex(s.entries))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.fs.Rename(tmp, s.indexPath)
	}
	if err != nil {
		r.fs.Remove(tmp)
		return fmt.Errorf("storage: write index %s: %w", s.indexPath, err)
	}
	return nil
}

// validate checks an incoming batch: a parsable header, magic 2, at least one
// record, batch_len matching the bytes, the size bound and the CRC-32C.
func (r *Replica) validate(batch []byte) (protocol.BatchHeader, error) {
	if len(batch) > r.cfg.MaxBatchSize {
		return protocol.BatchHeader{}, fmt.Errorf("%w: %d bytes (limit %d)", ErrBatchTooLarge, len(batch), r.cfg.MaxBatchSize)
	}
	h, err := protocol.ParseBatchHeader(batch)
	if err != nil {
		return h, fmt.Errorf("%w: %v", ErrInvalidBatch, err)
	}
	switch {
	case h.Magic != protocol.BatchMagic:
		return h, fmt.Errorf("%w: magic %d, want %d", ErrInvalidBatch, h.Magic, protocol.BatchMagic)
	case h.LastOffsetDelta < 0:
		return h, fmt.Errorf("%w: batch has no records", ErrInvalidBatch)
	case h.Size() != len(batch):
		return h, fmt.Errorf("%w: batch_len says %d bytes, have %d", ErrInvalidBatch, h.Size(), len(batch))
	case !protocol.VerifyBatchCRC(batch):
		return h, fmt.Errorf("%w: crc mismatch", ErrInvalidBatch)
	}
	return h, nil
}

// Append validates one encoded batch (spec §5.1), rewrites its base_offset in
// place to the log end offset and stores it. It returns the base offset. The
// batch is durable and HW covers it when Append returns under FlushEveryBatch;
// under the other policies it is written to the OS. A failed write returns an
// error wrapping ErrWrite and leaves the log as it was.
func (r *Replica) Append(batch []byte) (int64, error) {
	if _, err := r.validate(batch); err != nil {
		return -1, err
	}
	return r.appendValid(batch)
}

// AppendSet appends the batches of set, whole batches back to back as a
// produce request's record set carries them, with one write to the segment
// (and one to its index): each batch is validated as Append does and gets
// its base offset in place. The batches before the first invalid one are
// stored and that one's error is returned with their number; base is the
// first batch's offset. Bytes after the last whole batch are ignored, as
// RecordSet.All does.
func (r *Replica) AppendSet(set []byte) (base int64, stored int, err error) {
	valid, verr := 0, error(nil)
	for len(set)-valid >= protocol.BatchPreambleSize {
		n := int64(int32(binary.BigEndian.Uint32(set[valid+8:])))
		if n < protocol.BatchHeaderSize || n > int64(len(set)-valid-protocol.BatchPreambleSize) {
			break
		}
		size := protocol.BatchPreambleSize + int(n)
		if _, verr = r.validate(set[valid : valid+size]); verr != nil {
			break
		}
		valid += size
		stored++
	}
	if stored == 0 {
		return -1, 0, verr
	}
	if base, err = r.appendValid(set[:valid]); err != nil {
		return -1, 0, err
	}
	return base, stored, verr
}

// appendValid stores validated batches (one or more back to back).
func (r *Replica) appendValid(set []byte) (int64, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return -1, ErrClosed
	}
	rolled := false
	if s := r.active(); s.size > 0 && s.size+int64(len(set)) > r.cfg.SegmentSize {
		if err := r.roll(); err != nil {
			r.mu.Unlock()
			return -1, err
		}
		rolled = true
	}
	base, err := r.write(set)
	if err != nil {
		r.mu.Unlock()
		return -1, err
	}
	leo := r.leo
	// With one replica an appended batch is committed at once, as in
	// Fluvio: HW follows LEO, and the flush policy decides only when the
	// bytes reach the disk (and, under FlushEveryBatch, when the append
	// returns). Replication will bound HW by the followers instead.
	r.hw = r.leo
	if r.cfg.Flush.Mode == FlushOS {
		r.durable = r.leo
	} else {
		r.dirty = true
	}
	r.notifyLocked()
	r.mu.Unlock()

	if rolled {
		if err := r.EnforceRetention(); err != nil {
			r.cfg.Logger.Warn("retention", "dir", r.dir, "err", err)
		}
	}
	if r.cfg.Flush.Mode == FlushEveryBatch {
		if err := r.syncTo(leo); err != nil {
			return -1, err
		}
	}
	return base, nil
}

// write stores validated batches at the end of the active segment, giving
// them their base offsets, and indexes them; r.mu is held.
func (r *Replica) write(set []byte) (int64, error) {
	s := r.active()
	base, pos := r.leo, s.size
	next, last := base, s.lastIndexPos()
	var idx []byte
	var entries []IndexEntry
	for off := 0; off < len(set); {
		batch := set[off:]
		protocol.SetBatchBaseOffset(batch, next)
		if p := pos + int64(off); p > 0 && p-last >= int64(r.cfg.IndexInterval) {
			e := IndexEntry{RelOffset: uint32(next - s.base), Position: uint32(p)}
			idx = AppendIndexEntry(idx, e)
			entries = append(entries, e)
			last = p
		}
		next += int64(int32(binary.BigEndian.Uint32(batch[protocol.BatchPreambleSize+lastOffsetDeltaAt:]))) + 1
		off += protocol.BatchPreambleSize + int(int32(binary.BigEndian.Uint32(batch[8:])))
	}
	if _, err := s.f.WriteAt(set, pos); err != nil {
		r.undo(s, pos)
		return -1, fmt.Errorf("%w: append %d bytes to %s at %d: %v", ErrWrite, len(set), s.logPath, pos, err)
	}
	if len(idx) > 0 {
		if _, err := s.idx.WriteAt(idx, int64(len(s.entries)*IndexEntrySize)); err != nil {
			r.undo(s, pos)
			return -1, fmt.Errorf("%w: index entry in %s: %v", ErrWrite, s.indexPath, err)
		}
		s.entries = append(s.entries, entries...)
	}
	n := int64(len(set))
	s.size += n
	r.size += n
	r.leo = next
	s.end = r.leo
	s.modTime = r.cfg.Now()
	return base, nil
}

// lastOffsetDeltaAt is where last_offset_delta sits in the batch header
// after the preamble: partition_leader_epoch (4), magic (1), crc (4),
// attributes (2).
const lastOffsetDeltaAt = 4 + 1 + 4 + 2

// undo cuts a failed write off the active segment. Even when the truncate
// fails, the next append writes at pos and overwrites the leftovers.
func (r *Replica) undo(s *segment, pos int64) {
	if err := s.f.Truncate(pos); err != nil {
		r.cfg.Logger.Warn("truncate after failed write", "segment", s.logPath, "err", err)
	}
}

// roll seals the active segment and starts a new one at LEO; r.mu is held.
func (r *Replica) roll() error {
	old := r.active()
	if r.cfg.Flush.Mode != FlushOS {
		if err := syncData(old.f); err != nil {
			return fmt.Errorf("%w: sync segment %s: %v", ErrWrite, old.logPath, err)
		}
		if err := old.idx.Sync(); err != nil {
			return fmt.Errorf("%w: sync index %s: %v", ErrWrite, old.indexPath, err)
		}
	}
	s, err := r.createSegment(r.leo)
	if err != nil {
		return err
	}
	if r.cfg.Flush.Mode != FlushOS {
		if err := r.fs.SyncDir(r.dir); err != nil {
			s.f.Close()
			s.idx.Close()
			return fmt.Errorf("%w: sync dir: %v", ErrWrite, err)
		}
		r.durable = max(r.durable, r.leo)
	}
	old.idx.Close()
	old.idx = nil
	r.segments = append(r.segments, s)
	return nil
}

// syncTo fsyncs the active segment unless the durable offset already
// reaches target, then moves it to the LEO seen before the fsync. Concurrent
// callers share fsyncs.
func (r *Replica) syncTo(target int64) error {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	r.mu.RLock()
	if r.durable >= target || r.closed {
		closed := r.closed && r.durable < target
		r.mu.RUnlock()
		if closed {
			return ErrClosed
		}
		return nil
	}
	s, upTo := r.active(), r.leo
	r.mu.RUnlock()
	if err := syncData(s.f); err != nil {
		return fmt.Errorf("%w: sync %s: %v", ErrWrite, s.logPath, err)
	}
	r.mu.Lock()
	if upTo > r.durable {
		r.durable = upTo
		if r.durable == r.leo {
			r.dirty = false
		}
	}
	r.mu.Unlock()
	return nil
}

// Flush fsyncs everything appended so far, moves HW to LEO and writes the
// checkpoint.
func (r *Replica) Flush() error {
	r.mu.RLock()
	leo := r.leo
	r.mu.RUnlock()
	if err := r.syncTo(leo); err != nil {
		return err
	}
	return r.checkpoint()
}

func (r *Replica) flushLoop() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.Flush.Interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		case <-r.kick:
		}
		r.mu.RLock()
		dirty := r.dirty
		r.mu.RUnlock()
		if !dirty {
			continue
		}
		if err := r.Flush(); err != nil && !errors.Is(err, ErrClosed) {
			r.cfg.Logger.Warn("flush", "dir", r.dir, "err", err)
		}
	}
}

// WaitHighWatermark blocks until HW reaches offset, the replica closes or ctx
// ends. Under FlushInterval it asks for an early flush instead of waiting
// for the next tick.
func (r *Replica) WaitHighWatermark(ctx context.Context, offset int64) error {
	for {
		r.mu.RLock()
		hw, closed, ch := r.hw, r.closed, r.changed
		r.mu.RUnlock()
		if hw >= offset {
			return nil
		}
		if closed {
			return ErrClosed
		}
		if r.kick != nil {
			select {
			case r.kick <- struct{}{}:
			default:
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifyLocked wakes everyone waiting on Changed; r.mu is held for writing.
func (r *Replica) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Changed returns a channel closed at the next move of LEO or HW (or when
// the replica closes). Read the offsets after taking the channel, then wait
// on it: no move is missed and nothing polls.
func (r *Replica) Changed() <-chan struct{} {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.changed
}

// Offsets returns the current offsets.
func (r *Replica) Offsets() Offsets {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return Offsets{LogStart: r.logStart, HighWatermark: r.hw, LogEnd: r.leo, Size: r.size}
}

// SetHighWatermark moves HW to hw (never past LEO, never backwards). It is
// the hook for replication, where followers' acknowledgements commit data.
func (r *Replica) SetHighWatermark(hw int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	hw = min(hw, r.leo)
	if hw > r.hw {
		r.hw = hw
		r.notifyLocked()
	}
}

// EnforceRetention drops whole sealed segments that are older than
// RetentionTime, then the oldest while the replica exceeds MaxPartitionSize.
// The active segment always stays. It runs after each roll; call it
// periodically for time retention of idle replicas.
func (r *Replica) EnforceRetention() error {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	now := r.cfg.Now()
	var errs []error
	dropped := false
	for len(r.segments) > 1 {
		s := r.segments[0]
		expired := r.cfg.RetentionTime > 0 && now.Sub(s.modTime) > r.cfg.RetentionTime
		over := r.cfg.MaxPartitionSize > 0 && r.size > r.cfg.MaxPartitionSize
		if !expired && !over {
			break
		}
		s.f.Close()
		if err := r.fs.Remove(s.logPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		if err := r.fs.Remove(s.indexPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		r.segments = r.segments[1:]
		r.size -= s.size
		r.logStart = r.segments[0].base
		r.cfg.Logger.Info("retention dropped segment", "segment", s.logPath, "expired", expired, "over_size", over, "log_start", r.logStart)
		dropped = true
	}
	if dropped {
		r.hw = max(r.hw, r.logStart)
		r.notifyLocked()
	}
	return errors.Join(errs...)
}

// Close flushes the log (fsync and checkpoint) and closes its files. Waiters
// on Changed are woken.
func (r *Replica) Close() error {
	if r.stop != nil {
		r.stopOnce.Do(func() { close(r.stop) })
		<-r.done
	}
	err := r.Flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.notifyLocked()
	if cerr := r.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

func (r *Replica) closeFiles() error {
	var errs []error
	for _, s := range r.segments {
		if s.f != nil {
			errs = append(errs, s.f.Close())
		}
		if s.idx != nil {
			errs = append(errs, s.idx.Close())
		}
	}
	return errors.Join(errs...)
}

func (r *Replica) checkpointPath() string { return filepath.Join(r.dir, CheckpointFile) }
