package version

import (
	"regexp"
	"runtime"
	"testing"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/internal/buildinfo"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command { return NewCmdVersion(f, nil) }

// stable replaces what depends on the build (commit, Go version, target).
func stable(s string) string {
	s = regexp.MustCompile(regexp.QuoteMeta(buildinfo.GitCommit())).ReplaceAllString(s, "COMMIT")
	s = regexp.MustCompile(regexp.QuoteMeta(runtime.Version())).ReplaceAllString(s, "GOVERSION")
	return regexp.MustCompile(regexp.QuoteMeta(buildinfo.Target())).ReplaceAllString(s, "TARGET")
}

func TestGolden(t *testing.T) {
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t)
			golden.Assert(t, "no-cluster."+m.Name, stable(e.Run(m.TTY, build, "version")))
			e.UseCluster("127.0.0.1:1")
			golden.Assert(t, "unreachable."+m.Name, stable(e.Run(m.TTY, build, "version")))
			e.StartSC()
			golden.Assert(t, "cluster."+m.Name, stable(e.Run(m.TTY, build, "version")))
			golden.Assert(t, "cluster-json."+m.Name, stable(e.Run(m.TTY, build, "version", "--json")))
			golden.Assert(t, "args."+m.Name, stable(e.Run(m.TTY, build, "version", "extra")))
		})
	}
}
