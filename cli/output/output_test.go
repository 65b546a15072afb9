package output

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/iostreams"
)

type row struct {
	Name    string `json:"name"`
	Port    int    `json:"port"`
	Version string `json:"version"`
	Active  bool   `json:"active"`
}

func TestExport(t *testing.T) {
	v := []row{{"b", 9003, "1.0", true}, {"a", 9010, "yes", false}}
	tests := []struct {
		format Format
		want   string
	}{
		{FormatJSON, "[\n  {\n    \"name\": \"b\",\n    \"port\": 9003,\n    \"version\": \"1.0\",\n    \"active\": true\n  },\n  {\n    \"name\": \"a\",\n    \"port\": 9010,\n    \"version\": \"yes\",\n    \"active\": false\n  }\n]\n"},
		{FormatYAML, "- name: b\n  port: 9003\n  version: \"1.0\"\n  active: true\n- name: a\n  port: 9010\n  version: \"yes\"\n  active: false\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Export(&b, tt.format, v))
			require.Equal(t, tt.want, b.String())
		})
	}
	var b bytes.Buffer
	require.NoError(t, Export(&b, FormatTOML, map[string]any{"name": "x", "port": 1}))
	require.Contains(t, b.String(), "port = 1")
	require.ErrorIs(t, Export(&b, "xml", v), ErrUnknownFormat)
}

func TestFormatFlag(t *testing.T) {
	var f Format
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	AddFormatFlag(cmd, &f)
	require.Equal(t, FormatTable, f)
	require.NoError(t, cmd.Flags().Set("output", "JSON"))
	require.Equal(t, FormatJSON, f)
	err := cmd.Flags().Set("output", "toml")
	require.ErrorContains(t, err, `unknown format "toml" (valid: table|json|yaml)`)
}

func TestTable(t *testing.T) {
	s, _, out, _ := iostreams.Test()
	tb := NewTable(s, "NAME", "ADDRESS", "TLS")
	tb.AddRow("local", "127.0.0.1:9003", "Disabled")
	tb.AddRow("c", "router.example:9003")
	require.NoError(t, tb.Render())
	require.Equal(t, "NAME\tADDRESS\tTLS\nlocal\t127.0.0.1:9003\tDisabled\nc\trouter.example:9003\t\n", out.String())

	out.Reset()
	s.SetStdoutTTY(true)
	require.NoError(t, tb.Render())
	require.Equal(t, "NAME   ADDRESS              TLS\nlocal  127.0.0.1:9003       Disabled\nc      router.example:9003  \n", out.String())
}
