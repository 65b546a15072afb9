package smartengine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Streams run concurrently, each with its own chain on one engine; each
// aggregate keeps its own accumulator.
func TestConcurrentChains(t *testing.T) {
	e := newEngine(t, Config{})
	filter := compileFixture(t, e, "filter-on-a.wasm")
	agg := compileFixture(t, e, "aggregate-concat.wasm")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := e.NewChain(context.Background(), 25,
				Invocation{Module: filter},
				Invocation{Module: agg, Accumulator: []byte(fmt.Sprint(g))})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(context.Background())
			for i := range 20 {
				if _, _, err := c.Process(context.Background(), int64(i*2), 0, section("a", "b")); err != nil {
					errs <- err
					return
				}
			}
			want := fmt.Sprint(g) + strings.Repeat("a", 20)
			if got := string(c.Accumulator(1)); got != want {
				errs <- fmt.Errorf("stream %d: accumulator %q, want %q", g, got, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
