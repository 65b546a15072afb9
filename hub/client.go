package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Client reads and writes releases in one repository of an OCI registry.
type Client struct {
	repo name.Repository
	base http.RoundTripper
	auth authn.Keychain

	mu   sync.Mutex
	pull http.RoundTripper // authenticated for pulls, made on first blob fetch
}

// ParseRepository parses a registry URL into a repository: the URL's host is
// the registry and its path the repository (DefaultRepository when empty).
// http:// URLs, and hosts ggcr treats as local (localhost, 127.0.0.1), are
// reached without TLS.
//
//	http://127.0.0.1:8090            → 127.0.0.1:8090/fluvio
//	https://ghcr.io/gofluvio/fluvio  → ghcr.io/gofluvio/fluvio
//	registry.example.com:5000/rel    → registry.example.com:5000/rel
func ParseRepository(raw string) (name.Repository, error) {
	s := strings.TrimSpace(raw)
	insecure := false
	switch {
	case strings.HasPrefix(s, "http://"):
		insecure = true
		s = strings.TrimPrefix(s, "http://")
	case strings.HasPrefix(s, "https://"):
		s = strings.TrimPrefix(s, "https://")
	case strings.Contains(s, "://"):
		return name.Repository{}, fmt.Errorf("%w: registry URL %q: scheme must be http or https", ErrInvalid, raw)
	}
	s = strings.Trim(s, "/")
	host, path, _ := strings.Cut(s, "/")
	if host == "" {
		return name.Repository{}, fmt.Errorf("%w: registry URL %q names no host (want e.g. https://ghcr.io/owner/fluvio or http://127.0.0.1:8090)", ErrInvalid, raw)
	}
	if path == "" {
		path = DefaultRepository
	}
	var opts []name.Option
	opts = append(opts, name.StrictValidation)
	if insecure {
		opts = append(opts, name.Insecure)
	}
	repo, err := name.NewRepository(host+"/"+path, opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("%w: registry URL %q: %v", ErrInvalid, raw, err)
	}
	return repo, nil
}

// NewClient returns a client for the repository at registryURL (see
// ParseRepository). base is the HTTP transport (nil: one that honours
// HTTP_PROXY, HTTPS_PROXY and NO_PROXY); credentials come from the Docker
// config (`docker login`), anonymous otherwise.
func NewClient(registryURL string, base http.RoundTripper) (*Client, error) {
	repo, err := ParseRepository(registryURL)
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = DefaultTransport()
	}
	return &Client{repo: repo, base: base, auth: authn.DefaultKeychain}, nil
}

// DefaultTransport is http.DefaultTransport with proxies from the
// environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, upper or lower case).
func DefaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	return t
}

// Repository is the repository the client talks to.
func (c *Client) Repository() name.Repository { return c.repo }

func (c *Client) options(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithTransport(c.base), remote.WithAuthFromKeychain(c.auth)}
}

// classify turns transport errors into the package's sentinels.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		if terr.StatusCode == http.StatusNotFound {
			return fmt.Errorf("%w: %s", ErrNotFound, what)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	var nerr net.Error
	var uerr *url.Error
	if errors.As(err, &nerr) || errors.As(err, &uerr) {
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Tags lists the repository's tags.
func (c *Client) Tags(ctx context.Context) ([]string, error) {
	tags, err := remote.List(c.repo, c.options(ctx)...)
	if err != nil {
		return nil, classify(err, "list tags of "+c.repo.String())
	}
	return tags, nil
}

// Release is one resolved release: its index and where it came from.
type Release struct {
	// Ref is what was asked for (stable, latest, 1.2.3, ^1.2, a label).
	Ref string
	// Tag is the tag read.
	Tag      string
	Version  string
	Commit   string
	Date     string
	Digest   v1.Hash
	Manifest *v1.IndexManifest
}

// Channel reports whether the release was resolved through a channel tag.
func (r *Release) Channel() bool { return r.Tag == ChannelStable || r.Tag == ChannelLatest }

// ResolveTag turns a user's version request into a tag: channels and exact
// versions directly, a semver constraint (^0.12, ~1.2, >=1 <2) to the
// highest version tag satisfying it, anything else to itself as a label.
func (c *Client) ResolveTag(ctx context.Context, ref string) (string, error) {
	r := strings.ToLower(strings.TrimSpace(ref))
	switch {
	case r == "":
		return ChannelStable, nil
	case r == ChannelStable || r == ChannelLatest:
		return r, nil
	}
	if tag, err := VersionTag(r); err == nil {
		return tag, nil
	}
	cons, err := semver.NewConstraint(r)
	if err != nil || !strings.ContainsAny(r, "^~<>=*xX ,|") {
		if !ValidTag(ref) {
			return "", fmt.Errorf("%w: %q is not a channel (stable, latest), a version (1.2.3), a constraint (^1.2) or a label", ErrInvalid, ref)
		}
		return ref, nil // a label such as ssdk-preview1
	}
	tags, err := c.Tags(ctx)
	if err != nil {
		return "", err
	}
	var best *semver.Version
	var bestTag string
	for _, t := range tags {
		v := TagVersion(t)
		if v == nil || !cons.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestTag = v, t
		}
	}
	if best == nil {
		return "", fmt.Errorf("%w: no release matches %q in %s", ErrNotFound, ref, c.repo)
	}
	return bestTag, nil
}

