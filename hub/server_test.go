package hub_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/hub"
	"github.com/gofluvio/fluvio/hub/targets"
)

// fakeDist writes a goreleaser-shaped dist whose "binaries" are short texts
// naming binary, triple and version.
func fakeDist(t *testing.T, version string, triples ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "dist")
	d := &hub.Dist{Version: version, Commit: "c0ffee", Date: "2026-01-02T03:04:05Z", Targets: map[string][]hub.DistBinary{}}
	for _, triple := range triples {
		tg, err := targets.Lookup(triple)
		require.NoError(t, err)
		for _, name := range tg.Binaries {
			bd := filepath.Join(dir, hub.DistBuildDir(name, tg))
			require.NoError(t, os.MkdirAll(bd, 0o755))
			p := filepath.Join(bd, name+tg.Ext())
			require.NoError(t, os.WriteFile(p, []byte(name+" "+triple+" "+version+"\n"), 0o755))
			d.Targets[triple] = append(d.Targets[triple], hub.DistBinary{Name: name, File: name + tg.Ext(), Path: p})
		}
	}
	require.NoError(t, hub.WriteDist(dir, d))
	return dir
}

func startHub(t *testing.T, dataDir string) (*httptest.Server, *hub.Server) {
	t.Helper()
	srv, err := hub.NewServer(hub.ServerOptions{DataDir: dataDir})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts, srv
}

func publish(t *testing.T, registry, dist string, channels ...string) *hub.Published {
	t.Helper()
	d, err := hub.ReadDist(dist)
	require.NoError(t, err)
	c, err := hub.NewClient(registry, nil)
	require.NoError(t, err)
	p, err := c.Publish(context.Background(), hub.PublishOptions{Dist: d, Channels: channels})
	require.NoError(t, err)
	return p
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestPublishResolveAndServe(t *testing.T) {
	data := t.TempDir()
	ts, _ := startHub(t, data)
	const linux, win = "x86_64-unknown-linux-musl", "x86_64-pc-windows-msvc"
	publish(t, ts.URL, fakeDist(t, "0.1.0", linux, win), "stable", "latest")
	publish(t, ts.URL, fakeDist(t, "0.2.0-rc.1+abc", linux), "latest")

	ctx := context.Background()
	c, err := hub.NewClient(ts.URL, nil)
	require.NoError(t, err)
	tags, err := c.Tags(ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"0.1.0", "0.2.0-rc.1_abc", "stable", "latest"}, tags)

	for _, tc := range []struct{ ref, version, tag string }{
		{"stable", "0.1.0", "stable"},
		{"latest", "0.2.0-rc.1+abc", "latest"},
		{"0.1.0", "0.1.0", "0.1.0"},
		{"v0.1.0", "0.1.0", "0.1.0"},
		{"^0.1", "0.1.0", "0.1.0"},
		{">=0.2.0-0", "0.2.0-rc.1+abc", "0.2.0-rc.1_abc"},
	} {
		rel, err := c.Resolve(ctx, tc.ref)
		require.NoError(t, err, tc.ref)
		require.Equal(t, tc.version, rel.Version, tc.ref)
		require.Equal(t, tc.tag, rel.Tag, tc.ref)
	}
	_, err = c.Resolve(ctx, "9.9.9")
	require.ErrorIs(t, err, hub.ErrNotFound)
	_, err = c.Resolve(ctx, "^7")
	require.ErrorIs(t, err, hub.ErrNotFound)

	rel, err := c.Resolve(ctx, "stable")
	require.NoError(t, err)
	require.Equal(t, []string{win, linux}, rel.Platforms())
	require.Equal(t, "c0ffee", rel.Commit)
	p, err := c.Platform(ctx, rel, win)
	require.NoError(t, err)
	require.Equal(t, "windows", p.Config.OS)
	b, ok := p.Find("fvm")
	require.True(t, ok)
	require.Equal(t, "fvm.exe", b.File)
	rc, _, err := c.OpenBlob(ctx, b.Digest)
	require.NoError(t, err)
	body, err := io.ReadAll(rc)
	rc.Close()
	require.NoError(t, err)
	require.Equal(t, "fvm "+win+" 0.1.0\n", string(body))
	_, err = c.Platform(ctx, rel, "aarch64-apple-darwin")
	require.ErrorIs(t, err, hub.ErrNotFound)

	// Plain download paths for the installer.
	code, fvm := get(t, ts.URL+"/fvm/stable/"+linux+"/fvm")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "fvm "+linux+" 0.1.0\n", fvm)
	code, sum := get(t, ts.URL+"/fvm/stable/"+linux+"/fvm.sha256")
	require.Equal(t, http.StatusOK, code)
	want := sha256.Sum256([]byte(fvm))
	require.Equal(t, hex.EncodeToString(want[:]), sum, "bare hex, no newline")
	code, fvm = get(t, ts.URL+"/fvm/latest/x86_64-unknown-linux-gnu/fvm")
	require.Equal(t, http.StatusOK, code, "gnu is an alias of musl")
	require.Equal(t, "fvm "+linux+" 0.2.0-rc.1+abc\n", fvm)
	code, _ = get(t, ts.URL+"/fvm/stable/x86_64-pc-windows-gnu/fvm")
	require.Equal(t, http.StatusOK, code)
	code, _ = get(t, ts.URL+"/fvm/latest/"+win+"/fvm")
	require.Equal(t, http.StatusNotFound, code, "0.2.0 has no windows build")
	code, _ = get(t, ts.URL+"/fvm/stable/sparc-sun-solaris/fvm")
	require.Equal(t, http.StatusBadRequest, code)
	code, _ = get(t, ts.URL+"/download/0.1.0/"+linux+"/fluvio-run")
	require.Equal(t, http.StatusOK, code)

	code, script := get(t, ts.URL+"/install.sh")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, script, "HUB_DEFAULT='"+ts.URL+"'")
	require.NotContains(t, script, hub.InstallScriptURLMarker)

	// Fluvio's package-set API.
	code, js := get(t, ts.URL+"/hub/v1/fvm/pkgset/stable?arch="+linux)
	require.Equal(t, http.StatusOK, code)
	var set struct {
		Pkgset    string
		Arch      string
		Artifacts []struct{ Name, Version, Download_url, Sha256_url string }
	}
	require.NoError(t, json.Unmarshal([]byte(js), &set))
	require.Equal(t, "0.1.0", set.Pkgset)
	require.Len(t, set.Artifacts, 3, "fluvio, fluvio-run, ssdk; not fvm")
	code, dl := get(t, set.Artifacts[0].Download_url)
	require.Equal(t, http.StatusOK, code)
	_, dsum := get(t, set.Artifacts[0].Sha256_url)
	ds := sha256.Sum256([]byte(dl))
	require.Equal(t, hex.EncodeToString(ds[:]), dsum)
	code, js = get(t, ts.URL+"/hub/v1/fvm/pkgset/0.0.0?arch="+linux)
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, js, `"message"`)
}

