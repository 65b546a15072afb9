package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/stretchr/testify/require"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// asDoc decodes TOML into a generic tree, for comparing two documents by
// meaning rather than by layout.
func asDoc(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, toml.Unmarshal(b, &m))
	return m
}

func TestParseSpecExample(t *testing.T) {
	c, err := Parse(readTestdata(t, "spec-example.toml"))
	require.NoError(t, err)
	require.Equal(t, "2.0", c.Version)
	require.Equal(t, "local", c.CurrentProfile)
	require.Equal(t, []string{"local", "my-cloud-cluster"}, c.ProfileNames())

	name, p, cl, err := c.Current()
	require.NoError(t, err)
	require.Equal(t, "local", name)
	require.Equal(t, "local", p.Cluster)
	require.Equal(t, "127.0.0.1:9003", cl.Endpoint)
	require.Equal(t, TLSDisabled, cl.TLS.Policy)
	require.Equal(t, InstallLocal, cl.Installation())

	cloud := c.Clusters["my-cloud-cluster"]
	require.Equal(t, "router.infinyon.cloud:9003", cloud.Endpoint)
	require.Equal(t, TLSVerified, cloud.TLS.Policy)
	require.Equal(t, TLSSourceInline, cloud.TLS.Source)
	require.Equal(t, "<cluster-domain>", cloud.TLS.Certs.Domain)
	require.Equal(t, "-----BEGIN CERTIFICATE-----...", cloud.TLS.Certs.CACert)
	require.Equal(t, InstallCloud, cloud.Installation(), "infinyon_cloud_cli metadata marks a Cloud cluster")
}

func TestRoundTripKeepsEveryKey(t *testing.T) {
	for _, name := range []string{"spec-example.toml", "unknown-fields.toml"} {
		t.Run(name, func(t *testing.T) {
			in := readTestdata(t, name)
			c, err := Parse(in)
			require.NoError(t, err)
			out, err := c.Marshal()
			require.NoError(t, err)
			want := asDoc(t, in)
			got := asDoc(t, out)
			// use_spu_local_address is always written (false by default).
			for _, cl := range want["cluster"].(map[string]any) {
				if m := cl.(map[string]any); m["use_spu_local_address"] == nil {
					m["use_spu_local_address"] = false
				}
			}
			// Aliases are written under their canonical names.
			if name == "unknown-fields.toml" {
				dev := want["cluster"].(map[string]any)["dev"].(map[string]any)
				dev["endpoint"] = dev["addr"]
				delete(dev, "addr")
				tls := dev["tls"].(map[string]any)
				tls["tls_policy"] = "verified"
				tls["tls_source"] = "files"
			}
			require.Equal(t, want, got, "written:\n%s", out)

			// Writing what we read is stable.
			c2, err := Parse(out)
			require.NoError(t, err)
			out2, err := c2.Marshal()
			require.NoError(t, err)
			require.Equal(t, string(out), string(out2))
		})
	}
}

func TestMarshalLocalProfileLayout(t *testing.T) {
	c := New()
	c.AddOrReplaceProfile("local", "127.0.0.1:9003", TLS{}, InstallLocal)
	out, err := c.Marshal()
	require.NoError(t, err)
	require.Equal(t, `version = "2.0"
current_profile = "local"

[profile.local]
cluster = "local"

[cluster.local]
endpoint = "127.0.0.1:9003"
use_spu_local_address = false

[cluster.local.tls]
tls_policy = "disabled"

[cluster.local.metadata]
installation = "local"
`, string(out))
}

