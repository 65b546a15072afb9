// Package output renders command results: tables (aligned on a terminal,
// tab-separated when piped) and the one exporter behind -O json|yaml|toml.
//
// A command describes its rows once, as structs with json tags; Export
// writes them in the requested format and Table writes them for people.
package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/gofluvio/fluvio/cli/iostreams"
)

// Format is an -O/--output value.
type Format string

// Output formats.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatYAML  Format = "yaml"
	FormatTOML  Format = "toml"
)

// ErrUnknownFormat is returned for an -O value a command does not support.
var ErrUnknownFormat = errors.New("output: unknown format")

// FormatFlag is a pflag.Value restricted to a set of formats.
type FormatFlag struct {
	value   *Format
	allowed []Format
}

// AddFormatFlag binds -O/--output to *dst (default table) accepting allowed
// (table, json and yaml when none are given).
func AddFormatFlag(cmd *cobra.Command, dst *Format, allowed ...Format) {
	if len(allowed) == 0 {
		allowed = []Format{FormatTable, FormatJSON, FormatYAML}
	}
	if *dst == "" {
		*dst = allowed[0]
	}
	f := &FormatFlag{value: dst, allowed: allowed}
	cmd.Flags().VarP(f, "output", "O", "Output format: "+f.names())
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		out := make([]string, len(allowed))
		for i, a := range allowed {
			out[i] = string(a)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

func (f *FormatFlag) names() string {
	s := make([]string, len(f.allowed))
	for i, a := range f.allowed {
		s[i] = string(a)
	}
	return strings.Join(s, "|")
}

// String implements pflag.Value.
func (f *FormatFlag) String() string { return string(*f.value) }

// Type implements pflag.Value.
func (f *FormatFlag) Type() string { return "type" }

// Set implements pflag.Value.
func (f *FormatFlag) Set(s string) error {
	for _, a := range f.allowed {
		if strings.EqualFold(s, string(a)) {
			*f.value = a
			return nil
		}
	}
	return fmt.Errorf("%w %q (valid: %s)", ErrUnknownFormat, s, f.names())
}

// Export writes v as json (indented), yaml or toml. Field names and order
// come from v's json tags, so a command describes its output once.
func Export(w io.Writer, format Format, v any) error {
	js, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("output: encode json: %w", err)
	}
	switch format {
	case FormatJSON:
		_, err = fmt.Fprintf(w, "%s\n", js)
		return err
	case FormatYAML:
		var n yaml.Node
		if err := yaml.Unmarshal(js, &n); err != nil {
			return fmt.Errorf("output: convert to yaml: %w", err)
		}
		blockStyle(&n)
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(&n); err != nil {
			return fmt.Errorf("output: encode yaml: %w", err)
		}
		_, err = w.Write(b.Bytes())
		return err
	case FormatTOML:
		var generic any
		if err := json.Unmarshal(js, &generic); err != nil {
			return fmt.Errorf("output: convert to toml: %w", err)
		}
		b, err := toml.Marshal(generic)
		if err != nil {
			return fmt.Errorf("output: encode toml: %w", err)
		}
		_, err = w.Write(b)
		return err
	}
	return fmt.Errorf("%w %q (valid: json, yaml, toml)", ErrUnknownFormat, format)
}

// blockStyle clears the flow and quoting styles JSON input carries, so the
// YAML reads like hand-written YAML.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && needsQuote(n.Value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// needsQuote reports whether a string would read back as another type,
// by a YAML 1.2 reader or a YAML 1.1 one (yes, no, on, off).
func needsQuote(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "":
		return true
	}
	var v any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		return true
	}
	_, isStr := v.(string)
	return !isStr || v.(string) != s
}

// Table collects rows and writes them aligned (terminal) or tab-separated
// (piped). The header row is written in both cases, as Fluvio does, so
// scripts written against Fluvio's output keep working.
type Table struct {
	io     *iostreams.IOStreams
	header []string
	rows   [][]string
}

// NewTable starts a table with a header row.
func NewTable(s *iostreams.IOStreams, header ...string) *Table {
	return &Table{io: s, header: header}
}

// AddRow appends a row; missing cells are empty.
func (t *Table) AddRow(cells ...string) { t.rows = append(t.rows, cells) }

// Len is the number of rows added.
func (t *Table) Len() int { return len(t.rows) }

// Render writes the table to stdout.
func (t *Table) Render() error {
	if !t.io.IsStdoutTTY() {
		var b strings.Builder
		for _, r := range append([][]string{t.header}, t.rows...) {
			b.WriteString(strings.Join(pad(r, len(t.header)), "\t"))
			b.WriteByte('\n')
		}
		_, err := io.WriteString(t.io.Out, b.String())
		return err
	}
	tw := tabwriter.NewWriter(t.io.Out, 0, 4, 2, ' ', 0)
	for _, r := range append([][]string{t.header}, t.rows...) {
		fmt.Fprintln(tw, strings.Join(pad(r, len(t.header)), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return nil
}

func pad(r []string, n int) []string {
	for len(r) < n {
		r = append(r, "")
	}
	return r
}
