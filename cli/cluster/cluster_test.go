package cluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/cluster/start"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/internal/golden"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// env is a home for one test: a fake fluvio-run next to a pretend fluvio,
// and ports nobody else uses.
type env struct {
	t                  *testing.T
	home, bin          string
	pub, priv, spuBase int
}

func newEnv(t *testing.T) *env {
	home := t.TempDir()
	bin := t.TempDir()
	out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "fluvio-run"),
		"github.com/gofluvio/fluvio/cluster/local/internal/fakerun").CombinedOutput()
	require.NoError(t, err, "%s", out)
	e := &env{t: t, home: home, bin: bin, pub: freePort(t), priv: freePort(t)}
	for try := 0; ; try++ {
		base := 20000 + (os.Getpid()*13+try*97)%12000 // below the ephemeral range
		if l1, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", base)); err == nil {
			l1.Close()
			if l2, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", base+1)); err == nil {
				l2.Close()
				e.spuBase = base
				break
			}
		}
		require.Less(t, try, 50)
	}
	t.Cleanup(func() { e.run(false, "", "cluster", "delete", "--force") })
	return e
}

// run executes fluvio with args; stdin is fed to the command. It returns
// stdout, stderr and exit code with the test's ports and paths replaced by
// placeholders.
func (e *env) run(tty bool, stdin string, args ...string) string {
	f := cmdutil.TestFactory(e.home)
	f.Executable = func() (string, error) { return filepath.Join(e.bin, "fluvio"), nil }
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	ios.SetStdoutTTY(tty)
	f.IOStreams = ios
	root := newTestRoot(f)
	root.SetArgs(args)
	code := cmdutil.ExitCode(root.Execute(), false, errOut)
	r := strings.NewReplacer(
		fmt.Sprint(e.pub), "$SC_PUB", fmt.Sprint(e.priv), "$SC_PRIV",
		fmt.Sprint(e.spuBase), "$SPU_PUB", fmt.Sprint(e.spuBase+1), "$SPU_PRIV",
		e.home, "$HOME", e.bin, "$BIN")
	return r.Replace(fmt.Sprintf("--- stdout\n%s--- stderr\n%s--- exit %d\n", out, errOut, code))
}

func (e *env) startArgs() []string {
	return []string{"cluster", "start",
		"--sc-pub-addr", fmt.Sprintf("127.0.0.1:%d", e.pub),
		"--sc-priv-addr", fmt.Sprintf("127.0.0.1:%d", e.priv),
		"--spu-base-port", fmt.Sprint(e.spuBase), "--timeout", "30s"}
}

func TestLifecycleOutput(t *testing.T) {
	e := newEnv(t)
	var transcript strings.Builder
	step := func(name string, stdin string, args ...string) {
		fmt.Fprintf(&transcript, "### %s\n%s", name, e.run(false, stdin, args...))
	}
	step("status before start", "", "cluster", "status")
	step("start", "", e.startArgs()...)
	step("start again", "", e.startArgs()...)
	step("profile list", "", "profile", "list")
	step("status", "", "cluster", "status")
	step("shutdown", "", "cluster", "shutdown")
	step("shutdown again", "", "cluster", "shutdown")
	step("status while shut down", "", "cluster", "status")
	step("start while shut down", "", e.startArgs()...)
	step("resume", "", "cluster", "resume")
	step("delete, wrong confirmation", "prod\n", "cluster", "delete")
	step("delete", "local\n", "cluster", "delete")
	step("profile list after delete", "", "profile", "list")
	step("resume after delete", "", "cluster", "resume")
	golden.Assert(t, "lifecycle", transcript.String())
}

func TestStartFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		check   func(t *testing.T, o *start.Options)
	}{
		{args: []string{}, check: func(t *testing.T, o *start.Options) {
			require.Equal(t, 1, o.Start.SPUs)
			require.Equal(t, "127.0.0.1:9003", o.Start.SCPublicAddr)
			require.Equal(t, 9010, o.Start.SPUBasePort)
			require.Equal(t, "info", o.Start.RustLog)
			require.False(t, o.Start.SkipProfile)
		}},
		{args: []string{"--local", "--spu", "3", "--rust-log", "debug", "--skip-profile-creation", "--data-dir", "/d", "--log-dir", "/l", "--timeout", "5s"}, check: func(t *testing.T, o *start.Options) {
			require.Equal(t, 3, o.Start.SPUs)
			require.Equal(t, "debug", o.Start.RustLog)
			require.True(t, o.Start.SkipProfile)
			require.Equal(t, "/d", o.Start.DataDir)
			require.Equal(t, "/l", o.Start.LogDir)
			require.Equal(t, 5*time.Second, o.Start.Timeout)
		}},
		{args: []string{"--spu", "0"}, wantErr: "--spu must be at least 1, got 0"},
		{args: []string{"--spu", "many"}, wantErr: `invalid argument "many" for "--spu"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := cmdutil.TestFactory(t.TempDir())
			var got *start.Options
			cmd := start.NewCmdStart(f, func(o *start.Options) error { got = o; return nil })
			cmdutil.SetupRoot(cmd)
			cmd.SetArgs(tt.args)
			err := cmd.Execute()
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Equal(t, cmdutil.ExitUsage, cmdutil.ExitCode(err, false, &strings.Builder{}))
				return
			}
			require.NoError(t, err)
			tt.check(t, got)
		})
	}
}
