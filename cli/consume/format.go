package consume

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofluvio/fluvio/client"
)

// Output types of -O, as Fluvio names them.
const (
	OutputDynamic   = "dynamic"
	OutputText      = "text"
	OutputBinary    = "binary"
	OutputJSON      = "json"
	OutputRaw       = "raw"
	OutputTable     = "table"
	OutputFullTable = "full-table"
)

// Outputs lists the valid -O values.
var Outputs = []string{OutputDynamic, OutputText, OutputBinary, OutputJSON, OutputRaw, OutputTable, OutputFullTable}

// IsBinary reports whether data looks binary the way Fluvio decides it: a
// NUL byte in the first 1024 bytes, unless the data starts with a UTF-16
// or UTF-32 byte order mark.
func IsBinary(data []byte) bool {
	for _, bom := range [][]byte{{0xff, 0xfe, 0, 0}, {0, 0, 0xfe, 0xff}, {0xff, 0xfe}, {0xfe, 0xff}} {
		if bytes.HasPrefix(data, bom) {
			return false
		}
	}
	head := data[:min(len(data), 1024)]
	return bytes.IndexByte(head, 0) >= 0
}

// lossy converts to UTF-8, replacing invalid sequences with U+FFFD.
func lossy(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// HexDump renders data as rows of 16 bytes: offset, hex and printable
// characters ('.' for newline), followed by a separator line.
func HexDump(data []byte) string {
	const cols = 16
	var b strings.Builder
	var chars strings.Builder
	for i, c := range data {
		if i%cols == 0 {
			fmt.Fprintf(&b, "%08x", i)
		}
		if i%(cols/2) == 0 {
			b.WriteByte(' ')
		}
		switch {
		case c >= 0x20 && c < 0x7f:
			chars.WriteByte(c)
		case c == '\n':
			chars.WriteByte('.')
		default:
			chars.WriteByte(' ')
		}
		fmt.Fprintf(&b, " %02x", c)
		if (i+1)%cols == 0 {
			fmt.Fprintf(&b, "  |%s|\n", chars.String())
			chars.Reset()
		}
	}
	if chars.Len() > 0 {
		last := len(data) % cols
		if last <= cols/2 {
			b.WriteByte(' ')
		}
		for j := last; j < cols; j++ {
			chars.WriteByte(' ')
			b.WriteString("   ")
		}
		fmt.Fprintf(&b, "  |%s|\n", chars.String())
	}
	b.WriteString(strings.Repeat("-", 78))
	b.WriteByte('\n')
	return b.String()
}

// FormatJSON pretty-prints a JSON value (keys sorted); invalid JSON gives
// an {"error": ...} object, or false when suppress is set.
func FormatJSON(data []byte, suppress bool) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = fmt.Errorf("trailing characters after the JSON value")
	}
	if err != nil {
		if suppress {
			return "", false
		}
		v = map[string]any{"error": err.Error()}
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", false
	}
	return string(out), true
}

// Template is a parsed --format string: text with {{key}}, {{value}},
// {{offset}}, {{partition}} and {{time}} placeholders.
type Template struct {
	parts []tmplPart
}

type tmplPart struct {
	text  string
	field string // "" for literal text
}

// TemplateFields are the placeholders a --format template can use.
var TemplateFields = []string{"key", "value", "offset", "partition", "time"}

// ParseTemplate parses a --format template. Placeholders are {{name}}
// (spaces inside the braces are allowed, triple braces too); an unknown
// name or an unclosed {{ is an error naming the valid fields.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{}
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, tmplPart{text: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{text: rest[:i]})
		}
		rest = rest[i+2:]
		triple := strings.HasPrefix(rest, "{")
		if triple {
			rest = rest[1:]
		}
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, fmt.Errorf("--format %q: unclosed {{ (placeholders: {{%s}})", s, strings.Join(TemplateFields, "}}, {{"))
		}
		name := strings.TrimSpace(rest[:j])
		rest = rest[j+2:]
		if triple {
			rest = strings.TrimPrefix(rest, "}")
		}
		valid := false
		for _, f := range TemplateFields {
			valid = valid || f == name
		}
		if !valid {
			return nil, fmt.Errorf("--format %q: unknown placeholder {{%s}} (valid: {{%s}})", s, name, strings.Join(TemplateFields, "}}, {{"))
		}
		t.parts = append(t.parts, tmplPart{field: name})
	}
}

// RecordTime formats a record timestamp as Fluvio does: RFC 3339 in UTC
// with milliseconds, or NA when the record has none.
func RecordTime(ms int64) string {
	if ms < 0 {
		return "NA"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// Render fills the template with a record.
func (t *Template) Render(r client.Record) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.field {
		case "":
			b.WriteString(p.text)
		case "key":
			b.WriteString(keyString(r.Key))
		case "value":
			b.WriteString(lossy(r.Value))
		case "offset":
			b.WriteString(strconv.FormatInt(r.Offset, 10))
		case "partition":
			b.WriteString(strconv.FormatUint(uint64(r.Partition), 10))
		case "time":
			b.WriteString(RecordTime(r.Timestamp))
		}
	}
	return b.String()
}

func keyString(k []byte) string {
	if k == nil {
		return "null"
	}
	return lossy(k)
}

// jsonObject decodes a record as a JSON object of cells (strings as they
// are, anything else as JSON text), its keys sorted.
func jsonObject(data []byte) ([]string, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("error parsing record as json: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("error: Unable to parse json as object map")
	}
	keys := make([]string, 0, len(m))
	cells := make(map[string]string, len(m))
	for k, x := range m {
		keys = append(keys, k)
		if s, ok := x.(string); ok {
			cells[k] = s
		} else {
			b, _ := json.Marshal(x)
			cells[k] = string(b)
		}
	}
	sort.Strings(keys)
	return keys, cells, nil
}
