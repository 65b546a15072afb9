package targets

import (
	"testing"

	"github.com/stretchr/testify/require"

	fluvio "github.com/gofluvio/fluvio"
)

func TestLookupAndPlatforms(t *testing.T) {
	for in, want := range map[string]string{
		"x86_64-unknown-linux-gnu":  "x86_64-unknown-linux-musl",
		"AARCH64-unknown-linux-gnu": "aarch64-unknown-linux-musl",
		"x86_64-pc-windows-gnu":     "x86_64-pc-windows-msvc",
		"armv7":                     "armv7-unknown-linux-gnueabihf",
		"aarch64-apple-darwin":      "aarch64-apple-darwin",
	} {
		got, err := Lookup(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got.Triple, in)
	}
	_, err := Lookup("sparc-sun-solaris")
	require.ErrorIs(t, err, ErrUnsupported)

	for _, tc := range []struct{ goos, goarch, goarm, triple, variant string }{
		{"linux", "arm", "6", "arm-unknown-linux-gnueabihf", "v6"},
		{"linux", "arm", "v7", "armv7-unknown-linux-gnueabihf", "v7"},
		{"linux", "amd64", "7", "x86_64-unknown-linux-musl", ""},
		{"windows", "amd64", "", "x86_64-pc-windows-msvc", ""},
	} {
		got, err := ForPlatform(tc.goos, tc.goarch, tc.goarm)
		require.NoError(t, err)
		require.Equal(t, tc.triple, got.Triple)
		require.Equal(t, tc.variant, got.Variant())
	}
	_, err = ForPlatform("plan9", "386", "")
	require.ErrorIs(t, err, ErrUnsupported)
	h, err := Host("")
	require.NoError(t, err, "the machine running the tests is a supported target")
	require.NotEmpty(t, h.Triple)
}

func TestParseRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":        "targets: []",
		"no goarm":     "targets: [{triple: a, goos: linux, goarch: arm, tier: 2, binaries: [fvm]}]",
		"bad tier":     "targets: [{triple: a, goos: linux, goarch: amd64, tier: 3, binaries: [fvm]}]",
		"dup triple":   "targets: [{triple: a, goos: linux, goarch: amd64, tier: 1, binaries: [fvm]}, {triple: a, goos: darwin, goarch: amd64, tier: 2, binaries: [fvm]}]",
		"dup platform": "targets: [{triple: a, goos: linux, goarch: amd64, tier: 1, binaries: [fvm]}, {triple: b, goos: linux, goarch: amd64, tier: 2, binaries: [fvm]}]",
		"no binaries":  "targets: [{triple: a, goos: linux, goarch: amd64, tier: 1}]",
		"not yaml":     "{{",
	} {
		_, err := Parse([]byte(doc))
		require.Error(t, err, name)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fluvio.TiersYAML)
	f.Add([]byte("targets: [{triple: a, goos: linux, goarch: arm, goarm: '7', tier: 2, binaries: [fvm], aliases: [b]}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		for _, tg := range s.Targets {
			got, err := s.Lookup(tg.Triple)
			if err != nil || got.Triple != tg.Triple {
				t.Fatalf("accepted target %q is not found by Lookup: %v", tg.Triple, err)
			}
		}
	})
}
