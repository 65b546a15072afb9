// Command fvm is the Fluvio Version Manager.
package main

import (
	"os"

	"github.com/gofluvio/fluvio/fvm"
)

func main() { os.Exit(fvm.Main()) }
