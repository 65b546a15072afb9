package hub_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gofluvio/fluvio/hub"
)

const seedArtifacts = `[{"name":"fluvio","path":"dist/fluvio_linux_amd64_v1/fluvio","goos":"linux","goarch":"amd64","goamd64":"v1","internal_type":4,"type":"Binary","extra":{"Binary":"fluvio","Ext":"","ID":"fluvio"}},
{"name":"fvm.exe","path":"dist/fvm_windows_amd64_v1/fvm.exe","goos":"windows","goarch":"amd64","type":"Binary","extra":{"Binary":"fvm","Ext":".exe"}},
{"name":"fvm","path":"dist/fvm_linux_arm_7/fvm","goos":"linux","goarch":"arm","goarm":"7","type":"Binary","extra":{"Binary":"fvm"}},
{"name":"fluvio-1.0.0-x86_64-unknown-linux-musl.tar.gz","path":"dist/x.tar.gz","type":"Archive"}]`

const seedMetadata = `{"project_name":"fluvio","tag":"v1.0.0","previous_tag":"","version":"1.0.0","commit":"abc","date":"2026-01-01T00:00:00Z","runtime":{"goos":"linux","goarch":"amd64"}}`

func FuzzParseDist(f *testing.F) {
	f.Add([]byte(seedMetadata), []byte(seedArtifacts))
	f.Add([]byte(`{}`), []byte(`[]`))
	f.Add([]byte(`{"version":1}`), []byte(`[{"type":"Binary","path":"../../etc/passwd","goos":"linux","goarch":"amd64"}]`))
	f.Fuzz(func(t *testing.T, meta, arts []byte) {
		d, err := hub.ParseDist(meta, arts)
		if err != nil {
			return
		}
		for triple, bins := range d.Targets {
			if len(bins) == 0 {
				t.Fatalf("target %s with no binaries", triple)
			}
			for _, b := range bins {
				if b.Name == "" || b.File == "" || b.File == "." || b.File == ".." {
					t.Fatalf("binary without a usable name: %+v", b)
				}
			}
		}
	})
}

func FuzzParseReleaseConfig(f *testing.F) {
	f.Add([]byte(`{"version":"1.0.0","commit":"abc","date":"2026","triple":"x86_64-unknown-linux-musl","os":"linux","architecture":"amd64","binaries":["fluvio","fvm"]}`))
	f.Add([]byte(`{"version":"","triple":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := hub.ParseReleaseConfig(b)
		if err == nil && (c.Version == "" || c.Triple == "") {
			t.Fatal("accepted a config without version or triple")
		}
	})
}

// FuzzHubDownloadPaths throws arbitrary refs, triples and file names at the
// plain download paths: never a 5xx, never a panic.
func FuzzHubDownloadPaths(f *testing.F) {
	srv, err := hub.NewServer(hub.ServerOptions{DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	f.Add("stable", "x86_64-unknown-linux-musl", "fvm")
	f.Add("0.1.0", "x86_64-pc-windows-gnu", "fvm.exe.sha256")
	f.Add("..", "..", "..")
	f.Add("^1", "armv7", "fluvio")
	f.Fuzz(func(t *testing.T, ref, triple, file string) {
		for _, p := range []string{"/fvm/", "/download/"} {
			u := p + url.PathEscape(ref) + "/" + url.PathEscape(triple) + "/" + url.PathEscape(file)
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				return
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s: %d %s", u, rec.Code, rec.Body)
			}
		}
	})
}
