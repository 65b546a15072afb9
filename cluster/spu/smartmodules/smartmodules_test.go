package smartmodules_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/cluster/spu"
	"github.com/gofluvio/fluvio/cluster/spu/smartmodules"
	"github.com/gofluvio/fluvio/internal/fixtures"
)

// fixture reads a real SmartModule built by Fluvio's Rust SDK.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures.Path(t, "smartmodules", name))
	require.NoError(t, err)
	return b
}

func adHoc(t testing.TB, wasm []byte, kind protocol.SmartModuleKind, params map[string]string) protocol.SmartModuleInvocation {
	t.Helper()
	inv, err := client.AdHocSmartModule(wasm, kind, params)
	require.NoError(t, err)
	return inv
}

var (
	filterKind = protocol.SmartModuleKind{Type: protocol.SMKindFilter}
	mapKind    = protocol.SmartModuleKind{Type: protocol.SMKindMap}
)

func aggregateKind(initial string) protocol.SmartModuleKind {
	return protocol.SmartModuleKind{Type: protocol.SMKindAggregate, Accumulator: []byte(initial)}
}

// cluster is an in-process cluster with the default (engine) SmartModules
// and a client.
type cluster struct {
	*clustertest.Cluster
	c *client.Client
}

func start(t testing.TB, opts clustertest.Options) *cluster {
	t.Helper()
	cl := clustertest.Start(t, opts)
	return &cluster{Cluster: cl, c: cl.Client()}
}

// startLetters starts a cluster whose SPU runs eng, holding the letters
// topic, and opens a plain stream on it from the beginning (closed with
// the test).
func startLetters(t *testing.T, eng *smartmodules.Engine) (*cluster, *client.Stream) {
	t.Helper()
	c := start(t, clustertest.Options{SmartModules: eng})
	c.topic(t, "letters", false, letters()...)
	plain, err := c.c.PartitionConsumer("letters", 0).Stream(ctxT(t), client.OffsetBeginning(0), client.ConsumerConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = plain.Close() })
	return c, plain
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// topic creates a one-partition topic and produces values to it (one batch
// per flush; perRecord makes every record a batch of its own).
func (c *cluster) topic(t testing.TB, name string, perRecord bool, values ...string) {
	t.Helper()
	ctx := ctxT(t)
	require.NoError(t, c.c.Admin().CreateTopic(ctx, name, client.TopicOptions{Partitions: 1}))
	c.produce(t, name, perRecord, values...)
}

func (c *cluster) produce(t testing.TB, name string, perRecord bool, values ...string) {
	t.Helper()
	ctx := ctxT(t)
	cfg := client.ProducerConfig{}
	if perRecord {
		cfg.Linger = -1
		cfg.MaxInFlight = 1
	}
	p, err := c.c.Producer(ctx, name, cfg)
	require.NoError(t, err)
	for _, v := range values {
		require.NoError(t, p.Send(ctx, nil, []byte(v)))
		if perRecord {
			require.NoError(t, p.Flush(ctx))
		}
	}
	require.NoError(t, p.Flush(ctx))
}

// consume reads the topic from the beginning to its current end through
// the SmartModules and returns the values, then the stream's error (nil at
// the end).
func (c *cluster) consume(t testing.TB, name string, invs ...protocol.SmartModuleInvocation) ([]string, error) {
	t.Helper()
	recs, err := c.consumeRecords(t, name, client.ConsumerConfig{SmartModules: invs, StopAtEnd: true})
	vals := []string{}
	for _, r := range recs {
		vals = append(vals, string(r.Value))
	}
	return vals, err
}

func (c *cluster) consumeRecords(t testing.TB, name string, cfg client.ConsumerConfig) ([]client.Record, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := c.c.PartitionConsumer(name, 0).Stream(ctx, client.OffsetBeginning(0), cfg)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	var out []client.Record
	for {
		r, err := s.Next(ctx)
		if client.IsEnd(err) {
			return out, nil
		}
		if err != nil {
			require.NoError(t, ctx.Err(), "stream stalled after %d records", len(out))
			return out, err
		}
		out = append(out, r)
	}
}

// createModule stores wasm in the SC under name and waits until the SPU
// has it.
func (c *cluster) createModule(t testing.TB, name string, wasm []byte) {
	t.Helper()
	require.NoError(t, c.c.Admin().CreateSmartModule(ctxT(t), name, wasm))
	c.Eventually(10*time.Second, func() error {
		if _, ok := c.SPUs[0].ResolveSmartModule(name); !ok {
			return fmt.Errorf("SPU does not know SmartModule %s yet", name)
		}
		return nil
	})
}

