package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes of the fluvio binary, chosen here and nowhere else.
const (
	ExitOK    = 0
	ExitError = 1
	// ExitUsage is a bad flag or argument.
	ExitUsage = 2
	// ExitInterrupted follows Ctrl-C or SIGTERM.
	ExitInterrupted = 130
)

// ErrSilent makes the command fail without printing anything more (it has
// already explained itself on stderr).
var ErrSilent = errors.New("cmdutil: silent error")

// FlagError is a usage error: bad flags or arguments. Exit code 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ExitCodeError carries an explicit exit code.
type ExitCodeError struct {
	Code int
	Err  error
}

func (e *ExitCodeError) Error() string { return e.Err.Error() }
func (e *ExitCodeError) Unwrap() error { return e.Err }

// ExitCode maps a command's error to the process exit code, printing the
// error to stderr unless it is silent. interrupted is the root context's
// state (Ctrl-C).
func ExitCode(err error, interrupted bool, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if interrupted && errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	code := ExitError
	var fe *FlagError
	var ee *ExitCodeError
	switch {
	case errors.As(err, &ee):
		code = ee.Code
	case errors.As(err, &fe):
		code = ExitUsage
	}
	if !errors.Is(err, ErrSilent) {
		fmt.Fprintln(stderr, "Error:", err)
	}
	return code
}

// SetupRoot makes cmd (a root command) report bad flags and bad arguments
// anywhere in its tree as usage errors (exit 2) naming the command's usage.
func SetupRoot(cmd *cobra.Command) {
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &FlagError{Err: fmt.Errorf("%w\nUsage: %s", err, c.UseLine())}
	})
	wrapArgs(cmd)
}

// wrapArgs turns every command's argument-validation error into a usage
// error. Commands added after SetupRoot are not wrapped; call it last.
func wrapArgs(cmd *cobra.Command) {
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := validate(c, args); err != nil {
				return &FlagError{Err: fmt.Errorf("%w\nUsage: %s", err, c.UseLine())}
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		wrapArgs(c)
	}
}
