// Package sminvoke turns the SmartModule flags that `fluvio consume` and
// `fluvio produce` share (--smartmodule, --smartmodule-path, -e/--params,
// --aggregate-initial, -t/--transforms and --transforms-line) into the
// SmartModule invocations the SPU runs.
//
// As Fluvio's CLI does, every invocation asks for the Generic kind: the
// SPU finds the module's transform (filter, map, filter_map, array_map,
// aggregate) from its exports; --aggregate-initial sends the accumulator
// as the Generic kind's aggregate context.
package sminvoke

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/units"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/protocol"
)

// ErrTransforms is returned for a transforms file or line that does not
// parse.
var ErrTransforms = errors.New("sminvoke: invalid transforms")

// Flags are the SmartModule flag values of one command.
type Flags struct {
	Name             string
	Path             string
	Params           []string
	AggregateInitial string
	TransformsFile   string
	TransformsLine   []string

	aggregateSet bool
}

// Bind adds the flags to cmd.
func (fl *Flags) Bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&fl.Name, "smartmodule", "", "Name of a SmartModule stored in the cluster (see 'fluvio smartmodule list')")
	f.StringVar(&fl.Name, "sm", "", "Alias of --smartmodule")
	_ = f.MarkHidden("sm")
	f.StringVar(&fl.Path, "smartmodule-path", "", "Path of a .wasm SmartModule sent with the request")
	f.StringArrayVarP(&fl.Params, "params", "e", nil, "SmartModule parameter key=value (repeatable)")
	f.StringVar(&fl.AggregateInitial, "aggregate-initial", "", "Initial accumulator for an aggregate SmartModule")
	f.StringVarP(&fl.TransformsFile, "transforms", "t", "", "YAML file of a SmartModule chain (transforms: - uses: NAME, with: {k: v})")
	f.StringVar(&fl.TransformsFile, "transforms-file", "", "Alias of --transforms")
	_ = f.MarkHidden("transforms-file")
	f.StringArrayVar(&fl.TransformsLine, "transforms-line", nil, `One chain step as JSON: {"uses":"NAME","with":{"k":"v"}} (repeatable)`)
}

// Validate checks the combinations Fluvio refuses; changed reports
// whether a flag was given.
func (fl *Flags) Validate(changed func(string) bool) error {
	fl.aggregateSet = changed("aggregate-initial")
	single := fl.Name != "" || fl.Path != ""
	if fl.Name != "" && fl.Path != "" {
		return cmdutil.FlagErrorf("--smartmodule and --smartmodule-path cannot be used together")
	}
	chain := fl.TransformsFile != "" || len(fl.TransformsLine) > 0
	if fl.TransformsFile != "" && len(fl.TransformsLine) > 0 {
		return cmdutil.FlagErrorf("--transforms and --transforms-line cannot be used together")
	}
	if single && chain {
		return cmdutil.FlagErrorf("--transforms/--transforms-line cannot be used with --smartmodule or --smartmodule-path (list every step in the transforms)")
	}
	if len(fl.Params) > 0 && !single {
		return cmdutil.FlagErrorf("--params needs --smartmodule or --smartmodule-path (in a transforms file, give params under 'with:')")
	}
	if fl.aggregateSet && !single {
		return cmdutil.FlagErrorf("--aggregate-initial needs --smartmodule or --smartmodule-path")
	}
	_, err := ParseParams(fl.Params)
	return err
}

// Any reports whether any SmartModule was asked for.
func (fl *Flags) Any() bool {
	return fl.Name != "" || fl.Path != "" || fl.TransformsFile != "" || len(fl.TransformsLine) > 0
}

// ParseParams parses key=value pairs (the value may contain '=').
func ParseParams(kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, cmdutil.FlagErrorf("--params %q is not key=value (e.g. -e key=a)", kv)
		}
		out[k] = v
	}
	return out, nil
}

// Invocations builds what the flags ask for (nil when none).
func (fl *Flags) Invocations() ([]protocol.SmartModuleInvocation, error) {
	params, err := ParseParams(fl.Params)
	if err != nil {
		return nil, err
	}
	kind := protocol.SmartModuleKind{Type: protocol.SMKindGeneric, Context: protocol.SMContextNone}
	if fl.aggregateSet || fl.AggregateInitial != "" {
		kind.Context = protocol.SMContextAggregate
		kind.Accumulator = []byte(fl.AggregateInitial)
	}
	switch {
	case fl.Name != "":
		inv := client.PredefinedSmartModule(fl.Name, kind, params)
		inv.Name = &fl.Name
		return []protocol.SmartModuleInvocation{inv}, nil
	case fl.Path != "":
		wasm, err := os.ReadFile(fl.Path)
		if err != nil {
			return nil, fmt.Errorf("--smartmodule-path: %w", err)
		}
		inv, err := client.AdHocSmartModule(wasm, kind, params)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--smartmodule-path %s: %v", fl.Path, err)
		}
		name := filepath.Base(fl.Path)
		inv.Name = &name
		return []protocol.SmartModuleInvocation{inv}, nil
	case fl.TransformsFile != "":
		b, err := os.ReadFile(fl.TransformsFile)
		if err != nil {
			return nil, fmt.Errorf("--transforms: %w", err)
		}
		steps, err := ParseTransforms(b)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--transforms %s: %w", fl.TransformsFile, err)
		}
		return Chain(steps), nil
	case len(fl.TransformsLine) > 0:
		var steps []Step
		for _, line := range fl.TransformsLine {
			s, err := ParseStepJSON([]byte(line))
			if err != nil {
				return nil, cmdutil.FlagErrorf("--transforms-line %q: %w", line, err)
			}
			steps = append(steps, s)
		}
		return Chain(steps), nil
	}
	return nil, nil
}