// code extracts the protocol error code a stream ended with.
func code(t testing.TB, err error) protocol.ErrorCode {
	t.Helper()
	var pe *protocol.Error
	require.ErrorAs(t, err, &pe)
	return pe.Code
}

func letters() []string {
	var out []string
	for c := 'a'; c <= 'z'; c++ {
		out = append(out, "record-"+string(c))
	}
	return out
}

func numbers(n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprint(i))
	}
	return out
}

// The real modules give exactly what Fluvio's own suites assert
// (../shared/README.md), ad hoc and by name.
func TestRealModules(t *testing.T) {
	c := start(t, clustertest.Options{})
	c.topic(t, "letters", false, letters()...)
	c.topic(t, "words", false, "foo", "bar", "mixed Case")
	c.topic(t, "numbers", false, numbers(10)...)
	c.topic(t, "abcd", false, "a", "b", "c", "d")
	c.topic(t, "fruit", false, "apple", "fruit", "banana")

	tests := []struct {
		name   string
		module string
		topic  string
		kind   protocol.SmartModuleKind
		params map[string]string
		want   []string
	}{
		{module: "filter-on-a.wasm", topic: "letters", kind: filterKind, want: []string{"record-a"}},
		{module: "map-uppercase.wasm", topic: "words", kind: mapKind, want: []string{"FOO", "BAR", "MIXED CASE"}},
		{module: "filter-map-even-half.wasm", topic: "numbers", kind: protocol.SmartModuleKind{Type: protocol.SMKindFilterMap}, want: []string{"1", "2", "3", "4", "5"}},
		{module: "aggregate-concat.wasm", topic: "abcd", kind: aggregateKind("1"), want: []string{"1a", "1ab", "1abc", "1abcd"}},
		{name: "generic", module: "aggregate-concat.wasm", topic: "abcd", kind: protocol.SmartModuleKind{Type: protocol.SMKindGeneric, Context: protocol.SMContextAggregate, Accumulator: []byte("1")}, want: []string{"1a", "1ab", "1abc", "1abcd"}},
		{name: "empty", module: "aggregate-concat.wasm", topic: "abcd", kind: aggregateKind(""), want: []string{"a", "ab", "abc", "abcd"}},
		{module: "filter-contains-a.wasm", topic: "fruit", kind: filterKind, params: map[string]string{"key": "a"}, want: []string{"apple", "banana"}},
	}
	for _, tt := range tests {
		wasm := fixture(t, tt.module)
		t.Run(tt.module+"/adhoc/"+tt.name, func(t *testing.T) {
			got, err := c.consume(t, tt.topic, adHoc(t, wasm, tt.kind, tt.params))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
		t.Run(tt.module+"/predefined/"+tt.name, func(t *testing.T) {
			name := tt.module[:len(tt.module)-len(".wasm")]
			if _, ok := c.SPUs[0].ResolveSmartModule(name); !ok {
				c.createModule(t, name, wasm)
			}
			got, err := c.consume(t, tt.topic, client.PredefinedSmartModule(name, tt.kind, tt.params))
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// Failures reach the consumer as Fluvio's error codes, with the records
// that passed before a record-level error.
func TestErrorsReachTheConsumer(t *testing.T) {
	c := start(t, clustertest.Options{})
	c.topic(t, "fruit", false, "apple", "fruit", "banana")
	c.topic(t, "bad-utf8", false, "avocado", "\xff\xfea", "banana")
	containsA := fixture(t, "filter-contains-a.wasm")

	t.Run("missing param fails init", func(t *testing.T) {
		got, err := c.consume(t, "fruit", adHoc(t, containsA, filterKind, nil))
		require.Empty(t, got)
		ec := code(t, err)
		require.Equal(t, protocol.SmartModuleChainInitError, ec.Code)
		require.Equal(t, "Missing param key\n\nSmartModule Init Error: \n", ec.Message)
	})
	t.Run("invalid utf-8 names the record", func(t *testing.T) {
		got, err := c.consume(t, "bad-utf8", adHoc(t, containsA, filterKind, map[string]string{"key": "a"}))
		require.Equal(t, []string{"avocado"}, got, "the records before the failing one are delivered first")
		ec := code(t, err)
		require.Equal(t, protocol.SmartModuleRuntimeError, ec.Code)
		require.NotNil(t, ec.Runtime)
		require.Equal(t, int64(1), ec.Runtime.Offset)
		require.Equal(t, protocol.ErrKindFilter, ec.Runtime.Kind)
		require.Contains(t, ec.Runtime.Hint, "invalid utf-8 sequence")
		require.Equal(t, []byte("\xff\xfea"), ec.Runtime.RecordValue)
		require.Contains(t, err.Error(), "Offset: 1")
	})
	t.Run("no transform export is refused", func(t *testing.T) {
		_, err := c.consume(t, "fruit", adHoc(t, fixture(t, "no-transform-export.wasm"), filterKind, nil))
		ec := code(t, err)
		require.Equal(t, protocol.SmartModuleChainInitError, ec.Code)
		require.Contains(t, ec.Message, "At least one import is required")
	})
	t.Run("unknown predefined name", func(t *testing.T) {
		_, err := c.consume(t, "fruit", client.PredefinedSmartModule("no-such-module", filterKind, nil))
		ec := code(t, err)
		require.Equal(t, protocol.SmartModuleNotFound, ec.Code)
		require.Equal(t, "no-such-module", ec.Message)
		require.Contains(t, err.Error(), "SmartModule no-such-module was not found")
	})
	t.Run("ad hoc module not gzipped", func(t *testing.T) {
		inv := protocol.SmartModuleInvocation{Wasm: protocol.AdHocWasm(fixture(t, "filter-on-a.wasm")), Kind: filterKind}
		_, err := c.consume(t, "fruit", inv)
		ec := code(t, err)
		require.Equal(t, protocol.SmartModuleInvalid, ec.Code)
		require.Contains(t, ec.Message, "not gzip")
	})
	t.Run("ad hoc garbage in gzip", func(t *testing.T) {
		gz, err := protocol.Compress(protocol.CompressionGzip, nil, []byte("not wasm at all"))
		require.NoError(t, err)
		_, err = c.consume(t, "fruit", protocol.SmartModuleInvocation{Wasm: protocol.AdHocWasm(gz), Kind: filterKind})
		require.Equal(t, protocol.SmartModuleInvalid, code(t, err).Code)
	})
	// Each of these made wazero allocate tens of gigabytes (or panic) and
	// ended the SPU with every stream on it; smartengine refuses them
	// before wazero reads them.
	t.Run("modules built to exhaust memory are refused", func(t *testing.T) {
		head := "\x00asm\x01\x00\x00\x00"
		for name, wasm := range map[string]string{
			"2^31 tables":               head + "\x04\x1b\xf4\xf4\xf4\xf4\x03\xf4\xf4\xf4\x020\x05S0eee00\x0000\x15\x00D000",
			"a rec group hiding 2^32":   head + "\x01\x0a\x01\x4e\x06\x60\xff\xff\xff\xff\x0f\x00",
			"a long name subsection":    head + "\x00\x12\x04name\x01\x08\x00\x02\x05\xff\xff\xff\xff\x0f\x00\x01\x00",
			"tables of 2^28 elements":   head + "\x04\x0d\x02\x70\x00\x80\x80\x80\x40\x70\x00\x80\x80\x80\x40",
			"a call of undeclared type": head + "\x01\x04\x01\x60\x00\x00\x03\x03\x02\x00\x22\x0a\x09\x02\x04\x00\x10\x01\x0b\x02\x00\x0b",
		} {
			_, err := c.consume(t, "fruit", adHoc(t, []byte(wasm), filterKind, nil))
			ec := code(t, err)
			require.Equal(t, protocol.SmartModuleChainInitError, ec.Code, name)
			require.Contains(t, ec.Message, "does not compile: instrument module", name)
		}
	})
	t.Run("the SPU keeps serving", func(t *testing.T) {
		got, err := c.consume(t, "fruit")
		require.NoError(t, err)
		require.Equal(t, []string{"apple", "fruit", "banana"}, got)
	})
}

// A chain applies its modules in order.
func TestChains(t *testing.T) {
	c := start(t, clustertest.Options{})
	c.topic(t, "letters", false, letters()...)
	c.topic(t, "numbers", false, numbers(10)...)
	filterA, upper := fixture(t, "filter-on-a.wasm"), fixture(t, "map-uppercase.wasm")
	c.createModule(t, "upper", upper)

	got, err := c.consume(t, "letters", adHoc(t, filterA, filterKind, nil), client.PredefinedSmartModule("upper", mapKind, nil))
	require.NoError(t, err)
	require.Equal(t, []string{"RECORD-A"}, got)

	got, err = c.consume(t, "numbers",
		adHoc(t, fixture(t, "filter-map-even-half.wasm"), protocol.SmartModuleKind{Type: protocol.SMKindFilterMap}, nil),
		adHoc(t, fixture(t, "aggregate-concat.wasm"), aggregateKind("x"), nil))
	require.NoError(t, err)
	require.Equal(t, []string{"x1", "x12", "x123", "x1234", "x12345"}, got)

	// An error in the first module stops the chain with its own output.
	_, err = c.consume(t, "letters", adHoc(t, fixture(t, "filter-contains-a.wasm"), filterKind, nil), adHoc(t, upper, mapKind, nil))
	require.Equal(t, protocol.SmartModuleChainInitError, code(t, err).Code)
}

// Records stored in many batches come out of one output batch per read
// with their original offsets, filtered records are acknowledged past, and
// the aggregate accumulator carries over from batch to batch and read to
// read.
func TestManyBatches(t *testing.T) {
	c := start(t, clustertest.Options{})
	vals := letters()
	vals = append(vals, "last-a") // end on a record that passes
	c.topic(t, "letters", true, vals...)

	recs, err := c.consumeRecords(t, "letters", client.ConsumerConfig{StopAtEnd: true,
		SmartModules: []protocol.SmartModuleInvocation{adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil)}})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, "record-a", string(recs[0].Value))
	require.Equal(t, int64(0), recs[0].Offset)
	require.Equal(t, "last-a", string(recs[1].Value))
	require.Equal(t, int64(26), recs[1].Offset, "offset deltas are rebased onto the output batch")
	require.Positive(t, recs[1].Timestamp, "timestamps are carried over from the stored batches")

	// A small max_bytes splits the reads; the accumulator continues.
	recs, err = c.consumeRecords(t, "letters", client.ConsumerConfig{StopAtEnd: true, MaxBytes: 200,
		SmartModules: []protocol.SmartModuleInvocation{adHoc(t, fixture(t, "aggregate-concat.wasm"), aggregateKind(""), nil)}})
	require.NoError(t, err)
	require.Len(t, recs, len(vals))
	acc := ""
	for i, r := range recs {
		acc += vals[i]
		require.Equal(t, acc, string(r.Value), "record %d", i)
		require.Equal(t, int64(i), r.Offset)
	}
}

// SmartModules on Produce transform records before they are stored.
func TestProduceWithSmartModules(t *testing.T) {
	c := start(t, clustertest.Options{})
	ctx := ctxT(t)
	require.NoError(t, c.c.Admin().CreateTopic(ctx, "stored", client.TopicOptions{Partitions: 1}))
	send := func(invs []protocol.SmartModuleInvocation, values ...string) error {
		p, err := c.c.Producer(ctx, "stored", client.ProducerConfig{SmartModules: invs, Delivery: client.AtMostOnce})
		require.NoError(t, err)
		for _, v := range values {
			if err := p.Send(ctx, nil, []byte(v)); err != nil {
				return err
			}
		}
		return p.Flush(ctx)
	}
	upper := adHoc(t, fixture(t, "map-uppercase.wasm"), mapKind, nil)
	filterA := adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil)
	require.NoError(t, send([]protocol.SmartModuleInvocation{upper}, "foo", "bar"))
	require.NoError(t, send([]protocol.SmartModuleInvocation{filterA}, "xyz", "abc", "def"))
	require.NoError(t, send([]protocol.SmartModuleInvocation{filterA}, "none", "here"), "a batch filtered out entirely is not an error")
	err := send([]protocol.SmartModuleInvocation{adHoc(t, fixture(t, "filter-contains-a.wasm"), filterKind, map[string]string{"key": "a"})}, "ok-a", "\xff")
	require.Error(t, err)
	require.Equal(t, protocol.SmartModuleRuntimeError, code(t, err).Code, "a record-level error rejects the whole write")
	err = send([]protocol.SmartModuleInvocation{client.PredefinedSmartModule("missing", filterKind, nil)}, "x")
	require.Equal(t, protocol.SmartModuleNotFound, code(t, err).Code)

	recs, err := c.consumeRecords(t, "stored", client.ConsumerConfig{StopAtEnd: true})
	require.NoError(t, err)
	var got []string
	for i, r := range recs {
		got = append(got, string(r.Value))
		require.Equal(t, int64(i), r.Offset, "stored offsets are dense")
	}
	require.Equal(t, []string{"FOO", "BAR", "abc"}, got)
}

// goExample builds a Go SDK example (smartmodule/examples/NAME) with
// GOOS=wasip1 -buildmode=c-shared, once per test process.
func goExample(t testing.TB, name string) []byte {
	t.Helper()
	exampleMu.Lock()
	defer exampleMu.Unlock()
	if b, ok := exampleWasm[name]; ok {
		return b
	}
	if testing.Short() {
		t.Skip("skipped in -short: builds a Go SmartModule")
	}
	b, err := os.ReadFile(fixtures.GoSmartModule(t, name))
	require.NoError(t, err)
	exampleWasm[name] = b
	return b
}

var (
	exampleMu   sync.Mutex
	exampleWasm = map[string][]byte{}
)

// Modules built with our Go SDK run the same way, params and look_back
// included.
func TestGoSDKModules(t *testing.T) {
	c := start(t, clustertest.Options{})
	c.topic(t, "fruit", false, "apple", "fruit", "banana", "\xff")

	got, err := c.consume(t, "fruit", adHoc(t, goExample(t, "filter"), filterKind, nil))
	require.Equal(t, []string{"apple", "banana"}, got)
	ec := code(t, err)
	require.Equal(t, protocol.SmartModuleRuntimeError, ec.Code)
	require.Equal(t, int64(3), ec.Runtime.Offset)
	require.Contains(t, ec.Runtime.Hint, "not valid UTF-8")

	c.createModule(t, "go-params", goExample(t, "params"))
	got, err = c.consume(t, "fruit", client.PredefinedSmartModule("go-params", filterKind, map[string]string{"key": "ui"}))
	require.NoError(t, err)
	require.Equal(t, []string{"fruit"}, got)
	_, err = c.consume(t, "fruit", client.PredefinedSmartModule("go-params", filterKind, nil))
	require.Contains(t, code(t, err).Message, "Missing param key")

	// look_back seeds the module with the last two records (b, c): reading
	// from the beginning, a passes and b, c are dropped as already seen;
	// then new records b and d give d alone.
	c.topic(t, "dedup", false, "a", "b", "c")
	inv := adHoc(t, goExample(t, "look-back"), filterKind, nil)
	inv.Params.Lookback = &protocol.Lookback{Last: 2}
	ctx := ctxT(t)
	s, err := c.c.PartitionConsumer("dedup", 0).Stream(ctx, client.OffsetBeginning(0), client.ConsumerConfig{SmartModules: []protocol.SmartModuleInvocation{inv}})
	require.NoError(t, err)
	defer s.Close()
	r, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "a", string(r.Value))
	c.produce(t, "dedup", false, "b", "d")
	r, err = s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "d", string(r.Value), "b was in the look_back history")
	require.Equal(t, int64(4), r.Offset)

	// A failing look_back is SmartModuleLookBackError.
	c.topic(t, "poisoned", false, "poison", "x")
	_, err = c.consume(t, "poisoned", inv)
	ec = code(t, err)
	require.Equal(t, protocol.SmartModuleLookBackError, ec.Code)
	require.Contains(t, ec.Message, "poisoned history")
}

// loopingFilter is a hand-assembled module whose filter never returns.
func loopingFilter() []byte {
	return []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		// types: (i32,i32)->(), (i32)->i32, (i32,i32,i32)->i32
		0x01, 0x12, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f,
		// import env.copy_records
		0x02, 0x14, 0x01, 0x03, 'e', 'n', 'v', 0x0c, 'c', 'o', 'p', 'y', '_', 'r', 'e', 'c', 'o', 'r', 'd', 's', 0x00, 0x00,
		// functions: alloc (type 1), filter (type 2)
		0x03, 0x03, 0x02, 0x01, 0x02,
		// memory: one page
		0x05, 0x03, 0x01, 0x00, 0x01,
		// exports: memory, alloc, filter
		0x07, 0x1b, 0x03,
		0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
		0x05, 'a', 'l', 'l', 'o', 'c', 0x00, 0x01,
		0x06, 'f', 'i', 'l', 't', 'e', 'r', 0x00, 0x02,
		// code: alloc returns 1024; filter loops forever
		0x0a, 0x11, 0x02,
		0x05, 0x00, 0x41, 0x80, 0x08, 0x0b,
		0x09, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x41, 0x00, 0x0b,
	}
}

