package consumer

import (
	"regexp"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/consume"
	"github.com/gofluvio/fluvio/cli/produce"
	"github.com/gofluvio/fluvio/cli/topic"
	"github.com/gofluvio/fluvio/cluster/clustertest"
	"github.com/gofluvio/fluvio/internal/golden"
)

// modRe matches commit times (the table's LAST SEEN is stable: the test
// clock is fixed in the past, so it shows 0s).
var modRe = regexp.MustCompile(`"modified_time": \d+`)

func build(f *cmdutil.Factory) *cobra.Command { return NewCmdConsumer(f) }

func TestGolden(t *testing.T) {
	cl := clustertest.Start(t, clustertest.Options{SPUs: 1})
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t)
			e.UseCluster(cl.Addr())
			tp := "c-" + m.Name
			require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return topic.NewCmdTopic(f) }, "topic", "create", tp, "-p", "2"), "--- exit 0")
			golden.Assert(t, "list-empty."+m.Name, e.Run(m.TTY, build, "consumer", "list"))
			e.Stdin = "a\nb\nc\n"
			require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return produce.NewCmdProduce(f, nil) }, "produce", tp, "-p", "0"), "--- exit 0")
			require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return produce.NewCmdProduce(f, nil) }, "produce", tp, "-p", "1"), "--- exit 0")
			for _, name := range []string{"app", "other"} {
				require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return consume.NewCmdConsume(f, nil) }, "consume", tp, "-B", "-d", "-c", name), "--- exit 0")
			}
			for _, s := range []struct {
				name string
				args []string
			}{
				{"list", []string{"consumer", "list"}},
				{"list-json", []string{"consumer", "list", "-O", "json"}},
				{"delete-partition", []string{"consumer", "delete", "app", "-t", tp, "-p", "1"}},
				{"delete-all", []string{"consumer", "delete", "app"}},
				{"delete-missing", []string{"consumer", "delete", "app"}},
				{"delete-partition-no-topic", []string{"consumer", "delete", "app", "-p", "1"}},
				{"list-after", []string{"consumer", "list"}},
			} {
				got := e.Run(m.TTY, build, s.args...)
				golden.Assert(t, s.name+"."+m.Name, modRe.ReplaceAllString(got, `"modified_time": MS`))
			}
		})
	}
}
