package iostreams

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSpinnerOnlyOnTerminal(t *testing.T) {
	s, _, _, errOut := Test()
	s.StartSpinner("waiting")
	s.Printf("done\n")
	s.StopSpinner()
	require.Equal(t, "done\n", errOut.String(), "no spinner frames when stderr is not a terminal")

	s, _, _, errOut = Test()
	s.SetStderrTTY(true)
	s.StartSpinner("waiting")
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := errOut.String()
		s.mu.Unlock()
		if strings.Contains(got, "waiting") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.StartSpinner("still waiting")
	s.Printf("ready\n")
	s.StopSpinner()
	out := errOut.String()
	require.Contains(t, out, "⠋ waiting")
	require.Contains(t, out, "ready\n")
	require.True(t, strings.HasSuffix(out, "\r\x1b[K"), "the spinner line is erased on stop: %q", out)
}
