package spu

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/controlplane"
)

func TestResolveSmartModule(t *testing.T) {
	pkg := func(key, name, group, version string) controlplane.SmartModule {
		return controlplane.SmartModule{Name: key, Wasm: []byte(key),
			Package: &controlplane.SmartModulePackage{Name: name, Group: group, Version: version}}
	}
	s := &Server{modules: map[string]controlplane.SmartModule{}}
	s.applySmartModules(&controlplane.UpdateSmartModules{Full: true, Modules: []controlplane.SmartModule{
		{Name: "plain", Wasm: []byte("plain")},
		pkg("regex-infinyon-0.1.0", "regex", "infinyon", "0.1.0"),
		pkg("regex-infinyon-0.2.0", "regex", "infinyon", "0.2.0"),
		pkg("regex-other-9.0.0", "regex", "other", "9.0.0"),
		pkg("jolt-infinyon-0.4.1", "jolt", "infinyon", "0.4.1"),
	}})
	tests := []struct {
		name string
		want string // store key; "" = not found
	}{
		{name: "plain", want: "plain"},
		{name: "regex-infinyon-0.1.0", want: "regex-infinyon-0.1.0"},
		{name: "jolt", want: "jolt-infinyon-0.4.1"},
		{name: "infinyon/jolt", want: "jolt-infinyon-0.4.1"},
		{name: "infinyon/jolt@0.4.1", want: "jolt-infinyon-0.4.1"},
		{name: "jolt@0.4.1", want: "jolt-infinyon-0.4.1"},
		{name: "regex", want: "regex-other-9.0.0"},
		{name: "infinyon/regex", want: "regex-infinyon-0.2.0"},
		{name: "infinyon/regex@0.1.0", want: "regex-infinyon-0.1.0"},
		{name: "infinyon/regex@0.3.0"},
		{name: "other/jolt"},
		{name: "missing"},
		{name: "infinyon/plain", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm, ok := s.ResolveSmartModule(tt.name)
			if tt.want == "" {
				require.False(t, ok, "resolved to %s", sm.Name)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.want, sm.Name)
			require.Equal(t, []byte(tt.want), sm.Wasm)
		})
	}
}

// FuzzParseSmartModuleName: any name splits without panic into parts
// that hold no separators of their own and appear in order.
func FuzzParseSmartModuleName(f *testing.F) {
	for _, s := range []string{"jolt", "infinyon/jolt@0.4.1", "a/b/c@1@2", "@", "/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		group, name, version := parseSmartModuleName(s)
		require.NotContains(t, version, "@")
		require.NotContains(t, group, "/")
		require.True(t, strings.HasPrefix(s, group))
		require.True(t, strings.HasSuffix(s, version))
		require.Contains(t, s, name)
		require.LessOrEqual(t, len(group)+len(name)+len(version), len(s))
	})
}
