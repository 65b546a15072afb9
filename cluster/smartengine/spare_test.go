package smartengine

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// countingFilter's filter keeps a call counter at address 0 of its memory
// and returns minus its new value (-1 on the first call of an instance),
// which Process reports as a ReturnCodeError. extra varies the module's
// bytes so tests can compile several different modules.
func countingFilter(extra int32) []byte {
	var body []byte
	body = append(body, i32c(0)...)
	body = append(body, i32c(0)...)
	body = append(body, 0x28, 2, 0) // i32.load align=4 offset=0
	body = append(body, i32c(1)...)
	body = append(body, 0x6a)       // i32.add
	body = append(body, 0x36, 2, 0) // i32.store
	body = append(body, i32c(0)...)
	body = append(body, i32c(0)...)
	body = append(body, 0x28, 2, 0) // i32.load
	body = append(body, 0x6b)       // i32.sub: 0 - counter
	alloc := wasmFunc{name: "alloc", typ: typeAlloc, body: i32c(1024 + extra)}
	return assemble([][2]string{{"env", "copy_records"}}, 1, []wasmFunc{alloc, {name: "filter", typ: typeABI, body: body}})
}

func callCount(t *testing.T, c *Chain) int32 {
	t.Helper()
	_, _, err := c.Process(context.Background(), 0, 0, section("a"))
	var rce *ReturnCodeError
	require.ErrorAs(t, err, &rce)
	return -rce.Code
}

func spareReady(e *Engine, m *Module) func() bool {
	return func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.spares[m] != nil
	}
}

// A stream takes the spare instance started after the previous stream of
// the same module: it must be as fresh as a new instance, whatever the
// previous one went through.
func TestSpareInstancesAreFresh(t *testing.T) {
	e := newEngine(t, Config{})
	m, err := e.Compile(context.Background(), countingFilter(0))
	require.NoError(t, err)
	for round := range 3 {
		if round > 0 {
			require.Eventually(t, spareReady(e, m), 5*time.Second, 5*time.Millisecond, "a spare is started in the background")
		}
		c := newChain(t, e, Invocation{Module: m})
		require.Equal(t, int32(1), callCount(t, c), "round %d: first call", round)
		require.Equal(t, int32(2), callCount(t, c), "round %d: second call", round)
		require.NoError(t, c.Close(context.Background()))
	}
}

// At most maxSpares instances wait, whatever the number of modules used.
func TestSparesAreBounded(t *testing.T) {
	e := newEngine(t, Config{})
	for i := range maxSpares + 3 {
		m, err := e.Compile(context.Background(), countingFilter(int32(i)))
		require.NoError(t, err)
		c := newChain(t, e, Invocation{Module: m})
		require.Equal(t, int32(1), callCount(t, c))
	}
	require.Eventually(t, func() bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		return len(e.refilling) == 0
	}, 5*time.Second, 5*time.Millisecond)
	e.mu.Lock()
	defer e.mu.Unlock()
	require.Len(t, e.spares, maxSpares)
}

// Streams opened and closed one after another leave nothing behind: each
// takes the spare started for it, and a taken spare's idle timer must not
// keep its memory (about 2 MiB) alive for a minute.
func TestClosedChainsAreReleased(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, Config{})
	m := compileFixture(t, e, "map-uppercase.wasm")
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	for range 300 {
		c, err := e.NewChain(ctx, 25, Invocation{Module: m})
		require.NoError(t, err)
		_, _, err = c.Process(ctx, 0, testTimestamp, section("hello"))
		require.NoError(t, err)
		require.NoError(t, c.Close(ctx))
	}
	grown := int64(heap()) - int64(before)
	require.Less(t, grown, int64(64<<20), "300 closed chains still hold %d MiB", grown>>20)
}

// Close stops a spare that is still starting (its _initialize running on
// a goroutine of its own) and waits for it before it closes the runtime
// the spare runs in, instead of closing the runtime under it.
func TestCloseStopsAStartingSpare(t *testing.T) {
	e, err := New(context.Background(), Config{CacheDir: sharedCacheDir(t), CallTimeout: time.Minute})
	require.NoError(t, err)
	// _initialize counts memory[0] down from 400 million: about a second.
	var count []byte
	count = append(count, i32c(0)...)
	count = append(count, i32c(400_000_000)...)
	count = append(count, 0x36, 2, 0) // i32.store
	count = append(count, opLoop, blockTypeNil)
	count = append(count, i32c(0)...)
	count = append(count, i32c(0)...)
	count = append(count, 0x28, 2, 0) // i32.load
	count = append(count, i32c(1)...)
	count = append(count, opI32Sub)
	count = append(count, 0x36, 2, 0) // i32.store
	count = append(count, i32c(0)...)
	count = append(count, 0x28, 2, 0, opBrIf, 0, opEnd)
	wasm := assemble([][2]string{{"env", "copy_records"}}, 1, []wasmFunc{allocFunc,
		{name: "filter", typ: typeABI, body: i32c(0)}, {name: "_initialize", typ: typeNullary, body: count}})
	ctx := context.Background()
	m, err := e.Compile(ctx, wasm)
	require.NoError(t, err)
	began := time.Now()
	c, err := e.NewChain(ctx, 25, Invocation{Module: m}) // starts an instance, then a spare in the background
	require.NoError(t, err)
	startTime := time.Since(began)
	_ = c.Close(ctx)
	began = time.Now()
	require.NoError(t, e.Close(ctx))
	require.Less(t, time.Since(began), startTime/2, "Close waited for the spare's _initialize (%v) to finish", startTime)
}

// An instance reserves at once the memory the module's instances had
// after their first call: the first batch of a new stream does not move
// its memory to a larger array (filter-on-a.wasm grows past its initial
// memory on its first call). A spare started before that was known
// reserves less.
func TestInstancesReserveTheWorkingMemory(t *testing.T) {
	e := newEngine(t, Config{})
	ctx := context.Background()
	m := compileFixture(t, e, "filter-on-a.wasm")
	batch := section(strings.Repeat("a", 200<<10), "b")
	first := newChain(t, e, Invocation{Module: m})
	_, _, err := first.Process(ctx, 0, 0, batch)
	require.NoError(t, err)
	require.Positive(t, first.insts[0].limit.moves.Load(), "the first instance's memory grew by moving")
	require.Equal(t, first.insts[0].limit.size.Load(), m.reserveBytes.Load())

	// The spare started along with the first instance reserved what was
	// known then; the one started along with the second knows more.
	require.Eventually(t, spareReady(e, m), 10*time.Second, 5*time.Millisecond)
	_ = newChain(t, e, Invocation{Module: m})
	require.Eventually(t, spareReady(e, m), 10*time.Second, 5*time.Millisecond)
	third := newChain(t, e, Invocation{Module: m})
	_, _, err = third.Process(ctx, 0, 0, batch)
	require.NoError(t, err)
	require.Zero(t, third.insts[0].limit.moves.Load(), "a later instance's did not move")
}
