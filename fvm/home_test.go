package fvm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/hub"
	"github.com/gofluvio/fluvio/hub/targets"
)

func TestSettingsRoundTrip(t *testing.T) {
	tag := ParseChannel("0.10.14")
	label := ParseChannel("sdf-beta4")
	stable := ParseChannel("Stable")
	for name, tc := range map[string]struct {
		s    Settings
		want string
	}{
		"empty":  {Settings{}, ""},
		"stable": {Settings{Channel: &stable, Version: "0.18.1"}, "channel = \"stable\"\nversion = \"0.18.1\"\n"},
		"tag":    {Settings{Channel: &tag, Version: "0.10.14"}, "version = \"0.10.14\"\n\n[channel]\ntag = \"0.10.14\"\n"},
		"label with registry": {Settings{Channel: &label, Version: "0.11.0", Registry: "http://127.0.0.1:8090"},
			"version = \"0.11.0\"\nregistry = \"http://127.0.0.1:8090\"\n\n[channel]\nother = \"sdf-beta4\"\n"},
	} {
		t.Run(name, func(t *testing.T) {
			b := tc.s.Encode()
			require.Equal(t, tc.want, string(b), "Fluvio's settings.toml shape")
			got, err := ParseSettings(b)
			require.NoError(t, err)
			require.Equal(t, tc.s, *got)
		})
	}
	_, err := ParseSettings([]byte(`channel = "nightly"`))
	require.Error(t, err)
}

func TestManifestJSONMatchesFluvio(t *testing.T) {
	// Written by Fluvio's fvm (spec §1.4): a tag channel and contents.
	in := `{
  "channel": {"tag": "0.10.14"},
  "version": "0.10.14",
  "contents": [{"name": "fluvio", "version": "0.10.14"}]
}`
	m, err := ParseManifest([]byte(in))
	require.NoError(t, err)
	require.Equal(t, Channel{Kind: KindTag, Value: "0.10.14"}, m.Channel)
	out, err := json.Marshal(&Manifest{Channel: ParseChannel("stable"), Version: "0.18.1"})
	require.NoError(t, err)
	require.JSONEq(t, `{"channel":"stable","version":"0.18.1"}`, string(out))
	_, err = ParseManifest([]byte(`{"channel":"stable"}`))
	require.Error(t, err, "a manifest without a version is refused")
}

func TestChannelOrdering(t *testing.T) {
	var chs []Channel
	for _, s := range []string{"0.9.0", "latest", "preview", "0.10.0", "stable", "0.10.0-rc.1"} {
		chs = append(chs, ParseChannel(s))
	}
	sort.Slice(chs, func(i, j int) bool { return chs[j].Less(chs[i]) })
	var got []string
	for _, c := range chs {
		got = append(got, c.String())
	}
	require.Equal(t, []string{"stable", "latest", "0.10.0", "0.10.0-rc.1", "0.9.0", "preview"}, got)
}

func TestExitCodes(t *testing.T) {
	for err, want := range map[error]int{
		nil:                                        ExitOK,
		fmt.Errorf("x: %w", hub.ErrDigest):         ExitIntegrity,
		fmt.Errorf("x: %w", hub.ErrNotFound):       ExitNotFound,
		fmt.Errorf("x: %w", ErrNotInstalled):       ExitNotFound,
		targets.ErrUnsupported:                     ExitUnsupported,
		fmt.Errorf("%w: dial", hub.ErrUnreachable): ExitUnreachable,
		usageError("bad"):                          ExitUsage,
		errors.New("other"):                        ExitError,
	} {
		require.Equal(t, want, ExitCode(err), "%v", err)
	}
}

func TestReplaceDirKeepsOldOnFailure(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "stable")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dst, "fluvio"), []byte("old"), 0o755))
	require.Error(t, replaceDir(filepath.Join(dir, "missing"), dst))
	b, err := os.ReadFile(filepath.Join(dst, "fluvio"))
	require.NoError(t, err)
	require.Equal(t, "old", string(b))
	src := filepath.Join(dir, ".install-1")
	require.NoError(t, os.MkdirAll(src, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "fluvio"), []byte("new"), 0o755))
	require.NoError(t, replaceDir(src, dst))
	b, err = os.ReadFile(filepath.Join(dst, "fluvio"))
	require.NoError(t, err)
	require.Equal(t, "new", string(b))
	ents, _ := os.ReadDir(dir)
	require.Len(t, ents, 1, "no .old directory left behind")
}

func TestEnvScript(t *testing.T) {
	t.Setenv("FVM_WORKDIR_NAME", "")
	h := NewHome("/home/u")
	require.Equal(t, "/home/u/.fvm", h.Root)
	require.Contains(t, h.envScript(), `export PATH="$HOME/.fvm/bin:$HOME/.fluvio/bin:$PATH"`)
	t.Setenv("FVM_WORKDIR_NAME", ".fvm-test")
	require.Equal(t, "/home/u/.fvm-test", NewHome("/home/u").Root)
}

func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"", "channel = \"stable\"\nversion = \"0.18.1\"\n",
		"version = \"0.10.14\"\n\n[channel]\ntag = \"0.10.14\"\n", "[channel]\nother = 1\n", "channel = 3"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSettings(b)
		if err != nil {
			return
		}
		again, err := ParseSettings(s.Encode())
		if err != nil {
			t.Fatalf("re-parse of encoded settings failed: %v\n%s", err, s.Encode())
		}
		if s.Version != again.Version || s.Registry != again.Registry {
			t.Fatalf("round trip changed settings: %+v vs %+v", s, again)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{`{"channel":"stable","version":"0.18.1"}`,
		`{"channel":{"tag":"0.10.14"},"version":"0.10.14","contents":[{"name":"fluvio","version":"0.10.14"}]}`,
		`{"channel":{"other":"x"},"version":"1"}`, `{"channel":{},"version":"1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal parsed manifest: %v", err)
		}
		if _, err := ParseManifest(out); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
	})
}
