package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts
// Marshal writes back in a form Parse accepts and Marshal reproduces
// byte for byte.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"spec-example.toml", "unknown-fields.toml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("version = \"1.0\"\n[profile.\"a b\"]\ncluster = \"x.y\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		c, err := Parse(data)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			return // a value go-toml cannot write back (e.g. a NaN key); not a crash
		}
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of our own output failed: %v\ninput:\n%q\noutput:\n%s", err, data, out)
		}
		out2, err := c2.Marshal()
		if err != nil || string(out2) != string(out) {
			t.Fatalf("marshal not stable: %v\nfirst:\n%s\nsecond:\n%s", err, out, out2)
		}
	})
}
