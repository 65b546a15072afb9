package smartengine

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

func alphabet() []string {
	var vs []string
	for c := 'a'; c <= 'z'; c++ {
		vs = append(vs, "record-"+string(c))
	}
	return vs
}

func TestRealModulesOutputs(t *testing.T) {
	e := newEngine(t, Config{})
	ctx := context.Background()
	tests := []struct {
		name   string
		module string
		inv    Invocation
		in     []string
		want   []string
		kind   Kind
	}{
		{name: "filter keeps record-a", module: "filter-on-a.wasm", in: alphabet(), want: []string{"record-a"}, kind: KindFilter},
		{name: "map uppercases", module: "map-uppercase.wasm", in: []string{"foo", "Bar1"}, want: []string{"FOO", "BAR1"}, kind: KindMap},
		{name: "filter-map even halves", module: "filter-map-even-half.wasm", in: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, want: []string{"1", "2", "3", "4", "5"}, kind: KindFilterMap},
		{name: "aggregate concat", module: "aggregate-concat.wasm", inv: Invocation{Accumulator: []byte("1")}, in: []string{"a", "b", "c", "d"}, want: []string{"1a", "1ab", "1abc", "1abcd"}, kind: KindAggregate},
		{name: "filter with param", module: "filter-contains-a.wasm", inv: Invocation{Params: map[string]string{"key": "a"}}, in: []string{"apple", "fruit", "banana"}, want: []string{"apple", "banana"}, kind: KindFilter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := tt.inv
			inv.Module = compileFixture(t, e, tt.module)
			require.Equal(t, tt.kind, inv.Module.Kind())
			c := newChain(t, e, inv)
			out, rtErr, err := c.Process(ctx, 100, testTimestamp, section(tt.in...))
			require.NoError(t, err)
			require.Nil(t, rtErr)
			require.Equal(t, tt.want, values(t, out))
		})
	}
}

// The worked example of spec §4.4: output bytes identical to the reference.
func TestFilterByteExactWithSpec(t *testing.T) {
	e := newEngine(t, Config{})
	m := compileFixture(t, e, "filter-contains-a.wasm")
	c := newChain(t, e, Invocation{Module: m, Params: map[string]string{"key": "a"}})
	in := sectionOf(
		rec{value: "apple"},
		rec{value: "fruit", tsDelta: 5, offDelta: 1},
		rec{value: "banana", tsDelta: 9, offDelta: 2, key: "k3", hasKey: true},
	)
	out, rtErr, err := c.Process(context.Background(), 100, testTimestamp, in)
	require.NoError(t, err)
	require.Nil(t, rtErr)
	require.Equal(t, "0000000216000000000a6170706c65001e00120401046b330c62616e616e6100", fmt.Sprintf("%x", out))
}

func TestAggregateAccumulatorAcrossCalls(t *testing.T) {
	e := newEngine(t, Config{})
	m := compileFixture(t, e, "aggregate-concat.wasm")
	c := newChain(t, e, Invocation{Module: m, Accumulator: []byte("1")})
	ctx := context.Background()
	out, _, err := c.Process(ctx, 0, testTimestamp, section("a", "b"))
	require.NoError(t, err)
	require.Equal(t, []string{"1a", "1ab"}, values(t, out))
	out, _, err = c.Process(ctx, 2, testTimestamp, section())
	require.NoError(t, err)
	require.Empty(t, values(t, out))
	out, _, err = c.Process(ctx, 2, testTimestamp, section("c", "d"))
	require.NoError(t, err)
	require.Equal(t, []string{"1abc", "1abcd"}, values(t, out))
	require.Equal(t, []byte("1abcd"), c.Accumulator(0))
}

func TestInitErrorMissingParam(t *testing.T) {
	e := newEngine(t, Config{})
	m := compileFixture(t, e, "filter-contains-a.wasm")
	require.True(t, m.HasInit())
	_, err := e.NewChain(context.Background(), 25, Invocation{Module: m})
	require.ErrorIs(t, err, ErrInit)
	var ie *InitError
	require.ErrorAs(t, err, &ie)
	require.Equal(t, "Missing param key", ie.Hint)
	code := ErrorCode(err)
	require.Equal(t, protocol.SmartModuleChainInitError, code.Code)
	require.Equal(t, "Missing param key\n\nSmartModule Init Error: \n", code.Message)
}

