// Command fluvio-run runs Fluvio's servers.
package main

import (
	"os"

	"github.com/gofluvio/fluvio/cluster/run"
)

func main() { os.Exit(run.Main()) }
