package partition

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/cli/topic"
	"github.com/gofluvio/fluvio/internal/golden"
)

func TestGolden(t *testing.T) {
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t).StartSC()
			e.ConnectSPU(5001, 9010)
			golden.Assert(t, "list-empty."+m.Name, e.Run(m.TTY, func(f *cmdutil.Factory) *cobra.Command { return NewCmdPartition(f) }, "partition", "list"))
			require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return topic.NewCmdTopic(f) }, "topic", "create", "greetings", "-p", "2"), "created")
			require.Contains(t, e.Run(false, func(f *cmdutil.Factory) *cobra.Command { return topic.NewCmdTopic(f) }, "topic", "create", "other"), "created")
			for _, s := range []struct {
				name string
				args []string
			}{
				{"list", []string{"partition", "list"}},
				{"list-topic", []string{"partition", "list", "-t", "greetings"}},
				{"list-json", []string{"partition", "list", "-t", "other", "-O", "json"}},
				{"list-yaml", []string{"partition", "list", "-t", "other", "-O", "yaml"}},
				{"list-args", []string{"partition", "list", "extra"}},
			} {
				golden.Assert(t, s.name+"."+m.Name, e.Run(m.TTY, func(f *cmdutil.Factory) *cobra.Command { return NewCmdPartition(f) }, s.args...))
			}
		})
	}
}
