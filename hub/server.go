package hub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	fluvio "github.com/gofluvio/fluvio"
	"github.com/gofluvio/fluvio/hub/targets"
)

// InstallScriptURLMarker is the placeholder in install.sh that the Hub
// replaces with its own URL when serving /install.sh.
const InstallScriptURLMarker = "__FLUVIO_HUB_URL__"

// ServerOptions configures a Hub server.
type ServerOptions struct {
	// DataDir holds blobs and manifests (see the layout in store.go).
	DataDir string
	// Repository is the repository the download paths read releases
	// from (default DefaultRepository).
	Repository string
	// PublicURL is the URL clients reach the Hub at, templated into
	// install.sh. Empty: derived from each request's Host.
	PublicURL string
	// Log receives registry request logs; nil discards them.
	Log *log.Logger
}

// Server is the Hub: an OCI registry with blobs and manifests on disk, plus
// plain download paths for the installer:
//
//	GET /install.sh                              the installer, pointing at this Hub
//	GET /fvm/<ref>/<triple>/fvm[.sha256]         fvm of a release for a target
//	GET /download/<ref>/<triple>/<bin>[.sha256]  any binary of a release
//	GET /hub/v1/fvm/pkgset/<ref>?arch=<triple>   Fluvio's package-set API (the Rust fvm works too)
//	    /v2/...                                  the OCI distribution API
//
// <ref> is a channel (stable, latest) or a version; .sha256 bodies are the
// bare lowercase hex digest with no newline, as Fluvio's fvm compares them.
type Server struct {
	opts     ServerOptions
	blobs    *diskBlobs
	journal  *journal
	registry http.Handler
	mux      *http.ServeMux
}

// NewServer opens (or creates) the data directory and replays the stored
// manifests.
func NewServer(o ServerOptions) (*Server, error) {
	if o.DataDir == "" {
		return nil, fmt.Errorf("%w: hub server needs a data directory", ErrInvalid)
	}
	if o.Repository == "" {
		o.Repository = DefaultRepository
	}
	if o.Log == nil {
		o.Log = log.New(io.Discard, "", 0)
	}
	bdir := filepath.Join(o.DataDir, blobsDir)
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		return nil, fmt.Errorf("hub data dir: %w", err)
	}
	j, err := openJournal(filepath.Join(o.DataDir, manifestsDir))
	if err != nil {
		return nil, fmt.Errorf("hub data dir: %w", err)
	}
	s := &Server{opts: o, blobs: &diskBlobs{dir: bdir}, journal: j}
	s.registry = registry.New(registry.WithBlobHandler(s.blobs), registry.Logger(o.Log))
	if _, err := j.replay(s.registry); err != nil {
		j.close()
		return nil, fmt.Errorf("hub: replay manifests: %w", err)
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/v2/", s.serveRegistry)
	s.mux.HandleFunc("GET /install.sh", s.serveInstallScript)
	s.mux.HandleFunc("GET /fvm/{ref}/{triple}/{file}", s.serveFvm)
	s.mux.HandleFunc("GET /download/{ref}/{triple}/{file}", s.serveDownload)
	s.mux.HandleFunc("GET /hub/v1/fvm/pkgset/{ref}", s.servePkgset)
	s.mux.HandleFunc("GET /{$}", s.serveIndex)
	return s, nil
}

// Close releases the journal.
func (s *Server) Close() error { return s.journal.close() }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

var manifestPath = regexp.MustCompile(`^/v2/.+/manifests/[^/]+$`)

func (s *Server) serveRegistry(w http.ResponseWriter, r *http.Request) {
	if !manifestPath.MatchString(r.URL.Path) || (r.Method != http.MethodPut && r.Method != http.MethodDelete) {
		s.registry.ServeHTTP(w, r)
		return
	}
	var body []byte
	if r.Method == http.MethodPut {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxManifest+1))
		if err != nil {
			http.Error(w, "read manifest: "+err.Error(), http.StatusBadRequest)
			return
		}
		if len(b) > maxManifest {
			http.Error(w, "manifest too large", http.StatusRequestEntityTooLarge)
			return
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rec := &statusRecorder{ResponseWriter: w}
	s.registry.ServeHTTP(rec, r)
	var err error
	switch {
	case r.Method == http.MethodPut && rec.status == http.StatusCreated:
		err = s.journal.put(r.URL.Path, r.Header.Get("Content-Type"), body)
	case r.Method == http.MethodDelete && rec.status == http.StatusAccepted:
		err = s.journal.delete(r.URL.Path)
	}
	if err != nil {
		// The client already has its answer; the next restart would
		// lose this write, so say so loudly.
		s.opts.Log.Printf("hub: persist %s %s: %v", r.Method, r.URL.Path, err)
		fmt.Fprintf(os.Stderr, "hub: could not persist %s %s: %v\n", r.Method, r.URL.Path, err)
	}
}

var safeURL = regexp.MustCompile(`^https?://[A-Za-z0-9.\-_:\[\]]+(/[A-Za-z0-9.\-_/]*)?$`)

func (s *Server) baseURL(r *http.Request) (string, error) {
	u := s.opts.PublicURL
	if u == "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		u = scheme + "://" + r.Host
	}
	u = strings.TrimRight(u, "/")
	if !safeURL.MatchString(u) {
		return "", fmt.Errorf("%w: hub URL %q", ErrInvalid, u)
	}
	return u, nil
}