func TestMarshalEmpty(t *testing.T) {
	out, err := New().Marshal()
	require.NoError(t, err)
	require.Equal(t, "version = \"2.0\"\n\n[profile]\n\n[cluster]\n", string(out))
	c, err := Parse(out)
	require.NoError(t, err)
	require.Empty(t, c.Profiles)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not toml", "version = ", "config: parse toml"},
		{"profile not a table", "profile = 3", `key "profile": want a table`},
		{"profile without cluster", "[profile.a]\ntopic = \"t\"", `profile "a": missing key "cluster"`},
		{"cluster wrong type", "[profile.a]\ncluster = 5", `key "profile.a.cluster": want a string, got int64`},
		{"partition too big", "[profile.a]\ncluster = \"c\"\npartition = 99999999999", `want a 32-bit integer`},
		{"bad tls policy", "[cluster.c]\nendpoint = \"x:1\"\n[cluster.c.tls]\ntls_policy = \"maybe\"", `unknown tls_policy "maybe" (valid: disabled, anonymous, verified)`},
		{"bad tls source", "[cluster.c.tls]\ntls_policy = \"verified\"\ntls_source = \"env\"", `unknown tls_source "env"`},
		{"bool as string", "[cluster.c]\nuse_spu_local_address = \"yes\"", `want a boolean`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestInstallationType(t *testing.T) {
	tests := []struct {
		meta map[string]any
		want InstallationType
	}{
		{nil, InstallK8},
		{map[string]any{"installation": "local"}, InstallLocal},
		{map[string]any{"installation": "local-k8"}, InstallLocalK8},
		{map[string]any{"installation": "readonly"}, InstallReadOnly},
		{map[string]any{"infinyon_cloud_cli": map[string]any{}}, InstallCloud},
		{map[string]any{"installation": "docker", "infinyon_cloud_cli": 1}, InstallDocker},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, (&Cluster{Metadata: tt.meta}).Installation(), "%v", tt.meta)
	}
	_, err := ParseInstallationType("mainframe")
	require.ErrorContains(t, err, `unknown installation type "mainframe" (valid: local, k8`)
}

func TestProfileOperations(t *testing.T) {
	c, err := Parse(readTestdata(t, "spec-example.toml"))
	require.NoError(t, err)

	require.ErrorIs(t, c.SwitchProfile("nope"), ErrProfileNotFound)
	require.NoError(t, c.SwitchProfile("my-cloud-cluster"))
	require.Equal(t, "my-cloud-cluster", c.CurrentProfile)

	require.ErrorIs(t, c.RenameProfile("my-cloud-cluster", "local"), ErrProfileExists)
	require.NoError(t, c.RenameProfile("my-cloud-cluster", "cloud"))
	require.Equal(t, "cloud", c.CurrentProfile, "current follows a rename")
	require.Equal(t, []string{"cloud", "local"}, c.ProfileNames())

	err = c.DeleteCluster("local", false)
	require.ErrorIs(t, err, ErrClusterInUse)
	require.ErrorContains(t, err, "used by profiles local")
	require.NoError(t, c.DeleteProfile("cloud"))
	require.Empty(t, c.CurrentProfile, "deleting the current profile clears current")
	_, _, _, err = c.Current()
	require.ErrorIs(t, err, ErrNoActiveProfile)
	require.Contains(t, c.Clusters, "my-cloud-cluster", "the cluster stays")

	require.NoError(t, c.DeleteCluster("local", true))
	_, _, err = c.Resolve("local")
	require.ErrorIs(t, err, ErrClusterNotFound)
	require.ErrorIs(t, c.DeleteCluster("local", true), ErrClusterNotFound)
}

func TestAddOrReplaceProfileKeepsOtherClusterFields(t *testing.T) {
	c, err := Parse(readTestdata(t, "unknown-fields.toml"))
	require.NoError(t, err)
	c.AddOrReplaceProfile("dev", "127.0.0.1:9103", TLS{Policy: TLSDisabled}, InstallLocal)
	cl := c.Clusters["dev"]
	require.Equal(t, "127.0.0.1:9103", cl.Endpoint)
	require.Equal(t, InstallLocal, cl.Installation())
	require.Equal(t, "eu-west", cl.Extra["region"])
	require.Contains(t, cl.Metadata, "plugin")
	require.Equal(t, "dev", c.CurrentProfile)
}

func TestLoadSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "config")

	_, err := Load(path)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, path)

	c, err := LoadOrNew(path)
	require.NoError(t, err)
	c.AddOrReplaceProfile("local", "127.0.0.1:9003", TLS{}, InstallLocal)
	require.NoError(t, c.Save(path))

	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), st.Mode().Perm())

	back, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, "local", back.CurrentProfile)

	require.NoError(t, os.WriteFile(path, []byte("version = = 1"), 0o600))
	_, err = Load(path)
	require.ErrorContains(t, err, path)
	require.False(t, errors.Is(err, fs.ErrNotExist))
}

func TestPathsFromEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv(EnvProfilePath, "")
	t.Setenv(EnvFluvioDir, "")
	p, err := DefaultPath()
	require.NoError(t, err)
	require.Equal(t, filepath.Join(home, ".fluvio", "config"), p)
	b, err := BaseDir()
	require.NoError(t, err)
	require.Equal(t, filepath.Join(home, ".fluvio"), b)

	t.Setenv(EnvProfilePath, "/x/cfg")
	t.Setenv(EnvFluvioDir, "/y")
	p, _ = DefaultPath()
	b, _ = BaseDir()
	require.Equal(t, "/x/cfg", p)
	require.Equal(t, "/y", b)
}
