// Command fluvio is the Fluvio CLI.
package main

import (
	"os"

	"github.com/gofluvio/fluvio/cli"
)

func main() { os.Exit(cli.Main()) }
