package config

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Parse decodes a config document. Unknown keys are kept in the Extra maps.
func Parse(data []byte) (*Config, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: parse toml: %w", err)
	}
	c := New()
	c.Version = ""
	d := fields{m: doc}
	c.Version = d.str("version")
	c.CurrentProfile = d.str("current_profile")
	c.ClientID = d.str("client_id")
	for name, v := range d.table("profile") {
		pm, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("config: profile %q: want a table, got %T", name, v)
		}
		pf := fields{m: pm, where: "profile." + name}
		p := &Profile{Cluster: pf.str("cluster"), Topic: pf.str("topic")}
		if part, ok := pf.int("partition"); ok {
			p.Partition = &part
		}
		if pf.err == nil && p.Cluster == "" {
			pf.err = fmt.Errorf("config: profile %q: missing key \"cluster\"", name)
		}
		if pf.err != nil {
			return nil, pf.err
		}
		p.Extra = pf.rest()
		c.Profiles[name] = p
	}
	for name, v := range d.table("cluster") {
		cm, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("config: cluster %q: want a table, got %T", name, v)
		}
		cl, err := parseCluster(name, cm)
		if err != nil {
			return nil, err
		}
		c.Clusters[name] = cl
	}
	if d.err != nil {
		return nil, d.err
	}
	c.Extra = d.rest()
	return c, nil
}

func parseCluster(name string, m map[string]any) (*Cluster, error) {
	f := fields{m: m, where: "cluster." + name}
	cl := &Cluster{Endpoint: f.str("endpoint")}
	if alias := f.str("addr"); cl.Endpoint == "" {
		cl.Endpoint = alias
	}
	cl.UseSPULocalAddress = f.bool("use_spu_local_address")
	cl.Metadata = f.table("metadata")
	tm := f.table("tls")
	if f.err != nil {
		return nil, f.err
	}
	cl.Extra = f.rest()
	tf := fields{m: tm, where: "cluster." + name + ".tls"}
	switch p := tf.str("tls_policy"); p {
	case "", "disabled", "disable":
		cl.TLS.Policy = TLSDisabled
	case "anonymous":
		cl.TLS.Policy = TLSAnonymous
	case "verified", "verify":
		cl.TLS.Policy = TLSVerified
	default:
		return nil, fmt.Errorf("config: cluster.%s.tls: unknown tls_policy %q (valid: disabled, anonymous, verified)", name, p)
	}
	switch s := tf.str("tls_source"); s {
	case "":
	case "inline":
		cl.TLS.Source = TLSSourceInline
	case "files", "file":
		cl.TLS.Source = TLSSourceFiles
	default:
		return nil, fmt.Errorf("config: cluster.%s.tls: unknown tls_source %q (valid: inline, files)", name, s)
	}
	cm := tf.table("certs")
	if tf.err != nil {
		return nil, tf.err
	}
	cl.TLS.Extra = tf.rest()
	cf := fields{m: cm, where: "cluster." + name + ".tls.certs"}
	cl.TLS.Certs = TLSCerts{Domain: cf.str("domain"), Key: cf.str("key"), Cert: cf.str("cert"), CACert: cf.str("ca_cert")}
	if cf.err != nil {
		return nil, cf.err
	}
	cl.TLS.Certs.Extra = cf.rest()
	return cl, nil
}

// fields takes known keys out of a decoded table, remembering the first
// type error; rest() is what is left.
type fields struct {
	m     map[string]any
	where string
	err   error
	taken []string
}

func (f *fields) get(k string) (any, bool) {
	v, ok := f.m[k]
	if ok {
		f.taken = append(f.taken, k)
	}
	return v, ok
}

func (f *fields) bad(k string, want string, v any) {
	if f.err == nil {
		w := k
		if f.where != "" {
			w = f.where + "." + k
		}
		f.err = fmt.Errorf("config: key %q: want %s, got %T", w, want, v)
	}
}

func (f *fields) str(k string) string {
	v, ok := f.get(k)
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.bad(k, "a string", v)
	}
	return s
}

func (f *fields) bool(k string) bool {
	v, ok := f.get(k)
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		f.bad(k, "a boolean", v)
	}
	return b
}

func (f *fields) int(k string) (int32, bool) {
	v, ok := f.get(k)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	if !ok || n < -1<<31 || n > 1<<31-1 {
		f.bad(k, "a 32-bit integer", v)
		return 0, false
	}
	return int32(n), true
}

func (f *fields) table(k string) map[string]any {
	v, ok := f.get(k)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		f.bad(k, "a table", v)
	}
	return m
}

