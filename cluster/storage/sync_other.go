//go:build !linux

package storage

// syncData commits a file's data.
func syncData(f File) error { return f.Sync() }