func TestRuntimeErrorNamesRecord(t *testing.T) {
	e := newEngine(t, Config{})
	m := compileFixture(t, e, "filter-contains-a.wasm")
	c := newChain(t, e, Invocation{Module: m, Params: map[string]string{"key": "a"}})
	in := sectionOf(
		rec{value: "avocado"},
		rec{value: "\xff\xfea", offDelta: 1},
		rec{value: "banana", offDelta: 2},
	)
	out, rtErr, err := c.Process(context.Background(), 100, testTimestamp, in)
	require.NoError(t, err)
	require.NotNil(t, rtErr)
	require.Equal(t, []string{"avocado"}, values(t, out))
	require.Equal(t, int64(101), rtErr.Offset)
	require.Equal(t, protocol.ErrKindFilter, rtErr.Kind)
	require.Equal(t, "invalid utf-8 sequence of 1 bytes from index 0", rtErr.Hint)
	require.Nil(t, rtErr.RecordKey)
	require.Equal(t, []byte("\xff\xfea"), rtErr.RecordValue)

	// The stream carries on: the next batch is processed normally.
	out, rtErr, err = c.Process(context.Background(), 103, testTimestamp, section("kiwi", "papaya"))
	require.NoError(t, err)
	require.Nil(t, rtErr)
	require.Equal(t, []string{"papaya"}, values(t, out))
}

func TestRefusedModules(t *testing.T) {
	e := newEngine(t, Config{})
	ctx := context.Background()
	tests := []struct {
		name    string
		wasm    []byte
		wantErr error
		code    protocol.Code
		msg     string
	}{
		{name: "no transform export", wasm: fixtureWasm(t, "no-transform-export.wasm"), wantErr: ErrMissingCopyRecords,
			code: protocol.SmartModuleChainInitError, msg: "Failed to instantiate: At least one import is required"},
		{name: "not wasm", wasm: []byte("\x00asm\x01\x00\x00\x00garbage"), wantErr: ErrCompile, code: protocol.SmartModuleChainInitError},
		{name: "foreign import", wasm: wasmWithImports(t, [][2]string{{"env", "copy_records"}, {"env", "launch_missiles"}}, true),
			wantErr: ErrUnsupportedImport, code: protocol.SmartModuleChainInitError},
		{name: "copy_records but no transform", wasm: wasmWithImports(t, [][2]string{{"env", "copy_records"}}, false),
			wantErr: ErrNoTransform, code: protocol.SmartModuleChainInitError, msg: "No valid smartmodule found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Compile(ctx, tt.wasm)
			require.ErrorIs(t, err, tt.wantErr)
			code := ErrorCode(err)
			require.Equal(t, tt.code, code.Code)
			if tt.msg != "" {
				require.Equal(t, tt.msg, code.Message)
			}
		})
	}
}

func TestPayload(t *testing.T) {
	raw := fixtureWasm(t, "filter-on-a.wasm")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	got, err := Payload(gz.Bytes())
	require.NoError(t, err)
	require.Equal(t, raw, got)
	got, err = Payload(raw)
	require.NoError(t, err)
	require.Equal(t, raw, got)

	for _, bad := range [][]byte{nil, []byte("hello"), gz.Bytes()[:20]} {
		_, err := Payload(bad)
		require.ErrorIs(t, err, ErrInvalidPayload)
		require.Equal(t, protocol.SmartModuleInvalid, ErrorCode(err).Code)
	}
}

func TestChainFilterThenMap(t *testing.T) {
	e := newEngine(t, Config{})
	c := newChain(t, e,
		Invocation{Module: compileFixture(t, e, "filter-on-a.wasm")},
		Invocation{Module: compileFixture(t, e, "map-uppercase.wasm")},
	)
	out, rtErr, err := c.Process(context.Background(), 0, testTimestamp, section("banana", "kiwi", "apple", "plum"))
	require.NoError(t, err)
	require.Nil(t, rtErr)
	require.Equal(t, []string{"BANANA", "APPLE"}, values(t, out))
	// Offsets deltas of the survivors are those of the original batch.
	rs := records(t, out)
	require.Equal(t, []int64{0, 2}, []int64{rs[0].OffsetDelta, rs[1].OffsetDelta})
}

func TestChainStopsAtRecordError(t *testing.T) {
	e := newEngine(t, Config{})
	c := newChain(t, e,
		Invocation{Module: compileFixture(t, e, "filter-contains-a.wasm"), Params: map[string]string{"key": "a"}},
		Invocation{Module: compileFixture(t, e, "map-uppercase.wasm")},
	)
	out, rtErr, err := c.Process(context.Background(), 10, testTimestamp, section("avocado", "\xff", "banana"))
	require.NoError(t, err)
	require.NotNil(t, rtErr)
	require.Equal(t, int64(11), rtErr.Offset)
	// Module 1's successes are returned as is, not mapped by module 2.
	require.Equal(t, []string{"avocado"}, values(t, out))
}

