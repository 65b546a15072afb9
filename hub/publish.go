package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gofluvio/fluvio/hub/targets"
)

// PublishOptions says what to publish where.
type PublishOptions struct {
	// Dist is the release to push.
	Dist *Dist
	// Version overrides Dist.Version when set.
	Version string
	// Channels are the channel tags (stable, latest) to move to the release.
	Channels []string
	// Progress, when set, receives one line per step.
	Progress io.Writer
}

// Published is the outcome of Publish.
type Published struct {
	Version string
	Tags    []string
	Digest  v1.Hash
}

// Publish pushes a dist as a release index tagged with its version, then
// moves the channel tags to it. Blobs the registry already has are not sent
// again, so republishing or promoting is cheap.
func (c *Client) Publish(ctx context.Context, o PublishOptions) (*Published, error) {
	version := o.Version
	if version == "" {
		version = o.Dist.Version
	}
	version = strings.TrimPrefix(version, "v")
	vtag, err := VersionTag(version)
	if err != nil {
		return nil, err
	}
	for _, ch := range o.Channels {
		if ch != ChannelStable && ch != ChannelLatest {
			return nil, fmt.Errorf("%w: channel %q (want stable or latest)", ErrInvalid, ch)
		}
	}
	say := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", a...)
		}
	}
	opts := c.options(ctx)
	index := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		ArtifactType:  ArtifactType,
		Annotations: map[string]string{
			AnnotationVersion:  version,
			AnnotationRevision: o.Dist.Commit,
			AnnotationCreated:  o.Dist.Date,
		},
	}
	for _, triple := range o.Dist.Triples() {
		t, err := targets.Lookup(triple)
		if err != nil {
			return nil, err
		}
		bins := o.Dist.Targets[triple]
		cfg := ReleaseConfig{Version: version, Commit: o.Dist.Commit, Date: o.Dist.Date, Triple: triple,
			OS: t.GOOS, Architecture: t.GOARCH, Variant: t.Variant()}
		m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: ArtifactType,
			Annotations: map[string]string{AnnotationVersion: version, AnnotationTriple: triple}}
		for _, b := range bins {
			l, err := newFileLayer(b.Path)
			if err != nil {
				return nil, err
			}
			say("hub: push %s for %s (%d bytes, %s)", b.File, triple, l.size, l.digest)
			if err := remote.WriteLayer(c.repo, l, opts...); err != nil {
				return nil, classify(err, fmt.Sprintf("push %s for %s", b.File, triple))
			}
			cfg.Binaries = append(cfg.Binaries, b.Name)
			m.Layers = append(m.Layers, v1.Descriptor{MediaType: MediaTypeBinary, Size: l.size, Digest: l.digest,
				Annotations: map[string]string{AnnotationTitle: b.File}})
		}
		cfgJSON, _, err := marshalManifest(cfg, MediaTypeConfig)
		if err != nil {
			return nil, err
		}
		cl := static.NewLayer(cfgJSON.body, MediaTypeConfig)
		if err := remote.WriteLayer(c.repo, cl, opts...); err != nil {
			return nil, classify(err, "push config for "+triple)
		}
		cd, _ := cl.Digest()
		m.Config = v1.Descriptor{MediaType: MediaTypeConfig, Size: int64(len(cfgJSON.body)), Digest: cd}
		raw, desc, err := marshalManifest(m, types.OCIManifestSchema1)
		if err != nil {
			return nil, err
		}
		if err := remote.Put(c.repo.Digest(desc.Digest.String()), raw, opts...); err != nil {
			return nil, classify(err, "push manifest for "+triple)
		}
		desc.ArtifactType = ArtifactType
		desc.Platform = &v1.Platform{OS: t.GOOS, Architecture: t.GOARCH, Variant: t.Variant()}
		desc.Annotations = map[string]string{AnnotationTriple: triple}
		index.Manifests = append(index.Manifests, desc)
	}
	raw, desc, err := marshalManifest(index, types.OCIImageIndex)
	if err != nil {
		return nil, err
	}
	out := &Published{Version: version, Digest: desc.Digest}
	for _, tag := range append([]string{vtag}, o.Channels...) {
		if err := remote.Put(c.repo.Tag(tag), raw, opts...); err != nil {
			return nil, classify(err, "tag "+tag)
		}
		say("hub: tagged %s:%s → %s", c.repo, tag, desc.Digest)
		out.Tags = append(out.Tags, tag)
	}
	return out, nil
}

// Promote points channel tags at an already published version.
func (c *Client) Promote(ctx context.Context, version string, channels []string) error {
	vtag, err := VersionTag(version)
	if err != nil {
		return err
	}
	desc, err := remote.Get(c.repo.Tag(vtag), c.options(ctx)...)
	if err != nil {
		return classify(err, "release "+version)
	}
	for _, ch := range channels {
		if ch != ChannelStable && ch != ChannelLatest {
			return fmt.Errorf("%w: channel %q (want stable or latest)", ErrInvalid, ch)
		}
		if err := remote.Put(c.repo.Tag(ch), rawManifest{body: desc.Manifest, mt: desc.MediaType}, c.options(ctx)...); err != nil {
			return classify(err, "tag "+ch)
		}
	}
	return nil
}

// fileLayer is a v1.Layer whose bytes are a file, stored as is.
type fileLayer struct {
	path   string
	digest v1.Hash
	size   int64
}

func newFileLayer(path string) (*fileLayer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", path, err)
	}
	return &fileLayer{path: path, size: n, digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}}, nil
}

func (l *fileLayer) Digest() (v1.Hash, error)             { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)             { return l.digest, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.path) }
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) { return os.Open(l.path) }
func (l *fileLayer) Size() (int64, error)                 { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error)  { return MediaTypeBinary, nil }