// A module stuck in a loop fails its own stream within the deadline; the
// SPU goes on serving other streams, including ones running modules.
func TestLoopingModuleFailsItsStreamOnly(t *testing.T) {
	eng := smartmodules.New(smartengine.Config{CallTimeout: 300 * time.Millisecond})
	t.Cleanup(func() { _ = eng.Close() })
	ctx := ctxT(t)
	c, plain := startLetters(t, eng) // a plain stream open across the failure
	r, err := plain.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "record-a", string(r.Value))

	began := time.Now()
	got, err := c.consume(t, "letters", adHoc(t, loopingFilter(), filterKind, nil))
	require.Empty(t, got)
	ec := code(t, err)
	require.Equal(t, protocol.Other, ec.Code)
	require.Contains(t, ec.Message, "time limit")
	require.Less(t, time.Since(began), 10*time.Second)

	got, err = c.consume(t, "letters", adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil))
	require.NoError(t, err)
	require.Equal(t, []string{"record-a"}, got)
	r, err = plain.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "record-b", string(r.Value))
}

// An SPU without the engine refuses SmartModules with a clear error.
func TestNoSmartModules(t *testing.T) {
	c := start(t, clustertest.Options{NoSmartModules: true})
	c.topic(t, "letters", false, letters()...)
	_, err := c.consume(t, "letters", adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil))
	ec := code(t, err)
	require.Equal(t, protocol.SmartModuleChainInitError, ec.Code)
	require.Contains(t, ec.Message, "not enabled")
}

