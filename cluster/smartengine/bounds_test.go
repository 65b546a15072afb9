package smartengine

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// Modules whose counts claim far more than they hold are refused before
// wazero decodes them: wazero allocates what a count says first, and the
// first of these (found by FuzzInstrument) made it allocate 33 GB and
// killed the process.
func TestCompileRefusesCountsBeyondTheModule(t *testing.T) {
	head := "\x00asm\x01\x00\x00\x00"
	for name, tc := range map[string]struct{ wasm, want string }{
		"2^31 tables":         {head + "\x04\x1b\xf4\xf4\xf4\xf4\x03\xf4\xf4\xf4\x020\x05S0eee00\x0000\x15\x00D000", "exceeds the bytes"},
		"2^32-1 imports":      {head + "\x02\x05\xff\xff\xff\xff\x0f", "exceeds the bytes"},
		"a 4 GB data segment": {head + "\x05\x03\x01\x00\x01" + "\x0b\x0a\x01\x01\xff\xff\xff\xff\x0f\x41\x00\x0b", "section 11: truncated"},
		"2^32-1 locals in 7 bytes": {head + "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00" +
			"\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b", "more than 50000"},
		"an element segment of 2^28 functions": {head + "\x09\x09\x01\x00\x41\x00\x0b\x80\x80\x80\x01", "exceeds the bytes"},
		"a function name 4 GB long":            {head + "\x00\x0c\x04name\x01\x06\x01\x00\xff\xff\xff\x0f", "section 0: truncated"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, Config{})
			_, err := e.Compile(context.Background(), []byte(tc.wasm))
			require.ErrorIs(t, err, ErrCompile)
			require.ErrorContains(t, err, "instrument module: ", "refused before wazero decodes it")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Real modules pass the check untouched.
func TestBoundsAcceptRealModules(t *testing.T) {
	for _, name := range []string{"filter-on-a.wasm", "map-uppercase.wasm", "filter-map-even-half.wasm", "aggregate-concat.wasm", "filter-contains-a.wasm", "no-transform-export.wasm"} {
		require.NoError(t, checkBounds(fixtureWasm(t, name)), name)
	}
}