func (s *Server) serveInstallScript(w http.ResponseWriter, r *http.Request) {
	base, err := s.baseURL(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body := bytes.ReplaceAll(fluvio.InstallScript, []byte(InstallScriptURLMarker), []byte(base))
	w.Header().Set("Content-Type", "text/x-shellscript; charset=utf-8")
	http.ServeContent(w, r, "install.sh", time.Time{}, bytes.NewReader(body))
}

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	base, err := s.baseURL(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "Fluvio Hub\n\nInstall: curl -fsS %s/install.sh | sh\nOCI registry: %s/v2/%s\n", base, base, s.opts.Repository)
}

// get runs an in-process GET against the registry.
func (s *Server) get(path, accept string) (*httptest.ResponseRecorder, error) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	s.registry.ServeHTTP(rec, req)
	if rec.Code == http.StatusNotFound {
		return nil, ErrNotFound
	}
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("registry answered %d for %s", rec.Code, path)
	}
	return rec, nil
}

// lookup finds binary file of release ref for triple in the local registry.
func (s *Server) lookup(ref, triple, file string) (version string, b Binary, err error) {
	t, err := targets.Lookup(triple)
	if err != nil {
		return "", Binary{}, err
	}
	tag := ref
	if tag != ChannelStable && tag != ChannelLatest {
		if tag, err = VersionTag(ref); err != nil {
			if !ValidTag(ref) {
				return "", Binary{}, err
			}
			tag = ref
		}
	}
	repo := "/v2/" + s.opts.Repository
	rec, err := s.get(repo+"/manifests/"+tag, "")
	if err != nil {
		return "", Binary{}, fmt.Errorf("release %q: %w", ref, err)
	}
	im, err := v1.ParseIndexManifest(rec.Body)
	if err != nil {
		return "", Binary{}, fmt.Errorf("%w: release %q is not an index: %v", ErrInvalid, ref, err)
	}
	version = im.Annotations[AnnotationVersion]
	for _, d := range im.Manifests {
		if d.Annotations[AnnotationTriple] != t.Triple {
			continue
		}
		rec, err := s.get(repo+"/manifests/"+d.Digest.String(), "")
		if err != nil {
			return "", Binary{}, err
		}
		m, err := v1.ParseManifest(rec.Body)
		if err != nil {
			return "", Binary{}, fmt.Errorf("%w: manifest %s: %v", ErrInvalid, d.Digest, err)
		}
		for _, l := range m.Layers {
			title := l.Annotations[AnnotationTitle]
			if title == file || title == file+t.Ext() {
				return version, Binary{File: title, Digest: l.Digest, Size: l.Size}, nil
			}
		}
		return "", Binary{}, fmt.Errorf("%w: release %q for %s has no %s", ErrNotFound, ref, t.Triple, file)
	}
	return "", Binary{}, fmt.Errorf("%w: release %q has no build for %s", ErrNotFound, ref, t.Triple)
}

func (s *Server) serveFvm(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	if strings.TrimSuffix(strings.TrimSuffix(file, ".sha256"), ".exe") != "fvm" {
		http.Error(w, "only fvm is served here; other binaries are under /download/", http.StatusNotFound)
		return
	}
	s.serveBinary(w, r, r.PathValue("ref"), r.PathValue("triple"), file)
}

func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	s.serveBinary(w, r, r.PathValue("ref"), r.PathValue("triple"), r.PathValue("file"))
}

func (s *Server) serveBinary(w http.ResponseWriter, r *http.Request, ref, triple, file string) {
	name, sum := strings.CutSuffix(file, ".sha256")
	_, b, err := s.lookup(ref, triple, name)
	if err != nil {
		httpError(w, err)
		return
	}
	if sum {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, b.Digest.Hex)
		return
	}
	rc, err := s.blobs.Get(r.Context(), "", b.Digest)
	if err != nil {
		httpError(w, fmt.Errorf("blob %s: %w", b.Digest, ErrNotFound))
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Docker-Content-Digest", b.Digest.String())
	if f, ok := rc.(*os.File); ok {
		http.ServeContent(w, r, b.File, time.Time{}, f)
		return
	}
	io.Copy(w, rc)
}

// pkgsetRecord is Fluvio's package-set answer (spec §2.2).
type pkgsetRecord struct {
	Pkgset    string           `json:"pkgset"`
	Arch      string           `json:"arch"`
	Artifacts []pkgsetArtifact `json:"artifacts"`
}

type pkgsetArtifact struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	DownloadURL string `json:"download_url"`
	SHA256URL   string `json:"sha256_url"`
}

func (s *Server) servePkgset(w http.ResponseWriter, r *http.Request) {
	ref, triple := r.PathValue("ref"), r.URL.Query().Get("arch")
	base, err := s.baseURL(r)
	if err != nil {
		pkgsetError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := targets.Lookup(triple)
	if err != nil {
		pkgsetError(w, http.StatusBadRequest, err.Error())
		return
	}
	version, _, err := s.lookup(ref, t.Triple, "fluvio")
	if err != nil {
		pkgsetError(w, http.StatusNotFound, fmt.Sprintf("PackageSet %s does not exist for %s", ref, t.Triple))
		return
	}
	rec := pkgsetRecord{Pkgset: version, Arch: t.Triple}
	for _, name := range t.Binaries {
		if name == "fvm" {
			continue // fvm updates itself; Fluvio's sets do not carry it
		}
		if _, _, err := s.lookup(ref, t.Triple, name); err != nil {
			continue
		}
		u := fmt.Sprintf("%s/download/%s/%s/%s", base, ref, t.Triple, name)
		rec.Artifacts = append(rec.Artifacts, pkgsetArtifact{Name: name, Version: version, DownloadURL: u, SHA256URL: u + ".sha256"})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rec)
}

func pkgsetError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"status": code, "message": msg})
}

func httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, ErrInvalid), errors.Is(err, targets.ErrUnsupported):
		code = http.StatusBadRequest
	}
	http.Error(w, err.Error(), code)
}