// A consumer that stops at the end of the log must end even when the last
// batches are all filtered out: the SPU reports how far it got.
func TestStopAtEndWhenTheTailIsFilteredOut(t *testing.T) {
	c := start(t, clustertest.Options{})
	c.topic(t, "tail-filtered", true, "apple", "banana", "fig", "kiwi", "plum")
	filter := adHoc(t, fixture(t, "filter-on-a.wasm"), protocol.SmartModuleKind{Type: protocol.SMKindFilter}, nil)
	// a small max_bytes makes every stored batch a read of its own, so the
	// last reads produce nothing
	recs, err := c.consumeRecords(t, "tail-filtered", client.ConsumerConfig{SmartModules: []protocol.SmartModuleInvocation{filter}, StopAtEnd: true, MaxBytes: 100})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, "apple", string(recs[0].Value))
	require.Equal(t, "banana", string(recs[1].Value))
}

// A filtered stream over many reads (max_bytes of a few batches, the next
// read made while the chain runs) delivers every passing record once, in
// order, with its offset, and then what is produced while it waits.
func TestFilteredStreamOverManyReads(t *testing.T) {
	c := start(t, clustertest.Options{})
	var vals []string
	for i := range 300 {
		v := fmt.Sprintf("x%03d", i)
		if i%3 == 0 {
			v += "-a"
		}
		vals = append(vals, v)
	}
	c.topic(t, "many", true, vals...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	filter := adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil)
	s, err := c.c.PartitionConsumer("many", 0).Stream(ctx, client.OffsetBeginning(0),
		client.ConsumerConfig{SmartModules: []protocol.SmartModuleInvocation{filter}, MaxBytes: 300})
	require.NoError(t, err)
	defer s.Close()
	for i := 0; i < 300; i += 3 {
		r, err := s.Next(ctx)
		require.NoError(t, err)
		require.Equal(t, vals[i], string(r.Value))
		require.Equal(t, int64(i), r.Offset)
	}
	c.produce(t, "many", false, "plum", "late-a")
	r, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "late-a", string(r.Value))
	require.Equal(t, int64(301), r.Offset)
}

