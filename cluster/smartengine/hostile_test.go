package smartengine

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

func TestEndlessLoopHitsDeadline(t *testing.T) {
	e := newEngine(t, Config{CallTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	m, err := e.Compile(ctx, loopingFilter())
	require.NoError(t, err)
	c := newChain(t, e, Invocation{Module: m})
	start := time.Now()
	_, _, err = c.Process(ctx, 0, 0, section("a"))
	require.ErrorIs(t, err, ErrTimeout)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, protocol.Other, ErrorCode(err).Code)
	_, _, err = c.Process(ctx, 0, 0, section("a"))
	require.ErrorIs(t, err, ErrChainBroken)

	// The engine stays healthy: a real module still runs.
	c2 := newChain(t, e, Invocation{Module: compileFixture(t, e, "filter-on-a.wasm")})
	out, _, err := c2.Process(ctx, 0, 0, section("a", "b"))
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, values(t, out))
}

func TestCallerContextCancelsCall(t *testing.T) {
	e := newEngine(t, Config{CallTimeout: time.Minute})
	m, err := e.Compile(context.Background(), loopingFilter())
	require.NoError(t, err)
	c := newChain(t, e, Invocation{Module: m})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = c.Process(ctx, 0, 0, section("a"))
	require.ErrorIs(t, err, ErrTimeout)
}

// Calls reuse the watch on their caller's context (a stream calls with the
// same one each time): a context that ends between calls still stops the
// next call, which fails as timed out, and the deadline applies to every
// call afresh.
func TestContextEndedBetweenCalls(t *testing.T) {
	e := newEngine(t, Config{CallTimeout: 300 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	c := newChain(t, e, Invocation{Module: compileFixture(t, e, "filter-on-a.wasm")})
	for range 5 {
		out, _, err := c.Process(ctx, 0, 0, section("a", "b"))
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, values(t, out))
		time.Sleep(100 * time.Millisecond) // the calls together outlast one deadline
	}
	cancel()
	_, _, err := c.Process(ctx, 0, 0, section(strings.Repeat("b", 100000)))
	require.ErrorIs(t, err, ErrTimeout)

	c2 := newChain(t, e, Invocation{Module: compileFixture(t, e, "filter-on-a.wasm")})
	out, _, err := c2.Process(context.Background(), 0, 0, section("a", "b"))
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, values(t, out))
}

func TestHostileOutput(t *testing.T) {
	e := newEngine(t, Config{})
	ctx := context.Background()
	tests := []struct {
		name    string
		wasm    []byte
		wantErr error
	}{
		{name: "output outside memory", wasm: outputFilter(65000, 1000, 1), wantErr: ErrBadOutput},
		{name: "huge length", wasm: outputFilter(0, -1, 1), wantErr: ErrBadOutput},
		{name: "negative status", wasm: outputFilter(0, 4, -22), wantErr: ErrReturnCode},
		{name: "no copy_records call", wasm: wasmWithImports(t, [][2]string{{"env", "copy_records"}}, true), wantErr: ErrBadOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := e.Compile(ctx, tt.wasm)
			require.NoError(t, err)
			c := newChain(t, e, Invocation{Module: m})
			_, _, err = c.Process(ctx, 0, 0, section("a"))
			require.ErrorIs(t, err, tt.wantErr)
			require.Equal(t, protocol.Other, ErrorCode(err).Code)
		})
	}
	// An output whose record is malformed (its key flag is 2) is refused:
	// the module returns bytes of its input, a value that looks like a
	// records section. The input is at alloc's 1024: base offset, the
	// section's length, then the section.
	bad := []byte{0, 0, 0, 1, 12, 0, 0, 0, 2, 0, 0} // lengths are zigzag: 12 is 6
	in := section(string(bad))
	m, err := e.Compile(ctx, outputFilter(1024+8+4+int32(bytes.Index(in, bad)), int32(len(bad)+1), 1))
	require.NoError(t, err)
	c := newChain(t, e, Invocation{Module: m})
	_, _, err = c.Process(ctx, 0, 0, in)
	require.ErrorIs(t, err, ErrBadOutput)
	require.ErrorContains(t, err, "bool")

	// Zeroed memory at 0 reads as "no records, no error": valid, empty.
	m, err = e.Compile(ctx, outputFilter(0, 5, 0))
	require.NoError(t, err)
	c = newChain(t, e, Invocation{Module: m})
	out, rtErr, err := c.Process(ctx, 0, 0, section("a"))
	require.NoError(t, err)
	require.Nil(t, rtErr)
	require.Empty(t, values(t, out))
}

