package storage

import (
	"os"
	"strings"
	"sync"
)

// FaultFS wraps an FS and fails chosen writes or syncs, for tests of the
// write-error and crash paths (in this package and in the SPU). The zero
// FaultFS with FS set behaves exactly like FS.
type FaultFS struct {
	FS FS

	mu        sync.Mutex
	writeErr  error  // error for the next matching write
	writeName string // file name suffix the write fault applies to
	torn      int    // bytes of the failing write that still reach the file
	syncErr   error
	syncName  string
}

var _ FS = (*FaultFS)(nil)

// FailNextWrite makes the next write to a file whose name ends in suffix
// write only its first torn bytes and return err, like a disk that fails or
// a crash mid-write.
func (f *FaultFS) FailNextWrite(suffix string, torn int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeErr, f.writeName, f.torn = err, suffix, torn
}

// FailNextSync makes the next Sync of a file whose name ends in suffix
// return err.
func (f *FaultFS) FailNextSync(suffix string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncErr, f.syncName = err, suffix
}

func (f *FaultFS) takeWrite(name string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writeErr == nil || !strings.HasSuffix(name, f.writeName) {
		return 0, nil
	}
	err, torn := f.writeErr, f.torn
	f.writeErr = nil
	return torn, err
}

func (f *FaultFS) takeSync(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.syncErr == nil || !strings.HasSuffix(name, f.syncName) {
		return nil
	}
	err := f.syncErr
	f.syncErr = nil
	return err
}

func (f *FaultFS) wrap(file File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

// Create implements FS.
func (f *FaultFS) Create(name string) (File, error) { return f.wrap(f.FS.Create(name)) }

// Open implements FS.
func (f *FaultFS) Open(name string) (File, error) { return f.wrap(f.FS.Open(name)) }

// OpenFile implements FS.
func (f *FaultFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	return f.wrap(f.FS.OpenFile(name, flag, perm))
}

// Remove implements FS.
func (f *FaultFS) Remove(name string) error { return f.FS.Remove(name) }

// Rename implements FS.
func (f *FaultFS) Rename(oldpath, newpath string) error { return f.FS.Rename(oldpath, newpath) }

// ReadDir implements FS.
func (f *FaultFS) ReadDir(dir string) ([]os.DirEntry, error) { return f.FS.ReadDir(dir) }

// MkdirAll implements FS.
func (f *FaultFS) MkdirAll(dir string, perm os.FileMode) error { return f.FS.MkdirAll(dir, perm) }

// SyncDir implements FS.
func (f *FaultFS) SyncDir(dir string) error { return f.FS.SyncDir(dir) }

type faultFile struct {
	File
	fs *FaultFS
}

func (ff *faultFile) Write(p []byte) (int, error) {
	if torn, err := ff.fs.takeWrite(ff.Name()); err != nil {
		n, _ := ff.File.Write(p[:min(torn, len(p))])
		return n, err
	}
	return ff.File.Write(p)
}

func (ff *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if torn, err := ff.fs.takeWrite(ff.Name()); err != nil {
		n, _ := ff.File.WriteAt(p[:min(torn, len(p))], off)
		return n, err
	}
	return ff.File.WriteAt(p, off)
}

func (ff *faultFile) Sync() error {
	if err := ff.fs.takeSync(ff.Name()); err != nil {
		return err
	}
	return ff.File.Sync()
}