// A transform's output batch stays valid through the next call that
// returns a batch (the SPU sends one while the chain computes the next),
// whatever calls returning nothing come between.
func TestTransformOutputStaysValidWhileTheNextIsComputed(t *testing.T) {
	ctx := context.Background()
	tr := filterTransform(t)
	batch := func(vals ...string) []byte { return storedBatch(t, 0, vals...) }
	process := func(b []byte) []byte {
		out, _, code := tr.Process(ctx, b, 0)
		require.True(t, code.IsOK(), "%v", code.Err())
		return finished(t, tr, out)
	}
	valuesOf := func(out []byte) []string {
		var vs []string
		it := protocol.NewBatchIterator(out)
		for it.Next() {
			require.NoError(t, protocol.ForEachRecord(it.Batch(), func(_, _ int64, r *protocol.Record) error {
				vs = append(vs, string(r.Value))
				return nil
			}))
		}
		require.NoError(t, it.Err())
		return vs
	}
	first := process(batch("apple", "fig"))
	second := process(batch("banana", "kiwi", "grape"))
	require.Equal(t, []string{"apple"}, valuesOf(first), "first, after the second was computed")
	require.Nil(t, process(batch("fig", "plum")), "nothing passes")
	require.Nil(t, process(batch("lime")), "nothing passes")
	third := process(batch("avocado"))
	require.Equal(t, []string{"banana", "grape"}, valuesOf(second), "second, after the third was computed")
	require.Equal(t, []string{"avocado"}, valuesOf(third))
}