func TestImportFromOtherModuleName(t *testing.T) {
	e := newEngine(t, Config{})
	wasm := assemble([][2]string{{"host", "copy_records"}}, 1, []wasmFunc{allocFunc, {name: "map", typ: typeABI,
		body: append(append(append(i32c(0), i32c(5)...), opCall, 0), i32c(0)...)}})
	m, err := e.Compile(context.Background(), wasm)
	require.NoError(t, err)
	require.Equal(t, KindMap, m.Kind())
	c := newChain(t, e, Invocation{Module: m})
	out, _, err := c.Process(context.Background(), 0, 0, section("x"))
	require.NoError(t, err)
	require.Empty(t, values(t, out))
}

func TestCompileSharesModules(t *testing.T) {
	e := newEngine(t, Config{})
	a := compileFixture(t, e, "map-uppercase.wasm")
	b := compileFixture(t, e, "map-uppercase.wasm")
	require.Same(t, a, b)
	require.Len(t, a.Digest(), 64)
}

func TestDiskCompilationCache(t *testing.T) {
	dir := t.TempDir()
	wasm := fixtureWasm(t, "filter-on-a.wasm")
	for i := range 2 {
		e, err := New(context.Background(), Config{CacheDir: dir})
		require.NoError(t, err)
		_, err = e.Compile(context.Background(), wasm)
		require.NoError(t, err, "run %d", i)
		require.NoError(t, e.Close(context.Background()))
	}
	entries, err := readDirNames(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "compilation cache directory stays empty")
}

func FuzzDecodeOutput(f *testing.F) {
	f.Add([]byte{}, int16(22), false)
	f.Add(emptyRecords, int16(25), true)
	okOut := append(sectionOf(rec{value: "apple"}, rec{value: "banana", key: "k", hasKey: true, offDelta: 2}), 0)
	f.Add(okOut, int16(22), false)
	f.Add(append(append([]byte{}, okOut...), 0, 0, 0, 1, 'x'), int16(22), true)
	rt := &protocol.SmartModuleTransformRuntimeError{Hint: "bad", Offset: 101, Kind: protocol.ErrKindFilter, RecordValue: []byte{0xff}}
	f.Add(rt.Encode(append(sectionOf(rec{value: "avocado"}), 1)), int16(22), false)
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff, 0x01}, int16(22), false)
	f.Fuzz(func(t *testing.T, b []byte, v int16, aggregate bool) {
		allocs := testing.AllocsPerRun(1, func() { _, _ = DecodeOutput(b, v, aggregate) })
		o, err := DecodeOutput(b, v, aggregate)
		if allocs > 16 { // a constant: nothing scales with a length prefix
			t.Fatalf("%v allocations for %d bytes", allocs, len(b))
		}
		if err != nil {
			return
		}
		// What decodes is well formed: the records re-read and count.
		require.LessOrEqual(t, len(o.Records), max(len(b), 4))
		r := protocol.NewReader(o.Records)
		n := r.ArrayLen(minRecordSize)
		var pr protocol.Record
		for range n {
			protocol.ReadRecord(r, &pr)
		}
		require.NoError(t, r.Err())
		require.Equal(t, o.Count, n)
		if o.Err != nil {
			require.LessOrEqual(t, len(o.Err.RecordKey)+len(o.Err.RecordValue)+len(o.Err.Hint), len(b))
		}
	})
}

// TestEndlessLoopsDoNotHangTheProcess: a guest looping forever must not
// stop the rest of the process. Go cannot preempt compiled wasm, so a
// garbage collection starting meanwhile would wait for the guest forever,
// and the timer that ends the guest with it, unless the guest passes
// through Go now and then (instrument.go). Here the collector runs
// continuously while as many endless guests as there are cores loop; each
// must fail at its deadline. A hang freezes the whole process, watchdog
// included, so the guests run in a child process that is killed if it
// takes a minute.
func TestEndlessLoopsDoNotHangTheProcess(t *testing.T) {
	if os.Getenv("SMARTENGINE_LOOP_CHILD") == "1" {
		loopUnderGC(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestEndlessLoopsDoNotHangTheProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "SMARTENGINE_LOOP_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, ctx.Err(), "looping guests hung the process:\n%s", out)
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestEndlessLoopsDoNotHangTheProcess")
}

func loopUnderGC(t *testing.T) {
	e := newEngine(t, Config{CallTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	m, err := e.Compile(ctx, loopingFilter())
	require.NoError(t, err)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := e.NewChain(ctx, 25, Invocation{Module: m})
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close(ctx)
			_, _, errs[i] = c.Process(ctx, 0, 0, section("a"))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, ErrTimeout)
	}
}
