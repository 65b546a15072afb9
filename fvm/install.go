package fvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/gofluvio/fluvio/hub"
	"github.com/gofluvio/fluvio/hub/targets"
)

// registryURL picks the registry: flag, env, Fluvio's env, settings, default.
func (o *Options) registryURL(flag string) (string, error) {
	for _, v := range []string{flag, os.Getenv(EnvRegistry), os.Getenv(EnvHubRemote)} {
		if v != "" {
			return v, nil
		}
	}
	s, err := o.Home.ReadSettings()
	if err != nil {
		return "", err
	}
	if s.Registry != "" {
		return s.Registry, nil
	}
	return DefaultRegistry, nil
}

func (o *Options) client(flag string) (*hub.Client, error) {
	u, err := o.registryURL(flag)
	if err != nil {
		return nil, err
	}
	return hub.NewClient(u, o.Transport)
}

// target resolves --target / $FVM_BINARY_ARCH_TRIPLE / the host.
func (o *Options) target(flag string) (targets.Target, error) {
	t := flag
	if t == "" {
		t = os.Getenv(EnvTarget)
	}
	if t == "" {
		t = o.HostTriple
	}
	if t == "" {
		return targets.Host(hostGOARM())
	}
	return targets.Lookup(t)
}

// installRelease downloads the set of rel for t into versions/<dir>,
// verifying every blob, and replaces any previous install of that dir only
// when everything arrived intact.
func (o *Options) installRelease(ctx context.Context, c *hub.Client, rel *hub.Release, ch Channel, t targets.Target) (*Manifest, error) {
	p, err := c.Platform(ctx, rel, t.Triple)
	if err != nil {
		if errors.Is(err, hub.ErrNotFound) {
			return nil, fmt.Errorf("%w: %v", targets.ErrUnsupported, err)
		}
		return nil, err
	}
	var bins []hub.Binary
	for _, b := range p.Binaries {
		if b.Name() == "fvm" {
			continue // fvm installs itself: fvm self update
		}
		bins = append(bins, b)
	}
	if err := os.MkdirAll(o.Home.versionsDir(), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(o.Home.versionsDir(), ".install-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed into place
	m := &Manifest{Channel: ch, Version: rel.Version, Digest: rel.Digest.String()}
	for i, b := range bins {
		o.info("Downloading (%d/%d): %s@%s", i+1, len(bins), b.Name(), rel.Version)
		if err := o.download(ctx, c, b, filepath.Join(tmp, b.File)); err != nil {
			return nil, fmt.Errorf("artifact %s: %w", b.File, err)
		}
		m.Contents = append(m.Contents, Content{Name: b.Name(), Version: rel.Version})
	}
	mb, err := jsonIndent(m)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, manifestFile), mb, 0o644); err != nil {
		return nil, err
	}
	if err := replaceDir(tmp, o.Home.versionDir(ch.String())); err != nil {
		return nil, fmt.Errorf("install %s: %w", ch, err)
	}
	o.done("Installed fluvio version %s", rel.Version)
	return m, nil
}

// replaceDir moves src to dst; an existing dst is moved aside first and
// removed after, so dst is always either the old or the new set.
func replaceDir(src, dst string) error {
	old := ""
	if _, err := os.Stat(dst); err == nil {
		old = filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".old")
		os.RemoveAll(old)
		if err := os.Rename(dst, old); err != nil {
			return err
		}
	}
	if err := os.Rename(src, dst); err != nil {
		if old != "" {
			os.Rename(old, dst)
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// download fetches one blob to path, verifying its digest. A progress bar
// is drawn on stderr when it is a terminal.
func (o *Options) download(ctx context.Context, c *hub.Client, b hub.Binary, path string) error {
	rc, size, err := c.OpenBlob(ctx, b.Digest)
	if err != nil {
		return err
	}
	defer rc.Close()
	if size < 0 {
		size = b.Size
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	v := hub.NewVerifier(b.Digest)
	var w io.Writer = io.MultiWriter(f, v)
	if o.Progress && !o.Quiet {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(o.Err),
			progressbar.OptionSetDescription(b.File),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		w = io.MultiWriter(w, bar)
	}
	n, err := io.CopyBuffer(w, io.LimitReader(rc, b.Size+1), make([]byte, 256<<10))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: download %s: %w", hub.ErrUnreachable, b.Digest, err)
	}
	if n != b.Size {
		return fmt.Errorf("%w: %s: got %d bytes, manifest says %d", hub.ErrDigest, b.File, n, b.Size)
	}
	if err := v.Check(); err != nil {
		return fmt.Errorf("%s didn't match its digest, refused: %w", b.File, err)
	}
	return nil
}

// activate copies versions/<dir> into ~/.fluvio/bin and records it in
// settings.toml (spec §1.7).
func (o *Options) activate(dir string) (*Manifest, error) {
	m, err := o.Home.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	bin := o.Home.FluvioBin()
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(o.Home.versionDir(dir))
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || e.Name() == manifestFile || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := copyFileAtomic(filepath.Join(o.Home.versionDir(dir), e.Name()), filepath.Join(bin, e.Name()), 0o755); err != nil {
			return nil, fmt.Errorf("activate %s: %w", e.Name(), err)
		}
	}
	s, err := o.Home.ReadSettings()
	if err != nil {
		return nil, err
	}
	ch := m.Channel
	s.Channel, s.Version = &ch, m.Version
	if err := o.Home.WriteSettings(s); err != nil {
		return nil, err
	}
	if ch.IsVersionTag() {
		o.done("Now using Fluvio version %s", m.Version)
	} else {
		o.done("Now using Fluvio %s (%s)", ch, m.Version)
	}
	return m, nil
}
