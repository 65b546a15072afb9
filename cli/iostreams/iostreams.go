// Package iostreams is the terminal-aware I/O every fluvio command writes
// through: stdin, stdout for data, stderr for messages, whether each is a
// terminal, and a spinner that only runs on a terminal.
//
// Modelled on gh's pkg/iostreams.
package iostreams

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// IOStreams holds the three standard streams and what is known about them.
type IOStreams struct {
	// In is standard input.
	In io.Reader
	// Out receives data (what a script would capture).
	Out io.Writer
	// ErrOut receives messages, prompts, spinners and errors.
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	width                          int

	mu      sync.Mutex
	spinner *spinner
}

// System returns the process's standard streams with TTY detection.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, width: 80}
	s.stdinTTY = isTerminal(os.Stdin)
	s.stdoutTTY = isTerminal(os.Stdout)
	s.stderrTTY = isTerminal(os.Stderr)
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			s.width = w
		}
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Test returns streams backed by buffers (stdin, stdout, stderr), none a
// terminal; change that with SetStdoutTTY and friends.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, width: 80}, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal: tables are aligned and
// decorated only then.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal: spinners run only then.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides terminal detection (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides terminal detection (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides terminal detection (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// TerminalWidth is the width of the stdout terminal, 80 when unknown.
func (s *IOStreams) TerminalWidth() int { return s.width }

// Printf writes a message to ErrOut, stopping a running spinner's line first.
func (s *IOStreams) Printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spinner != nil {
		s.spinner.clear()
	}
	fmt.Fprintf(s.ErrOut, format, args...)
}

// StartSpinner shows msg with a spinner on stderr when it is a terminal;
// otherwise it does nothing. A second call changes the message.
func (s *IOStreams) StartSpinner(msg string) {
	if !s.stderrTTY {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spinner != nil {
		s.spinner.setMsg(msg)
		return
	}
	s.spinner = startSpinner(s.ErrOut, &s.mu, msg)
}

// StopSpinner stops and erases the spinner, if one runs.
func (s *IOStreams) StopSpinner() {
	s.mu.Lock()
	sp := s.spinner
	s.spinner = nil
	s.mu.Unlock()
	if sp != nil {
		sp.stop()
	}
}

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

type spinner struct {
	w    io.Writer
	mu   *sync.Mutex // the IOStreams lock, held while drawing
	msg  string
	done chan struct{}
	wg   sync.WaitGroup
}

func startSpinner(w io.Writer, mu *sync.Mutex, msg string) *spinner {
	sp := &spinner{w: w, mu: mu, msg: msg, done: make(chan struct{})}
	sp.wg.Add(1)
	go func() {
		defer sp.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			sp.mu.Lock()
			fmt.Fprintf(sp.w, "\r\x1b[K%s %s", spinFrames[i%len(spinFrames)], sp.msg)
			sp.mu.Unlock()
			select {
			case <-sp.done:
				return
			case <-t.C:
			}
		}
	}()
	return sp
}

func (sp *spinner) setMsg(m string) { sp.msg = m }

// clear erases the spinner line; the caller holds the lock.
func (sp *spinner) clear() { fmt.Fprint(sp.w, "\r\x1b[K") }

func (sp *spinner) stop() {
	close(sp.done)
	sp.wg.Wait()
	sp.mu.Lock()
	sp.clear()
	sp.mu.Unlock()
}