// Stored batches come from a log, whose offsets only move forward; a
// transform fed anything else says so instead of numbering records wrong,
// and one output batch spans no more offsets than its int32
// last_offset_delta can (the rest is left to the next call). Both were
// found by FuzzProcess. Input checked ahead (Check) gives the same.
func TestTransformRefusesOffsetsItCannotNumber(t *testing.T) {
	ctx := context.Background()
	tr := filterTransform(t)
	offsets := func(out []byte) []int64 {
		var offs []int64
		require.NoError(t, protocol.ForEachRecord(out, func(off, _ int64, _ *protocol.Record) error {
			offs = append(offs, off)
			return nil
		}))
		return offs
	}
	for _, ahead := range []bool{false, true} {
		run := func(in []byte) ([]byte, int64, protocol.ErrorCode) {
			checked := 0
			if ahead {
				checked = tr.Check(in)
				require.Equal(t, len(in), checked)
			}
			out, next, code := tr.Process(ctx, in, checked)
			return finished(t, tr, out), next, code
		}
		backwards := append(storedBatch(t, 10, "apple", "avocado"), storedBatch(t, 11, "banana")...)
		out, next, code := run(backwards)
		require.Equal(t, []int64{10, 11}, offsets(out), "the first batch is delivered with the error")
		require.Equal(t, int64(12), next)
		require.Equal(t, protocol.Other, code.Code)
		require.Contains(t, code.Message, "stored batch at offset 11: follows one that ends at 11")

		far := int64(10) + math.MaxInt32 + 5
		wide := append(storedBatch(t, 10, "apple"), storedBatch(t, far, "avocado")...)
		out, next, code = run(wide)
		require.True(t, code.IsOK(), "%v", code.Err())
		require.Equal(t, []int64{10}, offsets(out))
		require.Equal(t, int64(11), next, "the far batch is left to the next call")
		out, next, code = run(wide[len(storedBatch(t, 10, "apple")):])
		require.True(t, code.IsOK(), "%v", code.Err())
		require.Equal(t, []int64{far}, offsets(out))
		require.Equal(t, far+1, next)
	}
}

