package consume

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/produce"
	"github.com/gofluvio/fluvio/cli/topic"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command { return NewCmdConsume(f, nil) }

func produceCmd(f *cmdutil.Factory) *cobra.Command { return produce.NewCmdProduce(f, nil) }

func topicCmd(f *cmdutil.Factory) *cobra.Command { return topic.NewCmdTopic(f) }

// setup starts a one-SPU cluster with topic "t" (records with keys and
// JSON values, one binary record) and "two" (2 partitions).
func setup(t *testing.T) *clitest.Env {
	t.Helper()
	cl := clustertest.Start(t, clustertest.Options{SPUs: 1})
	e := clitest.New(t)
	e.UseCluster(cl.Addr())
	require.Contains(t, e.Run(false, topicCmd, "topic", "create", "t"), "--- exit 0")
	require.Contains(t, e.Run(false, topicCmd, "topic", "create", "two", "-p", "2"), "--- exit 0")
	e.Stdin = "a=hello\nb={\"name\":\"ann\",\"age\":3}\nc={\"name\":\"bob\",\"age\":40,\"tags\":[1]}\nd=not json\n"
	require.Equal(t, clitest.Transcript("", "", 0), e.Run(false, produceCmd, "produce", "t", "--key-separator", "="))
	e.Stdin = "\x00\x01binary\nfoo\nbar\n"
	require.Equal(t, clitest.Transcript("", "", 0), e.Run(false, produceCmd, "produce", "t", "--raw"))
	e.Stdin = "1\n2\n3\n4\n"
	require.Equal(t, clitest.Transcript("", "", 0), e.Run(false, produceCmd, "produce", "two", "-p", "1"))
	e.Stdin = ""
	return e
}

// TestGolden consumes the same records in every output form.
func TestGolden(t *testing.T) {
	e := setup(t)
	steps := []struct {
		name string
		args []string
	}{
		{"dynamic", []string{"consume", "t", "-B", "-d"}},
		{"key-value", []string{"consume", "t", "-B", "-d", "-k"}},
		{"text", []string{"consume", "t", "-B", "-d", "-O", "text"}},
		{"text-suppress", []string{"consume", "t", "-B", "-d", "-O", "text", "--suppress-unknown"}},
		{"binary", []string{"consume", "t", "--start", "4", "-d", "-O", "binary"}},
		{"raw", []string{"consume", "t", "--start", "4", "-d", "-O", "raw"}},
		{"json", []string{"consume", "t", "--start", "1", "--end", "3", "-O", "json"}},
		{"json-suppress", []string{"consume", "t", "-B", "-d", "-O", "json", "--suppress-unknown"}},
		{"table", []string{"consume", "t", "--start", "1", "--end", "2", "-O", "table"}},
		{"full-table", []string{"consume", "t", "--start", "1", "--end", "2", "-O", "full-table", "-d"}},
		{"format", []string{"consume", "t", "-B", "-d", "--format", "{{partition}}:{{offset}} {{key}} => {{value}}"}},
		{"tail", []string{"consume", "t", "-T", "2", "-d"}},
		{"offset-negative", []string{"consume", "t", "-o", "-1", "-d"}},
		{"head", []string{"consume", "t", "-H", "3", "-d", "-k"}},
		{"start-end", []string{"consume", "t", "--start", "1", "--end", "2"}},
		{"partition", []string{"consume", "two", "-p", "1", "-B", "-d"}},
		{"partition-empty", []string{"consume", "two", "-p", "0", "-B", "-d"}},
		{"bad-output", []string{"consume", "t", "-O", "xml"}},
		{"bad-format", []string{"consume", "t", "--format", "{{nope}}"}},
		{"two-starts", []string{"consume", "t", "-B", "-T", "1"}},
		{"end-before-start", []string{"consume", "t", "--start", "5", "--end", "1"}},
		{"missing-partition", []string{"consume", "two", "-p", "7", "-B", "-d"}},
		{"missing-topic", []string{"consume", "nope", "-B", "-d"}},
		{"no-topic", []string{"consume"}},
	}
	for _, m := range clitest.Modes {
		for _, s := range steps {
			t.Run(s.name+"/"+m.Name, func(t *testing.T) {
				golden.Assert(t, s.name+"."+m.Name, scrubTime(e.Run(m.TTY, build, s.args...)))
			})
		}
	}
}

var timeRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)

func scrubTime(s string) string {
	return timeRe.ReplaceAllString(s, "TIME")
}

