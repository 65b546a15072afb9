package wasmstart

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// module is a minimal module: one type () -> (), two functions, exports
// given as (name, func index).
func module(exports ...any) []byte {
	b := append([]byte{}, header...)
	b = appendSection(b, 1, []byte{1, 0x60, 0, 0})
	b = appendSection(b, 3, []byte{2, 0, 0})
	exp := appendULEB(nil, uint64(len(exports)/2))
	for i := 0; i < len(exports); i += 2 {
		name := exports[i].(string)
		exp = append(appendULEB(exp, uint64(len(name))), name...)
		exp = appendULEB(append(exp, exportFunc), uint64(exports[i+1].(int)))
	}
	b = appendSection(b, sectionExport, exp)
	return appendSection(b, 10, []byte{2, 2, 0, 0x0b, 2, 0, 0x0b})
}

func TestAddStartSection(t *testing.T) {
	out, err := AddStartSection(module("filter", 0, "_initialize", 1))
	require.NoError(t, err)
	want := append([]byte{}, header...)
	want = appendSection(want, 1, []byte{1, 0x60, 0, 0})
	want = appendSection(want, 3, []byte{2, 0, 0})
	want = appendSection(want, sectionExport, []byte{1, 6, 'f', 'i', 'l', 't', 'e', 'r', 0, 0})
	want = appendSection(want, sectionStart, []byte{1})
	want = appendSection(want, 10, []byte{2, 2, 0, 0x0b, 2, 0, 0x0b})
	require.Equal(t, want, out)
}

func TestAddStartSectionErrors(t *testing.T) {
	withStart := appendSection(module("_initialize", 0), sectionStart, []byte{0})
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"not wasm", []byte("hello world"), ErrNotWasm},
		{"no _initialize", module("filter", 0), ErrNoInitialize},
		{"no exports", append([]byte{}, header...), ErrNoInitialize},
		{"already started", withStart, ErrHasStart},
		{"truncated", module("_initialize", 1)[:20], ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AddStartSection(tt.in)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func FuzzAddStartSection(f *testing.F) {
	f.Add(module("filter", 0, "_initialize", 1))
	f.Add(module("_initialize", 0))
	f.Add(append([]byte{}, header...))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := AddStartSection(b)
		if err != nil {
			return
		}
		// The output differs by one start section and one export at most.
		require.LessOrEqual(t, len(out), len(b)+16)
		_, err = AddStartSection(out)
		require.Error(t, err, "a second pass must refuse: the start section exists")
	})
}
