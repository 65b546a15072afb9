// Package clitest runs fluvio verbs in tests the way a user sees them: a
// command over a test Factory with buffer streams (terminal or piped),
// returning one transcript of stdout, stderr and the exit code for golden
// files; and an in-process SC on 127.0.0.1:0 for verbs that only need the
// controller (topics, partitions, SPUs, SmartModules, version).
package clitest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/cluster/controlplane"
	"github.com/gofluvio/fluvio/cluster/sc"
)

// Env is one test's home: a config directory and, optionally, a cluster.
type Env struct {
	T   *testing.T
	Dir string
	// Addr is the SC public address once StartSC ran.
	Addr string
	// Stdin is what the next Run feeds the command.
	Stdin string
	// SC is the in-process controller (nil until StartSC).
	SC *sc.Server
}

// New returns an Env with an empty config directory.
func New(t *testing.T) *Env {
	return &Env{T: t, Dir: t.TempDir()}
}

// StartSC runs an in-process SC (platform version 0.11.11, metadata in
// memory) and writes a current profile "local" pointing at it.
func (e *Env) StartSC() *Env {
	e.T.Helper()
	s, err := sc.NewServer(sc.Config{PublicAddr: "127.0.0.1:0", PrivateAddr: "127.0.0.1:0", PlatformVersion: "0.11.11", TopicWait: -1}) // fake SPUs never report replicas
	require.NoError(e.T, err)
	s.Start()
	e.T.Cleanup(func() { s.Close() })
	e.SC = s
	e.UseCluster(s.PublicAddr().String())
	return e
}

// UseCluster writes a current profile "local" pointing at addr.
func (e *Env) UseCluster(addr string) {
	e.T.Helper()
	e.Addr = addr
	cfg := config.New()
	cfg.AddOrReplaceProfile("local", addr, config.TLS{}, config.InstallLocal)
	cfg.CurrentProfile = "local"
	require.NoError(e.T, cfg.Save(filepath.Join(e.Dir, "config")))
}

// ConnectSPU registers an SPU with the SC's control plane (as a running
// SPU would) so topics can be assigned to it; it stays online until the
// test ends. Register the custom SPU first (e.g. with `cluster spu
// register`) when the SC requires it.
func (e *Env) ConnectSPU(id int32, port uint16) {
	e.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := controlplane.Dial(ctx, e.SC.PrivateAddr().String(), &controlplane.Register{
		SpuID: id, Public: controlplane.Endpoint{Host: "localhost", Port: port}, Private: controlplane.Endpoint{Host: "localhost", Port: port + 1}})
	require.NoError(e.T, err)
	e.T.Cleanup(func() { conn.Close() })
	go func() {
		for {
			if _, err := conn.Recv(); err != nil {
				return
			}
		}
	}()
}

// Factory returns a test Factory over the Env's directory with streams
// that are (tty) or are not terminals.
func (e *Env) Factory(tty bool) (*cmdutil.Factory, *strings.Builder, *strings.Builder) {
	f := cmdutil.TestFactory(e.Dir)
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(e.Stdin)
	ios.SetStdoutTTY(tty)
	ios.SetStderrTTY(false) // no spinners in transcripts
	f.IOStreams = ios
	o, eo := &strings.Builder{}, &strings.Builder{}
	f.IOStreams.Out = io.MultiWriter(out, o)
	f.IOStreams.ErrOut = io.MultiWriter(errOut, eo)
	return f, o, eo
}

// Run builds a command with build, runs it with args (as `fluvio <args>`
// where build adds the verb under a root that has the target flags), and
// returns the transcript.
func (e *Env) Run(tty bool, build func(f *cmdutil.Factory) *cobra.Command, args ...string) string {
	e.T.Helper()
	f, out, errOut := e.Factory(tty)
	root := &cobra.Command{Use: "fluvio"}
	cmdutil.AddTargetFlags(root, &f.Target)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.AddCommand(build(f))
	cmdutil.SetupRoot(root)
	root.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := root.ExecuteContext(ctx)
	code := cmdutil.ExitCode(err, false, f.IOStreams.ErrOut)
	return Transcript(e.Scrub(out.String()), e.Scrub(errOut.String()), code)
}

// Transcript formats what a user saw.
func Transcript(stdout, stderr string, code int) string {
	return fmt.Sprintf("--- stdout\n%s--- stderr\n%s--- exit %d\n", stdout, stderr, code)
}

var portRe = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// Scrub replaces what changes from run to run (the SC port, the temp dir).
func (e *Env) Scrub(s string) string {
	if e.Addr != "" {
		s = strings.ReplaceAll(s, e.Addr, "127.0.0.1:SC")
	}
	s = strings.ReplaceAll(s, e.Dir, "$DIR")
	return portRe.ReplaceAllString(s, "127.0.0.1:PORT")
}

// Modes are the two output modes golden tests cover.
var Modes = []struct {
	Name string
	TTY  bool
}{{"tty", true}, {"piped", false}}