// Step is one SmartModule of a transforms chain.
type Step struct {
	// Uses names the SmartModule stored in the cluster.
	Uses string
	// With are its parameters; non-string values arrive as JSON text.
	With map[string]string
	// Lookback asks for past records before the stream starts.
	Lookback *protocol.Lookback
}

// Chain turns steps into predefined invocations, run in order. Every step
// carries the chain's name (the modules joined by commas), as Fluvio's
// CLI sends it.
func Chain(steps []Step) []protocol.SmartModuleInvocation {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Uses
	}
	chainName := strings.Join(names, ",")
	out := make([]protocol.SmartModuleInvocation, 0, len(steps))
	for _, s := range steps {
		inv := client.PredefinedSmartModule(s.Uses, protocol.SmartModuleKind{Type: protocol.SMKindGeneric}, s.With)
		inv.Params.Lookback = s.Lookback
		inv.Name = &chainName
		out = append(out, inv)
	}
	return out
}

// ParseTransforms parses a transforms file:
//
//	transforms:
//	  - uses: infinyon/jolt@0.4.1
//	    lookback: {last: 10, age: 1h}
//	    with:
//	      spec: [...]
func ParseTransforms(b []byte) ([]Step, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTransforms, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: want a mapping with a 'transforms' list", ErrTransforms)
	}
	var list *yaml.Node
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "transforms" {
			list = root.Content[i+1]
		}
	}
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%w: want a 'transforms' list of steps (- uses: NAME)", ErrTransforms)
	}
	if len(list.Content) == 0 {
		return nil, fmt.Errorf("%w: the 'transforms' list is empty", ErrTransforms)
	}
	steps := make([]Step, 0, len(list.Content))
	for i, n := range list.Content {
		var raw any
		if err := n.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%w: step %d: %v", ErrTransforms, i+1, err)
		}
		s, err := stepOf(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: step %d: %v", ErrTransforms, i+1, err)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// ParseStepJSON parses one step given as JSON (--transforms-line).
func ParseStepJSON(b []byte) (Step, error) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Step{}, fmt.Errorf("%w: %v", ErrTransforms, err)
	}
	s, err := stepOf(raw)
	if err != nil {
		return Step{}, fmt.Errorf("%w: %v", ErrTransforms, err)
	}
	return s, nil
}

func stepOf(raw any) (Step, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return Step{}, errors.New("want a mapping with 'uses'")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var s Step
	for _, k := range keys {
		v := m[k]
		switch k {
		case "uses":
			str, ok := v.(string)
			if !ok || str == "" {
				return Step{}, errors.New("'uses' must name a SmartModule")
			}
			s.Uses = str
		case "with":
			if v == nil {
				continue
			}
			wm, ok := v.(map[string]any)
			if !ok {
				return Step{}, errors.New("'with' must be a mapping of parameters")
			}
			s.With = make(map[string]string, len(wm))
			for wk, wv := range wm {
				text, err := jsonString(wv)
				if err != nil {
					return Step{}, fmt.Errorf("with.%s: %v", wk, err)
				}
				s.With[wk] = text
			}
		case "lookback":
			lm, ok := v.(map[string]any)
			if !ok {
				return Step{}, errors.New("'lookback' must be a mapping with 'last' and/or 'age'")
			}
			lb := &protocol.Lookback{}
			for lk, lv := range lm {
				switch lk {
				case "last":
					n, err := toUint(lv)
					if err != nil {
						return Step{}, fmt.Errorf("lookback.last: %v", err)
					}
					lb.Last = n
				case "age":
					str, ok := lv.(string)
					if !ok {
						return Step{}, errors.New("lookback.age must be a duration such as 1h")
					}
					d, err := units.ParseDuration(str)
					if err != nil {
						return Step{}, fmt.Errorf("lookback.age: %v", err)
					}
					lb.Age = &d
				default:
					return Step{}, fmt.Errorf("lookback: unknown field %q (valid: last, age)", lk)
				}
			}
			s.Lookback = lb
		default:
			return Step{}, fmt.Errorf("unknown field %q (valid: uses, with, lookback)", k)
		}
	}
	if s.Uses == "" {
		return Step{}, errors.New("'uses' is missing")
	}
	return s, nil
}

// jsonString is a parameter value as the module receives it: strings as
// they are, anything else as JSON text.
func jsonString(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(normalize(v))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// normalize turns YAML's map[string]any/[]any trees into JSON-encodable
// ones (yaml.v3 may produce map[any]any for non-string keys).
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	}
	return v
}

func toUint(v any) (uint64, error) {
	switch n := v.(type) {
	case int:
		if n >= 0 {
			return uint64(n), nil
		}
	case uint64:
		return n, nil
	case json.Number:
		var u uint64
		if _, err := fmt.Sscan(n.String(), &u); err == nil {
			return u, nil
		}
	case float64:
		if n >= 0 && n == float64(uint64(n)) {
			return uint64(n), nil
		}
	}
	return 0, fmt.Errorf("want a non-negative integer, got %v", v)
}