func (f *fields) rest() map[string]any {
	var out map[string]any
	for k, v := range f.m {
		if slices.Contains(f.taken, k) {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}

// entry is one key of a table being written, in output order.
type entry struct {
	key string
	val any // scalar, array, map[string]any, or []entry (an ordered table)
}

// Marshal encodes the config as TOML: known keys in Fluvio's order, then
// unknown keys sorted; scalars before tables, as TOML requires.
func (c *Config) Marshal() ([]byte, error) {
	version := c.Version
	if version == "" {
		version = DefaultVersion
	}
	top := []entry{{"version", version}}
	if c.CurrentProfile != "" {
		top = append(top, entry{"current_profile", c.CurrentProfile})
	}
	if c.ClientID != "" {
		top = append(top, entry{"client_id", c.ClientID})
	}
	top = appendExtra(top, c.Extra)
	var profiles []entry
	for _, n := range slices.Sorted(maps.Keys(c.Profiles)) {
		p := c.Profiles[n]
		pe := []entry{{"cluster", p.Cluster}}
		if p.Topic != "" {
			pe = append(pe, entry{"topic", p.Topic})
		}
		if p.Partition != nil {
			pe = append(pe, entry{"partition", int64(*p.Partition)})
		}
		profiles = append(profiles, entry{n, appendExtra(pe, p.Extra)})
	}
	top = append(top, entry{"profile", profiles})
	var clusters []entry
	for _, n := range slices.Sorted(maps.Keys(c.Clusters)) {
		clusters = append(clusters, entry{n, c.Clusters[n].entries()})
	}
	top = append(top, entry{"cluster", clusters})
	var b bytes.Buffer
	if err := writeTable(&b, nil, top); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (cl *Cluster) entries() []entry {
	ce := []entry{{"endpoint", cl.Endpoint}, {"use_spu_local_address", cl.UseSPULocalAddress}}
	ce = appendExtra(ce, cl.Extra)
	policy := cl.TLS.Policy
	if policy == "" {
		policy = TLSDisabled
	}
	te := []entry{{"tls_policy", string(policy)}}
	if policy == TLSVerified {
		src := cl.TLS.Source
		if src == "" {
			src = TLSSourceInline
		}
		te = append(te, entry{"tls_source", src})
	}
	te = appendExtra(te, cl.TLS.Extra)
	ct := cl.TLS.Certs
	if policy == TLSVerified || ct.Domain != "" || ct.Key != "" || ct.Cert != "" || ct.CACert != "" || len(ct.Extra) > 0 {
		certs := []entry{{"domain", ct.Domain}, {"key", ct.Key}, {"cert", ct.Cert}, {"ca_cert", ct.CACert}}
		te = append(te, entry{"certs", appendExtra(certs, ct.Extra)})
	}
	ce = append(ce, entry{"tls", te})
	if len(cl.Metadata) > 0 {
		ce = append(ce, entry{"metadata", cl.Metadata})
	}
	return ce
}

func appendExtra(dst []entry, extra map[string]any) []entry {
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		dst = append(dst, entry{k, extra[k]})
	}
	return dst
}

func ordered(m map[string]any) []entry { return appendExtra(nil, m) }

// isTable reports whether v is written as a [table] (as opposed to a value).
func isTable(v any) bool {
	switch v.(type) {
	case map[string]any, []entry:
		return true
	}
	return false
}

// tableArray returns v's elements when v is a non-empty array of tables,
// written as [[array]].
func tableArray(v any) ([]map[string]any, bool) {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, false
	}
	out := make([]map[string]any, 0, len(arr))
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		out = append(out, m)
	}
	return out, true
}

func asEntries(v any) []entry {
	if es, ok := v.([]entry); ok {
		return es
	}
	return ordered(v.(map[string]any))
}

// writeTable writes the body of the table at path: its values, then its
// sub-tables and arrays of tables. The header is written when the table
// has values or nothing at all (so empty tables survive a round trip).
func writeTable(b *bytes.Buffer, path []string, es []entry) error {
	var values, tables []entry
	for _, e := range es {
		if _, arr := tableArray(e.val); isTable(e.val) || arr {
			tables = append(tables, e)
		} else {
			values = append(values, e)
		}
	}
	if len(path) > 0 && (len(values) > 0 || len(tables) == 0) {
		fmt.Fprintf(b, "\n[%s]\n", dotted(path))
	}
	if err := writeValues(b, values); err != nil {
		return err
	}
	return writeSubTables(b, path, tables)
}

func writeSubTables(b *bytes.Buffer, path []string, tables []entry) error {
	for _, e := range tables {
		sub := append(slices.Clone(path), e.key)
		if arr, ok := tableArray(e.val); ok {
			for _, m := range arr {
				fmt.Fprintf(b, "\n[[%s]]\n", dotted(sub))
				if err := writeArrayElem(b, sub, ordered(m)); err != nil {
					return err
				}
			}
			continue
		}
		if err := writeTable(b, sub, asEntries(e.val)); err != nil {
			return err
		}
	}
	return nil
}

// writeArrayElem is writeTable for an element of an array of tables, whose
// header the caller has written.
func writeArrayElem(b *bytes.Buffer, path []string, es []entry) error {
	var values, tables []entry
	for _, e := range es {
		if _, arr := tableArray(e.val); isTable(e.val) || arr {
			tables = append(tables, e)
		} else {
			values = append(values, e)
		}
	}
	if err := writeValues(b, values); err != nil {
		return err
	}
	return writeSubTables(b, path, tables)
}

func writeValues(b *bytes.Buffer, values []entry) error {
	for _, e := range values {
		s, err := encodeValue(e.val)
		if err != nil {
			return fmt.Errorf("config: encode key %q: %w", e.key, err)
		}
		fmt.Fprintf(b, "%s = %s\n", quoteKey(e.key), s)
	}
	return nil
}

// encodeValue encodes a value. Strings are basic (double-quoted) strings
// as Fluvio's writer emits them; arrays and inline tables are written here;
// numbers, booleans and dates by go-toml.
func encodeValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return quoteString(v), nil
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			s, err := encodeValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		es := ordered(v)
		parts := make([]string, len(es))
		for i, e := range es {
			s, err := encodeValue(e.val)
			if err != nil {
				return "", err
			}
			parts[i] = quoteKey(e.key) + " = " + s
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	}
	out, err := toml.Marshal(map[string]any{"v": v})
	if err != nil {
		return "", err
	}
	s := strings.TrimSuffix(string(out), "\n")
	rest, ok := strings.CutPrefix(s, "v = ")
	if !ok || strings.Contains(rest, "\n[") {
		return "", fmt.Errorf("cannot encode %T as a value", v)
	}
	return rest, nil
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func quoteKey(k string) string {
	if bareKey.MatchString(k) {
		return k
	}
	return quoteString(k)
}

// quoteString writes s as a TOML basic string.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func dotted(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = quoteKey(p)
	}
	return strings.Join(parts, ".")
}
