package hub

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// On-disk layout of the Hub's data directory:
//
//	<data-dir>/
//	  blobs/sha256/<hex>        every blob, raw, named by its digest
//	  blobs/upload-*            uploads in flight (renamed into place when complete)
//	  manifests/sha256/<hex>    every manifest pushed, raw
//	  manifests/journal.jsonl   one line per manifest PUT or DELETE, in order
//
// Why a journal? go-containerregistry's registry keeps manifests in memory
// and offers a pluggable store for blobs only. The Hub records each accepted
// manifest write and replays the journal into a fresh registry at start, so
// tags and indexes survive restarts without re-implementing the protocol.
const (
	blobsDir      = "blobs"
	manifestsDir  = "manifests"
	journalFile   = "journal.jsonl"
	journalPut    = "put"
	journalDelete = "delete"
)

// diskBlobs stores blobs as files named by digest.
//
// Why not registry.NewDiskBlobHandler? It re-hashes the whole file on every
// HEAD and GET, which makes serving 30 MB binaries slow; clients verify
// digests themselves (fvm does, always), so Stat here is a file size.
type diskBlobs struct{ dir string }

func (d *diskBlobs) path(h v1.Hash) (string, error) {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 {
		return "", fmt.Errorf("%w: digest %s", ErrInvalid, h)
	}
	if _, err := hex.DecodeString(h.Hex); err != nil {
		return "", fmt.Errorf("%w: digest %s", ErrInvalid, h)
	}
	return filepath.Join(d.dir, h.Algorithm, h.Hex), nil
}

func (d *diskBlobs) Stat(_ context.Context, _ string, h v1.Hash) (int64, error) {
	p, err := d.path(h)
	if err != nil {
		return 0, registry.ErrNotFound
	}
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, registry.ErrNotFound
	} else if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (d *diskBlobs) Get(_ context.Context, _ string, h v1.Hash) (io.ReadCloser, error) {
	p, err := d.path(h)
	if err != nil {
		return nil, registry.ErrNotFound
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, registry.ErrNotFound
	}
	return f, err
}

func (d *diskBlobs) Put(_ context.Context, _ string, h v1.Hash, rc io.ReadCloser) error {
	defer rc.Close()
	p, err := d.path(h)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(d.dir, "upload-*")
	if err != nil {
		return err
	}
	// The registry verifies size and digest as rc is read and returns the
	// mismatch from Read; nothing reaches the final name unless it passed.
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), p)
}

func (d *diskBlobs) Delete(_ context.Context, _ string, h v1.Hash) error {
	p, err := d.path(h)
	if err != nil {
		return registry.ErrNotFound
	}
	if err := os.Remove(p); errors.Is(err, os.ErrNotExist) {
		return registry.ErrNotFound
	} else if err != nil {
		return err
	}
	return nil
}

// journalEntry is one line of manifests/journal.jsonl.
type journalEntry struct {
	Op        string `json:"op"`
	Path      string `json:"path"` // request path, /v2/<repo>/manifests/<ref>
	MediaType string `json:"mediaType,omitempty"`
	Digest    string `json:"digest,omitempty"`
}

// journal persists manifest writes and replays them.
type journal struct {
	dir string
	mu  sync.Mutex
	f   *os.File
}

func openJournal(dir string) (*journal, error) {
	if err := os.MkdirAll(filepath.Join(dir, "sha256"), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &journal{dir: dir, f: f}, nil
}

// replay feeds every journalled write to h, in order.
func (j *journal) replay(h http.Handler) (int, error) {
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(j.f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		var e journalEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// A torn last line from a crash mid-append: stop there.
			break
		}
		var req *http.Request
		switch e.Op {
		case journalPut:
			body, err := os.ReadFile(filepath.Join(j.dir, "sha256", digestHex(e.Digest)))
			if err != nil {
				return n, fmt.Errorf("replay %s: %w", e.Path, err)
			}
			req = httptest.NewRequest(http.MethodPut, e.Path, bytes.NewReader(body))
			req.Header.Set("Content-Type", e.MediaType)
		case journalDelete:
			req = httptest.NewRequest(http.MethodDelete, e.Path, nil)
		default:
			continue
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		n++
	}
	return n, sc.Err()
}

func digestHex(d string) string {
	h, err := v1.NewHash(d)
	if err != nil {
		return "invalid"
	}
	return h.Hex
}

func (j *journal) put(path, mediaType string, body []byte) error {
	sum := sha256.Sum256(body)
	hx := hex.EncodeToString(sum[:])
	p := filepath.Join(j.dir, "sha256", hx)
	if _, err := os.Stat(p); err != nil {
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, body, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return j.append(journalEntry{Op: journalPut, Path: path, MediaType: mediaType, Digest: "sha256:" + hx})
}

func (j *journal) delete(path string) error {
	return j.append(journalEntry{Op: journalDelete, Path: path})
}

func (j *journal) append(e journalEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(append(b, '\n')); err != nil {
		return err
	}
	return j.f.Sync()
}

func (j *journal) close() error { return j.f.Close() }

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Flush keeps streaming responses streaming.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
