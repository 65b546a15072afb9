// Package fvm is the Fluvio Version Manager: it installs channel-pinned
// builds of fluvio, fluvio-run and ssdk from a Hub (any OCI registry holding
// releases, see package hub) and switches between them. Layout, files and
// messages follow Fluvio's fvm (spec distribution.md §1).
package fvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gofluvio/fluvio/hub"
	"github.com/gofluvio/fluvio/hub/targets"
)

// Exit codes, chosen here and only here. Scripts can rely on them.
const (
	ExitOK          = 0
	ExitError       = 1 // anything not listed below
	ExitUsage       = 2 // bad flags or arguments
	ExitNotFound    = 3 // the version is not on the Hub, or not installed
	ExitUnreachable = 4 // the Hub could not be reached
	ExitIntegrity   = 5 // a download did not match its digest; nothing was changed
	ExitUnsupported = 6 // no build for this platform
	ExitInterrupted = 130
)

// DefaultRegistry is where releases come from when nothing else is set.
const DefaultRegistry = "https://ghcr.io/gofluvio/fluvio"

// Environment variables.
const (
	// EnvRegistry overrides the registry (ours).
	EnvRegistry = "FVM_REGISTRY"
	// EnvHubRemote is Fluvio's name for the same setting, also honoured.
	EnvHubRemote = "INFINYON_HUB_REMOTE"
	// EnvTarget overrides the target triple (Fluvio's name).
	EnvTarget = "FVM_BINARY_ARCH_TRIPLE"
	// EnvUpdateVersion picks the version `fvm self update` installs.
	EnvUpdateVersion = "FVM_UPDATE_VERSION"
)

// Sentinel errors mapped to exit codes.
var (
	ErrUsage        = errors.New("fvm: usage")
	ErrNotInstalled = errors.New("fvm: not installed")
)

// usageError marks a bad invocation.
func usageError(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUsage}, a...)...)
}

// Options are the dependencies every command shares.
type Options struct {
	Home      Home
	Out, Err  io.Writer
	Quiet     bool
	Progress  bool // draw progress bars (stderr is a terminal)
	Transport http.RoundTripper
	// Exe is the running executable (self install copies it).
	Exe string
	// HostTriple is the target of the running fvm.
	HostTriple string
}

func (o *Options) say(label, format string, a ...any) {
	if o.Quiet {
		return
	}
	fmt.Fprintf(o.Out, label+": "+format+"\n", a...)
}

func (o *Options) info(format string, a ...any) { o.say("info", format, a...) }
func (o *Options) done(format string, a ...any) { o.say("done", format, a...) }
func (o *Options) warn(format string, a ...any) { o.say("warn", format, a...) }
func (o *Options) help(format string, a ...any) { o.say("help", format, a...) }

const rootLong = `Fluvio Version Manager (FVM): install Fluvio versions and switch between them.

Releases come from a Hub: 'fluvio-run hub' or any OCI registry holding
releases. The registry is taken from --registry, then $FVM_REGISTRY, then
$INFINYON_HUB_REMOTE, then settings.toml (set by 'fvm self install
--registry'), then ` + DefaultRegistry + `.
Downloads honour HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY.

Exit codes:
  0  success (also "already up to date")
  1  any other error
  2  bad flags or arguments
  3  version not found on the Hub, or not installed
  4  Hub unreachable
  5  a download did not match its digest (nothing was changed)
  6  no build for this platform
  130 interrupted`

// NewRootCmd builds the fvm command tree around o.
func NewRootCmd(o *Options) *cobra.Command {
	root := &cobra.Command{
		Use:           "fvm",
		Short:         "Fluvio Version Manager: install and switch Fluvio versions",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVarP(&o.Quiet, "quiet", "q", false, "print only errors")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	root.AddCommand(
		newInstallCmd(o), newSwitchCmd(o), newListCmd(o), newCurrentCmd(o),
		newUninstallCmd(o), newUpdateCmd(o), newSelfCmd(o), newVersionCmd(o),
	)
	return root
}

// ExitCode maps an error to the documented exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, ErrUsage), errors.Is(err, hub.ErrInvalid):
		return ExitUsage
	case errors.Is(err, hub.ErrDigest):
		return ExitIntegrity
	case errors.Is(err, targets.ErrUnsupported):
		return ExitUnsupported
	case errors.Is(err, hub.ErrUnreachable):
		return ExitUnreachable
	case errors.Is(err, hub.ErrNotFound), errors.Is(err, ErrNotInstalled):
		return ExitNotFound
	}
	return ExitError
}

// hostGOARM reads GOARM from the build settings of the running binary.
func hostGOARM() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" {
				return s.Value
			}
		}
	}
	return ""
}

// Main runs fvm with os.Args and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Fluvio's fvm honours ALL_PROXY; Go's proxy lookup does not, so map it
	// onto the variables Go reads when those are unset.
	for _, all := range []string{"ALL_PROXY", "all_proxy"} {
		if v := os.Getenv(all); v != "" {
			for _, k := range []string{"HTTPS_PROXY", "HTTP_PROXY"} {
				if os.Getenv(k) == "" && os.Getenv(lower(k)) == "" {
					os.Setenv(k, v)
				}
			}
		}
	}
	o := &Options{Out: os.Stdout, Err: os.Stderr, Progress: term.IsTerminal(int(os.Stderr.Fd()))}
	if exe, err := os.Executable(); err == nil {
		o.Exe = exe
	}
	if t, err := targets.Host(hostGOARM()); err == nil {
		o.HostTriple = t.Triple
	}
	user, err := os.UserHomeDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error: failed to resolve home directory:", err)
		return ExitError
	}
	o.Home = NewHome(user)
	err = NewRootCmd(o).ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		if errors.Is(err, hub.ErrUnreachable) {
			fmt.Fprintln(os.Stderr, "help: check the registry URL (--registry, $FVM_REGISTRY) and your proxy settings (HTTPS_PROXY, NO_PROXY)")
		}
	}
	return ExitCode(err)
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