func TestHubKeepsReleasesAcrossRestarts(t *testing.T) {
	data := t.TempDir()
	ts, srv := startHub(t, data)
	const linux = "x86_64-unknown-linux-musl"
	publish(t, ts.URL, fakeDist(t, "0.1.0", linux), "stable")
	publish(t, ts.URL, fakeDist(t, "0.2.0", linux), "stable")
	ts.Close()
	require.NoError(t, srv.Close())

	ts2, _ := startHub(t, data)
	code, body := get(t, ts2.URL+"/fvm/stable/"+linux+"/fvm")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "fvm "+linux+" 0.2.0\n", body, "the last tag move survives")
	c, err := hub.NewClient(ts2.URL, nil)
	require.NoError(t, err)
	tags, err := c.Tags(context.Background())
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"0.1.0", "0.2.0", "stable"}, tags)
	// Promote moves the channel back.
	require.NoError(t, c.Promote(context.Background(), "0.1.0", []string{"stable"}))
	_, body = get(t, ts2.URL+"/fvm/stable/"+linux+"/fvm")
	require.Equal(t, "fvm "+linux+" 0.1.0\n", body)
}

func TestReadDistRejectsBadInput(t *testing.T) {
	for name, tc := range map[string]struct{ meta, arts string }{
		"bad json":         {`{`, `[]`},
		"no binaries":      {`{"version":"1.0.0"}`, `[{"type":"Archive","name":"x.tar.gz"}]`},
		"unknown platform": {`{"version":"1.0.0"}`, `[{"type":"Binary","name":"fluvio","path":"dist/a/fluvio","goos":"plan9","goarch":"386"}]`},
		"duplicate":        {`{"version":"1.0.0"}`, `[{"type":"Binary","name":"fluvio","path":"dist/a/fluvio","goos":"linux","goarch":"amd64"},{"type":"Binary","name":"fluvio","path":"dist/b/fluvio","goos":"linux","goarch":"amd64"}]`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := hub.ParseDist([]byte(tc.meta), []byte(tc.arts))
			require.ErrorIs(t, err, hub.ErrInvalid)
		})
	}
	d, err := hub.ParseDist([]byte(`{"version":"1.0.0","commit":"abc"}`),
		[]byte(`[{"type":"Binary","name":"fluvio","path":"dist/fluvio_linux_arm_6/fluvio","goos":"linux","goarch":"arm","goarm":"6","extra":{"Binary":"fluvio"}}]`))
	require.NoError(t, err)
	require.Equal(t, []string{"arm-unknown-linux-gnueabihf"}, d.Triples())
}

func TestParseRepository(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8090":            "127.0.0.1:8090/fluvio",
		"https://ghcr.io/gofluvio/fluvio/": "ghcr.io/gofluvio/fluvio",
		"registry.example.com:5000/rel":    "registry.example.com:5000/rel",
	} {
		r, err := hub.ParseRepository(in)
		require.NoError(t, err, in)
		require.Equal(t, want, r.String())
	}
	r, err := hub.ParseRepository("http://example.com")
	require.NoError(t, err)
	require.Equal(t, "http", r.Scheme(), "http:// URLs are used without TLS")
	for _, bad := range []string{"", "ftp://x", "http://"} {
		_, err := hub.ParseRepository(bad)
		require.ErrorIs(t, err, hub.ErrInvalid, bad)
	}
}

func TestVersionTags(t *testing.T) {
	tag, err := hub.VersionTag("v1.2.3-dev-1+abc")
	require.NoError(t, err)
	require.Equal(t, "1.2.3-dev-1_abc", tag)
	require.Equal(t, "1.2.3-dev-1+abc", hub.TagVersion(tag).Original())
	require.Nil(t, hub.TagVersion("stable"))
	_, err = hub.VersionTag("banana")
	require.ErrorIs(t, err, hub.ErrInvalid)
	require.True(t, strings.HasPrefix(hub.MediaTypeBinary, "application/vnd."))
}
