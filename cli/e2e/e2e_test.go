// Package e2e runs the built fluvio binary as a user would, against an
// in-process cluster (cluster/clustertest): create a topic, produce from
// stdin, consume in every output format, SmartModules, named consumers.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/cluster/clustertest"
)

// fluvioBin is the binary built once for the package's tests.
var fluvioBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fluvio-e2e")
	if err != nil {
		panic(err)
	}
	fluvioBin = filepath.Join(dir, "fluvio")
	out, err := exec.Command("go", "build", "-o", fluvioBin, "github.com/gofluvio/fluvio/cmd/fluvio").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build fluvio: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// user is a shell: a home whose ~/.fluvio/config points at a cluster.
type user struct {
	t    testing.TB
	home string
}

func newUser(t testing.TB, addr string) *user {
	t.Helper()
	u := &user{t: t, home: t.TempDir()}
	cfg := config.New()
	cfg.AddOrReplaceProfile("local", addr, config.TLS{}, config.InstallLocal)
	cfg.CurrentProfile = "local"
	require.NoError(t, cfg.Save(filepath.Join(u.home, ".fluvio", "config")))
	return u
}

// run runs `fluvio args...` with stdin and returns stdout, stderr and the
// exit code.
func (u *user) run(stdin string, args ...string) (string, string, int) {
	u.t.Helper()
	cmd := exec.Command(fluvioBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+u.home, "FLV_PROFILE_PATH=", "FLUVIO_DIR=")
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(u.t, err)
	}
	return out.String(), errOut.String(), code
}

// ok runs and requires success, returning stdout.
func (u *user) ok(stdin string, args ...string) string {
	u.t.Helper()
	out, errOut, code := u.run(stdin, args...)
	require.Equal(u.t, 0, code, "fluvio %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errOut)
	return out
}

func TestUserSession(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{SPUs: 1})
	u := newUser(t, cl.Addr())

	require.Equal(t, "topic \"greetings\" created\n", u.ok("", "topic", "create", "greetings"))
	require.Contains(t, u.ok("", "topic", "list"), "greetings\tcomputed\t1\t1\t7days\tany\tnone\tprovisioned")
	u.ok("hello\nworld\n{\"a\":1}\n", "produce", "greetings")
	u.ok("k1:v1\nk2:v2\n", "produce", "greetings", "--key-separator", ":")

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-B", "-d"}, "hello\nworld\n{\"a\":1}\nv1\nv2\n"},
		{[]string{"-B", "-d", "-k"}, "[null] hello\n[null] world\n[null] {\"a\":1}\n[k1] v1\n[k2] v2\n"},
		{[]string{"-B", "-d", "-O", "text"}, "hello\nworld\n{\"a\":1}\nv1\nv2\n"},
		{[]string{"-B", "-d", "-O", "raw"}, "hello\nworld\n{\"a\":1}\nv1\nv2\n"},
		{[]string{"--start", "2", "--end", "2", "-O", "json"}, "{\n  \"a\": 1\n}\n"},
		{[]string{"--start", "2", "-d", "-O", "json", "--suppress-unknown"}, "{\n  \"a\": 1\n}\n"},
		{[]string{"--start", "2", "--end", "2", "-O", "table"}, "a\n1\n"},
		{[]string{"--start", "2", "--end", "2", "-O", "full-table"}, "a\n1\n"},
		{[]string{"--start", "0", "--end", "0", "-O", "binary"}, "00000000  68 65 6c 6c 6f                                    |hello           |\n" + strings.Repeat("-", 78) + "\n\n"},
		{[]string{"-T", "2", "-d", "--format", "{{offset}}:{{key}}={{value}}"}, "3:k1=v1\n4:k2=v2\n"},
		{[]string{"-o", "-1", "-d"}, "v2\n"},
		{[]string{"-H", "4", "-d", "-O", "dynamic"}, "v2\n"},
	}
	for _, tt := range tests {
		got := u.ok("", append([]string{"consume", "greetings"}, tt.args...)...)
		require.Equal(t, tt.want, got, "consume %v", tt.args)
	}

	// Named consumers resume where they committed.
	require.Equal(t, "hello\nworld\n", u.ok("", "consume", "greetings", "-B", "--end", "1", "-c", "app"))
	require.Equal(t, "{\"a\":1}\nv1\nv2\n", u.ok("", "consume", "greetings", "-B", "-d", "-c", "app"))
	require.Contains(t, u.ok("", "consumer", "list"), "app\tgreetings\t0\t4\t")
	require.Equal(t, "consumer \"app\" on topic \"greetings\" and partition \"0\" deleted\n", u.ok("", "consumer", "delete", "app"))

	// Errors name the input and exit non-zero.
	_, errOut, code := u.run("", "consume", "greetings", "-O", "xml")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `--output "xml" is not valid (valid: dynamic, text, binary, json, raw, table, full-table)`)
	_, errOut, code = u.run("x\n", "produce", "nope")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `topic "nope" not found`)

	require.Contains(t, u.ok("", "version"), "Fluvio Platform   : ")
	require.Contains(t, u.ok("", "partition", "list"), "greetings\t0\t5001\t[]\tOnline\t")
	require.Contains(t, u.ok("", "cluster", "spu", "list"), "5001\t")
	require.Equal(t, "topic \"greetings\" deleted\n", u.ok("", "topic", "delete", "greetings"))

	// -c/--cluster and -P/--profile pick the cluster at the root.
	u.ok("", "topic", "create", "other")
	require.Contains(t, u.ok("", "-c", cl.Addr(), "topic", "list"), "other\t")
	_, errOut, code = u.run("", "-P", "nope", "topic", "list")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "profile not found")
	// consume takes --cluster long-only: -c is its consumer, as in Fluvio.
	u.ok("a\n", "produce", "other")
	require.Equal(t, "a\n", u.ok("", "consume", "other", "--cluster", cl.Addr(), "-B", "-d", "-c", "x"))
}
