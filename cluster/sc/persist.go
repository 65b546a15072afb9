package sc

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// On-disk metadata (local mode, `--local <dir>`): one file per object,
//
//	<dir>/<kind>/<name>.meta      kind = lower-case label: topic, partition, spu,
//	                              customspu, spugroup, smartmodule, tableformat
//
// <dir>/epoch holds the store epoch of the last deletion (i64, big endian),
// since a deleted object no longer records it. Each file is written to "<file>.tmp", fsynced, then renamed over the old
// one, so a crash leaves either the old or the new object. Leftover .tmp files
// are removed on load. A file is:
//
//	+--------+---------+---------+------+-------+----------+------+------------+--------+--------+
//	| "FLVM" | format  | version | name | epoch | spec len | spec | status len | status | crc32c |
//	| 4 B    | u16 = 1 | i16     | Str  | i64   | u32      |      | u32        |        | u32    |
//	+--------+---------+---------+------+-------+----------+------+------------+--------+--------+
//
// spec and status are the wire encodings (cluster/protocol) at `version`; the
// checksum (Castagnoli) covers every byte before it. Names that are not
// plain file names are hex-encoded behind a "~".
//
// Why the wire encoding and not Fluvio's YAML? The codecs already exist and
// are fuzzed, every field round-trips exactly, and nothing but this SC reads
// the files.
const (
	objectFileMagic   = "FLVM"
	objectFileFormat  = uint16(1)
	objectFileExt     = ".meta"
	objectFileTmpExt  = ".tmp"
	epochFileName     = "epoch"
	storeCodecVersion = int16(19) // newest object layout we encode
	maxObjectFileSize = protocol.MaxFrameSize + 1<<16
)

var (
	castagnoli   = crc32.MakeTable(crc32.Castagnoli)
	plainFileRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$`)
	errBadObject = errors.New("sc: corrupt metadata file")
)

func kindDir(label string) string { return strings.ToLower(label) }

func objectFileName(name string) string {
	if plainFileRe.MatchString(name) && !strings.HasSuffix(name, objectFileTmpExt) {
		return name + objectFileExt
	}
	return fmt.Sprintf("~%x%s", name, objectFileExt)
}

// encodeObjectFile returns the file bytes of o.
func encodeObjectFile(o *Object) []byte {
	b := []byte(objectFileMagic)
	b = protocol.AppendUint16(b, objectFileFormat)
	b = protocol.AppendInt16(b, storeCodecVersion)
	b = protocol.AppendString(b, o.Name)
	b = protocol.AppendInt64(b, o.Epoch)
	for _, m := range []protocol.Message{o.Spec, o.Status} {
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		b = m.Encode(b, storeCodecVersion)
		protocol.FinishFrame(b, at)
	}
	return protocol.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeObjectFile parses file bytes holding an object of label.
func decodeObjectFile(label string, b []byte) (*Object, error) {
	if len(b) < 4+2+2+2+8+4+4+4 || string(b[:4]) != objectFileMagic {
		return nil, fmt.Errorf("%w: bad magic or too short", errBadObject)
	}
	body, sum := b[:len(b)-4], b[len(b)-4:]
	if crc32.Checksum(body, castagnoli) != protocol.NewReader(sum).Uint32() {
		return nil, fmt.Errorf("%w: checksum mismatch", errBadObject)
	}
	r := protocol.NewReader(body[4:])
	if f := r.Uint16(); f != objectFileFormat {
		return nil, fmt.Errorf("%w: format %d not supported", errBadObject, f)
	}
	version := r.Int16()
	if version < 0 || version > storeCodecVersion {
		return nil, fmt.Errorf("%w: codec version %d not supported", errBadObject, version)
	}
	o := &Object{Name: r.String(), Epoch: r.Int64()}
	spec, status, ok := protocol.NewObject(label)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLabel, label)
	}
	for _, m := range []protocol.Message{spec, status} {
		n := r.Uint32()
		if r.Err() != nil {
			break
		}
		if int64(n) > int64(r.Remaining()) {
			return nil, fmt.Errorf("%w: length %d exceeds file", errBadObject, n)
		}
		sub := protocol.NewReader(r.Raw(int(n)))
		m.Decode(sub, version)
		if err := sub.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", errBadObject, err)
		}
		if sub.Remaining() != 0 {
			return nil, fmt.Errorf("%w: %d trailing bytes in object", errBadObject, sub.Remaining())
		}
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadObject, err)
	}
	if r.Remaining() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errBadObject, r.Remaining())
	}
	o.Spec, o.Status = spec, status
	return o, nil
}

func writeObjectFile(dir, label string, o *Object) error {
	kd := filepath.Join(dir, kindDir(label))
	if err := os.MkdirAll(kd, 0o755); err != nil {
		return fmt.Errorf("sc: persist %s %q: %w", label, o.Name, err)
	}
	path := filepath.Join(kd, objectFileName(o.Name))
	tmp := path + objectFileTmpExt
	err := func() error {
		f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(encodeObjectFile(o)); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
		return syncDir(kd)
	}()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("sc: persist %s %q: %w", label, o.Name, err)
	}
	return nil
}

func writeEpochFile(dir string, epoch int64) error {
	path := filepath.Join(dir, epochFileName)
	tmp := path + objectFileTmpExt
	if err := os.WriteFile(tmp, protocol.AppendInt64(nil, epoch), 0o644); err != nil {
		return fmt.Errorf("sc: persist epoch: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sc: persist epoch: %w", err)
	}
	return nil
}

func removeObjectFile(dir, label, name string) error {
	kd := filepath.Join(dir, kindDir(label))
	err := os.Remove(filepath.Join(kd, objectFileName(name)))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sc: remove %s %q: %w", label, name, err)
	}
	return syncDir(kd)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	defer d.Close()
	_ = d.Sync() // not supported everywhere; best effort
	return nil
}

// Load reads every persisted object. The store epoch continues from the
// highest object epoch found. A corrupt file is an error naming it: the SC
// refuses to start rather than forget a topic.
func (s *Store) Load() error {
	if s.dir == "" {
		return nil
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("sc: metadata dir: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, err := os.ReadFile(filepath.Join(s.dir, epochFileName)); err == nil && len(b) == 8 {
		s.epoch = max(s.epoch, protocol.NewReader(b).Int64())
	}
	for _, label := range protocol.Labels {
		kd := filepath.Join(s.dir, kindDir(label))
		entries, err := os.ReadDir(kd)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("sc: read metadata %s: %w", kd, err)
		}
		for _, e := range entries {
			path := filepath.Join(kd, e.Name())
			if strings.HasSuffix(e.Name(), objectFileTmpExt) {
				os.Remove(path)
				continue
			}
			if e.IsDir() || !strings.HasSuffix(e.Name(), objectFileExt) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return fmt.Errorf("sc: load %s: %w", path, err)
			}
			if info.Size() > maxObjectFileSize {
				return fmt.Errorf("sc: load %s: %w: %d bytes", path, errBadObject, info.Size())
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("sc: load %s: %w", path, err)
			}
			o, err := decodeObjectFile(label, b)
			if err != nil {
				return fmt.Errorf("sc: load %s: %w", path, err)
			}
			s.kinds[label][o.Name] = o
			s.epoch = max(s.epoch, o.Epoch)
		}
	}
	return nil
}
