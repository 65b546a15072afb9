package storage

import (
	"encoding/binary"
	"fmt"
	"io"
)

// checkpoint writes HW to CheckpointFile (temporary file, fsync, rename)
// when it changed since the last write.
func (r *Replica) checkpoint() error {
	r.mu.RLock()
	hw, closed := r.hw, r.closed
	r.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	if hw == r.ckptHW {
		return nil
	}
	b := binary.BigEndian.AppendUint64([]byte(CheckpointMagic), uint64(hw))
	tmp := r.checkpointPath() + ".tmp"
	f, err := r.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("storage: write checkpoint: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && r.cfg.Flush.Mode != FlushOS {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.fs.Rename(tmp, r.checkpointPath())
	}
	if err != nil {
		r.fs.Remove(tmp)
		return fmt.Errorf("storage: write checkpoint: %w", err)
	}
	r.ckptHW = hw
	return nil
}

// readCheckpoint returns the HW stored in CheckpointFile.
func (r *Replica) readCheckpoint() (int64, error) {
	f, err := r.fs.Open(r.checkpointPath())
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b := make([]byte, len(CheckpointMagic)+8)
	if _, err := io.ReadFull(f, b); err != nil {
		return 0, fmt.Errorf("storage: read checkpoint: %w", err)
	}
	if string(b[:len(CheckpointMagic)]) != CheckpointMagic {
		return 0, fmt.Errorf("%w: checkpoint has a bad magic", ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b[len(CheckpointMagic):])), nil
}

// CheckpointHighWatermark is the HW found in the checkpoint at open (or last
// written), -1 when there was none.
func (r *Replica) CheckpointHighWatermark() int64 {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	return r.ckptHW
}
