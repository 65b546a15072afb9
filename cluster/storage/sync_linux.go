package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData commits a file's data (and the size needed to read it back):
// fdatasync skips the mtime update that a full fsync also writes.
func syncData(f File) error {
	if osf, ok := f.(*os.File); ok {
		return unix.Fdatasync(int(osf.Fd()))
	}
	return f.Sync()
}