// Modules built in 2022 fail at version 25 with real timestamps (spec
// §3.7); the engine passes version 22 instead.
func TestVersionClampedFor2022Modules(t *testing.T) {
	e := newEngine(t, Config{})
	m := compileFixture(t, e, "filter-contains-a.wasm")
	for _, v := range []int16{11, 21, 22, 25} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			c, err := e.NewChain(context.Background(), v, Invocation{Module: m, Params: map[string]string{"key": "a"}})
			require.NoError(t, err)
			defer c.Close(context.Background())
			out, _, err := c.Process(context.Background(), 0, testTimestamp, section("apple", "fig"))
			require.NoError(t, err)
			require.Equal(t, []string{"apple"}, values(t, out))
		})
	}
}

func TestNoLeakAcrossCalls(t *testing.T) {
	e := newEngine(t, Config{})
	m := compileFixture(t, e, "filter-on-a.wasm")
	c := newChain(t, e, Invocation{Module: m})
	big := make([]string, 50)
	for i := range big {
		big[i] = "a" + string(bytes.Repeat([]byte{'x'}, 1000))
	}
	in := section(big...)
	ctx := context.Background()
	for range 20 {
		_, _, err := c.Process(ctx, 0, testTimestamp, in)
		require.NoError(t, err)
	}
	warm := c.MemoryBytes()
	for range 300 {
		out, _, err := c.Process(ctx, 0, testTimestamp, in)
		require.NoError(t, err)
		require.Len(t, values(t, out), 50)
	}
	require.LessOrEqual(t, c.MemoryBytes(), warm+2*wasmPage, "memory grew from %d to %d bytes", warm, c.MemoryBytes())
}

func TestReferenceLeakWhenKeepingBuffers(t *testing.T) {
	e := newEngine(t, Config{KeepOutputBuffers: true})
	m := compileFixture(t, e, "filter-on-a.wasm")
	c := newChain(t, e, Invocation{Module: m})
	in := section(string(bytes.Repeat([]byte{'a'}, 50_000)))
	before := c.MemoryBytes()
	for range 100 {
		_, _, err := c.Process(context.Background(), 0, testTimestamp, in)
		require.NoError(t, err)
	}
	require.Greater(t, c.MemoryBytes(), before+40*wasmPage, "the reference behaviour leaks output buffers")
}

func TestMemoryLimit(t *testing.T) {
	ctx := context.Background()
	t.Run("growth during processing", func(t *testing.T) {
		e := newEngine(t, Config{MaxMemoryBytes: 2_000_000})
		m := compileFixture(t, e, "filter-on-a.wasm")
		c := newChain(t, e, Invocation{Module: m})
		_, _, err := c.Process(ctx, 0, testTimestamp, section(string(bytes.Repeat([]byte{'a'}, 1_000_000))))
		require.ErrorIs(t, err, ErrMemoryLimit)
		var ml *MemoryLimitError
		require.ErrorAs(t, err, &ml)
		require.Greater(t, ml.Requested, uint64(2_000_000))
		require.Equal(t, uint64(2_000_000), ml.Max)
		code := ErrorCode(err)
		require.Equal(t, protocol.SmartModuleMemoryLimitExceeded, code.Code)
		require.Equal(t, int64(ml.Requested), code.A)
		// The chain is unusable afterwards, the engine is not.
		_, _, err = c.Process(ctx, 0, testTimestamp, section("a"))
		require.ErrorIs(t, err, ErrChainBroken)
		c2 := newChain(t, e, Invocation{Module: m})
		out, _, err := c2.Process(ctx, 0, testTimestamp, section("a", "b"))
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, values(t, out))
	})
	t.Run("initial memory above the limit", func(t *testing.T) {
		e := newEngine(t, Config{MaxMemoryBytes: 512 << 10})
		m := compileFixture(t, e, "filter-on-a.wasm")
		_, err := e.NewChain(ctx, 25, Invocation{Module: m})
		require.ErrorIs(t, err, ErrMemoryLimit)
		require.Equal(t, protocol.SmartModuleMemoryLimitExceeded, ErrorCode(err).Code)
	})
}

func TestProcessRejectsShortInput(t *testing.T) {
	e := newEngine(t, Config{})
	c := newChain(t, e, Invocation{Module: compileFixture(t, e, "filter-on-a.wasm")})
	_, _, err := c.Process(context.Background(), 0, 0, []byte{0, 0})
	require.Error(t, err)
}

func TestClosedChain(t *testing.T) {
	e := newEngine(t, Config{})
	c := newChain(t, e, Invocation{Module: compileFixture(t, e, "filter-on-a.wasm")})
	require.NoError(t, c.Close(context.Background()))
	require.NoError(t, c.Close(context.Background()))
	_, _, err := c.Process(context.Background(), 0, 0, section("a"))
	require.True(t, errors.Is(err, ErrClosed))
}
