package spu

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/gofluvio/fluvio/cli/clitest"
	"github.com/gofluvio/fluvio/cli/cmdutil"
	"github.com/gofluvio/fluvio/internal/golden"
)

func build(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{Use: "cluster"}
	c.AddCommand(NewCmdSPU(f))
	return c
}

func TestGolden(t *testing.T) {
	for _, m := range clitest.Modes {
		t.Run(m.Name, func(t *testing.T) {
			e := clitest.New(t).StartSC()
			for _, s := range []struct {
				name string
				args []string
			}{
				{"list-empty", []string{"cluster", "spu", "list"}},
				{"register", []string{"cluster", "spu", "register", "--id", "5001", "-p", "localhost:9010", "-v", "localhost:9011"}},
				{"register-named", []string{"cluster", "spu", "register", "-i", "5002", "-n", "edge", "-r", "rack-a", "-p", "localhost:9020", "-v", "localhost:9021", "-l", "127.0.0.1:9020"}},
				{"register-no-id", []string{"cluster", "spu", "register", "-p", "localhost:9010", "-v", "localhost:9011"}},
				{"register-bad-addr", []string{"cluster", "spu", "register", "-i", "7", "-p", "localhost", "-v", "localhost:9011"}},
				{"register-bad-port", []string{"cluster", "spu", "register", "-i", "7", "-p", "localhost:99999", "-v", "localhost:9011"}},
				{"register-no-private", []string{"cluster", "spu", "register", "-i", "7", "-p", "localhost:9010"}},
				{"list", []string{"cluster", "spu", "list"}},
				{"list-json", []string{"cluster", "spu", "list", "--custom", "-O", "json"}},
				{"unregister-id", []string{"cluster", "spu", "unregister", "--id", "5001"}},
				{"unregister-name", []string{"cluster", "spu", "unregister", "--name", "edge"}},
				{"unregister-missing", []string{"cluster", "spu", "unregister", "--id", "5001"}},
				{"unregister-both", []string{"cluster", "spu", "unregister", "--id", "1", "--name", "x"}},
				{"list-after", []string{"cluster", "spu", "list"}},
			} {
				golden.Assert(t, s.name+"."+m.Name, e.Run(m.TTY, build, s.args...))
			}
		})
	}
}