// Check vouches for the leading batches whose records are well-formed and
// stops at the first that is not (or is compressed: Process decompresses
// and checks those itself). Process given that figure still finds the
// malformed batch and names it, after delivering what came before.
func TestCheckStopsAtAMalformedBatch(t *testing.T) {
	ctx := context.Background()
	tr := filterTransform(t)
	batch := func(base int64, codec protocol.Compression, section []byte) []byte {
		h := protocol.NewBatch(1000, []protocol.Record{{Value: []byte("x")}}).Header
		h.BaseOffset = base
		enc, err := protocol.AppendBatchSection(nil, &h, nil, section, codec)
		require.NoError(t, err)
		return enc
	}
	records := func(vals ...string) []byte {
		s := protocol.AppendArrayLen(nil, len(vals))
		for _, v := range vals {
			s = protocol.AppendRecord(s, &protocol.Record{Value: []byte(v)})
		}
		return s
	}
	good := batch(0, protocol.CompressionNone, records("apple"))
	short := records("avocado")
	short[3] = 2 // claims two records
	bad := batch(1, protocol.CompressionNone, short)
	zipped := batch(1, protocol.CompressionGzip, records("avocado"))

	require.Equal(t, len(good), tr.Check(append(append([]byte(nil), good...), bad...)))
	require.Equal(t, len(good), tr.Check(append(append([]byte(nil), good...), zipped...)))
	require.Equal(t, 2*len(good), tr.Check(append(append([]byte(nil), good...), good...)))
	require.Zero(t, tr.Check(bad))

	in := append(append([]byte(nil), good...), bad...)
	out, next, code := tr.Process(ctx, in, tr.Check(in))
	out = finished(t, tr, out)
	require.Equal(t, protocol.Other, code.Code)
	require.Contains(t, code.Message, "stored batch at offset 1")
	require.Equal(t, int64(1), next)
	var vals []string
	require.NoError(t, protocol.ForEachRecord(out, func(_, _ int64, r *protocol.Record) error {
		vals = append(vals, string(r.Value))
		return nil
	}))
	require.Equal(t, []string{"apple"}, vals)

	// A compressed input gives an output compressed the same way, which
	// Finish compresses; Finish refuses what Process did not return.
	out, next, code = tr.Process(ctx, zipped, tr.Check(zipped))
	require.True(t, code.IsOK(), "%v", code.Err())
	require.Equal(t, int64(2), next)
	out = finished(t, tr, out)
	h, err := protocol.ParseBatchHeader(out)
	require.NoError(t, err)
	require.Equal(t, protocol.CompressionGzip, h.Codec())
	vals = nil
	require.NoError(t, protocol.ForEachRecord(out, func(_, _ int64, r *protocol.Record) error {
		vals = append(vals, string(r.Value))
		return nil
	}))
	require.Equal(t, []string{"avocado"}, vals)
	_, err = tr.Finish(append([]byte(nil), good...))
	require.Error(t, err)
}

// finished is the batch Process returned, finished as the SPU finishes it
// before sending (nil stays nil).
func finished(t *testing.T, tr spu.Transform, out []byte) []byte {
	t.Helper()
	if out == nil {
		return nil
	}
	b, err := tr.Finish(out)
	require.NoError(t, err)
	return b
}