func TestAllPartitionsByDefault(t *testing.T) {
	e := setup(t)
	e.Stdin = "p0\n"
	require.Contains(t, e.Run(false, produceCmd, "produce", "two", "-p", "0"), "--- exit 0")
	got := e.Run(false, build, "consume", "two", "-B", "-d", "--format", "{{partition}}/{{offset}}={{value}}")
	lines := strings.Split(strings.SplitN(strings.TrimPrefix(got, "--- stdout\n"), "--- stderr", 2)[0], "\n")
	require.ElementsMatch(t, []string{"0/0=p0", "1/0=1", "1/1=2", "1/2=3", "1/3=4", ""}, lines)
}

func TestConsumerOffsets(t *testing.T) {
	e := setup(t)
	got := e.Run(false, build, "consume", "t", "-B", "-d", "-c", "app", "--end", "1")
	require.Equal(t, clitest.Transcript("hello\n{\"name\":\"ann\",\"age\":3}\n", "End-offset has been reached; exiting\n", 0), got)
	// The next run resumes after offset 1, whatever the start flag says.
	got = e.Run(false, build, "consume", "t", "-B", "-d", "-c", "app", "--format", "{{offset}}")
	require.Equal(t, clitest.Transcript("2\n3\n4\n", "", 0), got)
	got = e.Run(false, build, "consume", "t", "-B", "-d", "-c", "app")
	require.Equal(t, clitest.Transcript("", "", 0), got)
	// Another consumer starts where its flags say.
	got = e.Run(false, build, "consume", "t", "-T", "2", "-d", "--consumer", "other", "--format", "{{offset}}")
	require.Equal(t, clitest.Transcript("3\n4\n", "", 0), got)
}

func TestTemplate(t *testing.T) {
	tm, err := ParseTemplate("o={{offset}} p={{ partition }} k={{{key}}} v={{value}} t={{time}} {")
	require.NoError(t, err)
	got := tm.Render(client.Record{Partition: 2, Offset: 7, Timestamp: 1700000000123, Value: []byte("v\xff")})
	require.Equal(t, "o=7 p=2 k=null v=v\uFFFD t=2023-11-14T22:13:20.123Z {", got)
	require.Equal(t, "NA", RecordTime(-1))
	for _, bad := range []string{"{{nope}}", "{{value", "{{}}"} {
		_, err := ParseTemplate(bad)
		require.ErrorContains(t, err, "--format", bad)
	}
}

func TestIsBinaryAndHexDump(t *testing.T) {
	require.False(t, IsBinary([]byte("hello\n")))
	require.True(t, IsBinary([]byte("a\x00b")))
	require.False(t, IsBinary([]byte{0xff, 0xfe, 'a', 0}), "UTF-16 with a BOM is text")
	require.True(t, IsBinary(append([]byte("x"), 0)))
	require.False(t, IsBinary(append(make([]byte, 1024, 1030)[:0], append([]byte(strings.Repeat("a", 1024)), 0)...)), "NUL after 1024 bytes")
	require.Equal(t, "00000000  68 69 0a                                          |hi.             |\n"+strings.Repeat("-", 78)+"\n", HexDump([]byte("hi\n")))
	full := HexDump([]byte("0123456789abcdefX"))
	require.Equal(t, "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"+
		"00000010  58                                                |X               |\n"+strings.Repeat("-", 78)+"\n", full)
}

func TestTransformsFileIsRead(t *testing.T) {
	// Parsing errors of a transforms file surface before connecting.
	e := clitest.New(t)
	file := filepath.Join(e.Dir, "t.yaml")
	require.NoError(t, os.WriteFile(file, []byte("transforms: []\n"), 0o644))
	got := e.Run(false, build, "consume", "t", "-t", file)
	require.Contains(t, got, "the 'transforms' list is empty")
	require.Contains(t, got, "--- exit 2")
}

func FuzzParseTemplate(f *testing.F) {
	f.Add("{{offset}} {{key}} {{value}} {{partition}} {{time}}")
	f.Add("{{{value}}} {{ key }} {")
	f.Fuzz(func(t *testing.T, s string) {
		n := allocated(func() {
			tm, err := ParseTemplate(s)
			if err == nil {
				_ = tm.Render(client.Record{Key: []byte("k"), Value: []byte("v"), Timestamp: -1})
			}
		})
		if n > uint64(64*len(s)+64<<10) {
			t.Fatalf("%d input bytes allocated %d bytes", len(s), n)
		}
	})
}

func FuzzFormatRecord(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[1,2]}`))
	f.Add([]byte("\x00\x01\x02binary"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := allocated(func() {
			_ = HexDump(b)
			_, _ = FormatJSON(b, false)
			_, _, _ = jsonObject(b)
			_ = IsBinary(b)
		})
		if n > uint64(256*len(b)+1<<20) {
			t.Fatalf("%d input bytes allocated %d bytes", len(b), n)
		}
	})
}

// allocated reports the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