// Resolve finds the release ref names (see ResolveTag) and reads its index.
func (c *Client) Resolve(ctx context.Context, ref string) (*Release, error) {
	tag, err := c.ResolveTag(ctx, ref)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(c.repo.Tag(tag), c.options(ctx)...)
	if err != nil {
		return nil, classify(err, fmt.Sprintf("release %q in %s", ref, c.repo))
	}
	if !desc.MediaType.IsIndex() {
		return nil, fmt.Errorf("%w: %s:%s is a %s, not a release index", ErrInvalid, c.repo, tag, desc.MediaType)
	}
	im, err := v1.ParseIndexManifest(strings.NewReader(string(desc.Manifest)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s:%s: %v", ErrInvalid, c.repo, tag, err)
	}
	rel := &Release{Ref: ref, Tag: tag, Digest: desc.Digest, Manifest: im}
	rel.Version = im.Annotations[AnnotationVersion]
	rel.Commit = im.Annotations[AnnotationRevision]
	rel.Date = im.Annotations[AnnotationCreated]
	if rel.Version == "" {
		return nil, fmt.Errorf("%w: %s:%s carries no %s annotation; not a Fluvio release", ErrInvalid, c.repo, tag, AnnotationVersion)
	}
	return rel, nil
}

// Platforms lists the triples a release has.
func (r *Release) Platforms() []string {
	var out []string
	for _, m := range r.Manifest.Manifests {
		if t := m.Annotations[AnnotationTriple]; t != "" {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Binary is one executable of a platform manifest.
type Binary struct {
	// File is the file name (layer title), e.g. fluvio or fluvio.exe.
	File   string
	Digest v1.Hash
	Size   int64
}

// Name is File without a .exe suffix.
func (b Binary) Name() string { return strings.TrimSuffix(b.File, ".exe") }

// Platform is the part of a release for one target.
type Platform struct {
	Triple   string
	Config   *ReleaseConfig
	Binaries []Binary
}

// Find returns the binary named name (with or without .exe).
func (p *Platform) Find(name string) (Binary, bool) {
	for _, b := range p.Binaries {
		if b.File == name || b.Name() == name {
			return b, true
		}
	}
	return Binary{}, false
}

// maxManifest bounds manifests and config blobs read into memory.
const maxManifest = 4 << 20

// Platform reads the manifest and config of the release for triple.
func (c *Client) Platform(ctx context.Context, r *Release, triple string) (*Platform, error) {
	var desc *v1.Descriptor
	for i, m := range r.Manifest.Manifests {
		if m.Annotations[AnnotationTriple] == triple {
			desc = &r.Manifest.Manifests[i]
			break
		}
	}
	if desc == nil {
		return nil, fmt.Errorf("%w: release %s (%s) has no build for %s (it has: %s)", ErrNotFound, r.Ref, r.Version, triple, strings.Join(r.Platforms(), ", "))
	}
	got, err := remote.Get(c.repo.Digest(desc.Digest.String()), c.options(ctx)...)
	if err != nil {
		return nil, classify(err, fmt.Sprintf("manifest of %s for %s", r.Version, triple))
	}
	if got.Digest != desc.Digest {
		return nil, fmt.Errorf("%w: manifest %s arrived as %s", ErrDigest, desc.Digest, got.Digest)
	}
	m, err := v1.ParseManifest(strings.NewReader(string(got.Manifest)))
	if err != nil {
		return nil, fmt.Errorf("%w: manifest of %s for %s: %v", ErrInvalid, r.Version, triple, err)
	}
	cfgBytes, err := c.readBlob(ctx, m.Config.Digest, maxManifest)
	if err != nil {
		return nil, fmt.Errorf("config of %s for %s: %w", r.Version, triple, err)
	}
	cfg, err := ParseReleaseConfig(cfgBytes)
	if err != nil {
		return nil, err
	}
	p := &Platform{Triple: triple, Config: cfg}
	for _, l := range m.Layers {
		title := l.Annotations[AnnotationTitle]
		if l.MediaType != MediaTypeBinary || title == "" || strings.ContainsAny(title, `/\`) || title == "." || title == ".." {
			continue
		}
		p.Binaries = append(p.Binaries, Binary{File: title, Digest: l.Digest, Size: l.Size})
	}
	if len(p.Binaries) == 0 {
		return nil, fmt.Errorf("%w: release %s for %s has no binaries", ErrInvalid, r.Version, triple)
	}
	return p, nil
}

func (c *Client) pullTransport(ctx context.Context) (http.RoundTripper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pull != nil {
		return c.pull, nil
	}
	auth, err := c.auth.Resolve(c.repo.Registry)
	if err != nil {
		return nil, fmt.Errorf("credentials for %s: %w", c.repo.Registry, err)
	}
	rt, err := transport.NewWithContext(ctx, c.repo.Registry, auth, c.base, []string{c.repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, classify(err, "connect to "+c.repo.RegistryStr())
	}
	c.pull = rt
	return rt, nil
}

// OpenBlob starts a download of the blob with digest d. The reader does not
// verify; use Verifier or Download.
func (c *Client) OpenBlob(ctx context.Context, d v1.Hash) (io.ReadCloser, int64, error) {
	rt, err := c.pullTransport(ctx)
	if err != nil {
		return nil, 0, err
	}
	u := url.URL{Scheme: c.repo.Scheme(), Host: c.repo.RegistryStr(), Path: "/v2/" + c.repo.RepositoryStr() + "/blobs/" + d.String()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, 0, classify(err, "download "+d.String())
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, 0, fmt.Errorf("%w: blob %s in %s", ErrNotFound, d, c.repo)
		}
		return nil, 0, fmt.Errorf("download %s: registry answered %s", d, resp.Status)
	}
	return resp.Body, resp.ContentLength, nil
}

func (c *Client) readBlob(ctx context.Context, d v1.Hash, limit int64) ([]byte, error) {
	rc, _, err := c.OpenBlob(ctx, d)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	v := NewVerifier(d)
	b, err := io.ReadAll(io.LimitReader(io.TeeReader(rc, v), limit+1))
	if err != nil {
		return nil, classify(err, "read "+d.String())
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: blob %s is larger than %d bytes", ErrInvalid, d, limit)
	}
	if err := v.Check(); err != nil {
		return nil, err
	}
	return b, nil
}

// Verifier hashes what is written to it and checks the sum against a digest.
type Verifier struct {
	want v1.Hash
	h    hash.Hash
	n    int64
}

// NewVerifier checks against want (sha256 only).
func NewVerifier(want v1.Hash) *Verifier { return &Verifier{want: want, h: sha256.New()} }

// Write hashes p.
func (v *Verifier) Write(p []byte) (int, error) {
	v.n += int64(len(p))
	return v.h.Write(p)
}

// Check returns ErrDigest when the bytes written do not hash to the digest.
func (v *Verifier) Check() error {
	if v.want.Algorithm != "sha256" {
		return fmt.Errorf("%w: unsupported digest algorithm %q", ErrDigest, v.want.Algorithm)
	}
	got := hex.EncodeToString(v.h.Sum(nil))
	if got != v.want.Hex {
		return fmt.Errorf("%w: expected sha256:%s, got sha256:%s (%d bytes)", ErrDigest, v.want.Hex, got, v.n)
	}
	return nil
}

type rawManifest struct {
	body []byte
	mt   types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.body, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

func marshalManifest(v any, mt types.MediaType) (rawManifest, v1.Descriptor, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return rawManifest{}, v1.Descriptor{}, err
	}
	sum := sha256.Sum256(b)
	d := v1.Descriptor{MediaType: mt, Size: int64(len(b)), Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}}
	return rawManifest{body: b, mt: mt}, d, nil
}