// A long-lived client that opens and closes SmartModule streams does not
// pile up chain instances on the SPU: StreamFetch has no cancel message,
// so the Go client gives each SmartModule stream a connection of its own
// and closes it with the stream, and the SPU then closes the chain. A
// plain stream and a producer on the shared connection keep working.
func TestClosedSmartModuleStreamsFreeTheirChains(t *testing.T) {
	eng := smartmodules.New(smartengine.Config{})
	t.Cleanup(func() { _ = eng.Close() })
	ctx := ctxT(t)
	c, plain := startLetters(t, eng)
	filter := adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil)
	for range 10 {
		got, err := c.consume(t, "letters", filter)
		require.NoError(t, err)
		require.Equal(t, []string{"record-a"}, got)
	}
	require.Eventually(t, func() bool { return eng.OpenTransforms() == 0 }, 10*time.Second, 10*time.Millisecond,
		"%d chains still open", eng.OpenTransforms())

	// A named consumer commits on its stream's connection, even once the
	// stream reached its end; Close then frees the chain.
	s, err := c.c.PartitionConsumer("letters", 0).Stream(ctx, client.OffsetBeginning(0),
		client.ConsumerConfig{SmartModules: []protocol.SmartModuleInvocation{filter}, ConsumerID: "sm", StopAtEnd: true})
	require.NoError(t, err)
	r, err := s.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "record-a", string(r.Value))
	_, err = s.Next(ctx)
	require.True(t, client.IsEnd(err), "%v", err)
	require.Equal(t, 1, eng.OpenTransforms(), "an open stream keeps its chain")
	require.NoError(t, s.Commit(ctx))
	require.NoError(t, s.Close())
	require.Eventually(t, func() bool { return eng.OpenTransforms() == 0 }, 10*time.Second, 10*time.Millisecond)
	consumers, err := c.c.Admin().ListConsumers(ctx)
	require.NoError(t, err)
	require.Len(t, consumers, 1)
	require.Equal(t, int64(0), consumers[0].Offset, "record-a, offset 0")

	c.produce(t, "letters", false, "after")
	for range 26 {
		_, err := plain.Next(ctx)
		require.NoError(t, err)
	}
	r, err = plain.Next(ctx)
	require.NoError(t, err)
	require.Equal(t, "after", string(r.Value))
}

// filterTransform is a transform through filter-on-a.wasm, as the SPU
// builds for a stream, closed with the test.
func filterTransform(t *testing.T) spu.Transform {
	t.Helper()
	eng := smartmodules.New(smartengine.Config{})
	t.Cleanup(func() { _ = eng.Close() })
	tr, code := eng.NewTransform(context.Background(), nil, spu.TransformRequest{Version: 23,
		SmartModules: []protocol.SmartModuleInvocation{adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil)}})
	require.True(t, code.IsOK(), "%v", code.Err())
	t.Cleanup(tr.Close)
	return tr
}

// storedBatch is an uncompressed batch of values at offset base, as the
// log stores it.
func storedBatch(t *testing.T, base int64, vals ...string) []byte {
	t.Helper()
	var recs []protocol.Record
	for _, v := range vals {
		recs = append(recs, protocol.Record{Value: []byte(v)})
	}
	b := protocol.NewBatch(1000, recs)
	enc, err := protocol.AppendBatch(nil, &b, protocol.CompressionNone)
	require.NoError(t, err)
	protocol.SetBatchBaseOffset(enc, base)
	return enc
}

// A payload sent again resolves to its module (found among the recent
// ones by comparing bytes); one that differs in a single byte is not taken
// for it, even right after the original.
func TestRepeatedPayloadsResolveExactly(t *testing.T) {
	ctx := context.Background()
	eng := smartmodules.New(smartengine.Config{})
	defer eng.Close()
	inv := adHoc(t, fixture(t, "filter-on-a.wasm"), filterKind, nil)
	build := func(inv protocol.SmartModuleInvocation) protocol.ErrorCode {
		tr, code := eng.NewTransform(ctx, nil, spu.TransformRequest{Version: 23, SmartModules: []protocol.SmartModuleInvocation{inv}})
		if code.IsOK() {
			out, _, code := tr.Process(ctx, storedBatch(t, 0, "apple", "kiwi"), 0)
			require.True(t, code.IsOK(), "%v", code.Err())
			require.NotNil(t, out)
			tr.Close()
		}
		return code
	}
	for range 3 {
		require.True(t, build(inv).IsOK())
	}
	bad := inv
	bad.Wasm.AdHoc = bytes.Clone(inv.Wasm.AdHoc)
	bad.Wasm.AdHoc[len(bad.Wasm.AdHoc)-5] ^= 1 // the gzip CRC
	code := build(bad)
	require.Equal(t, protocol.SmartModuleInvalid, code.Code, "%v", code.Err())
	require.True(t, build(inv).IsOK())
}
