// Command ssdk is the Stateful Services Development Kit.
package main

import (
	"os"

	"github.com/gofluvio/fluvio/ssdk"
)

func main() { os.Exit(ssdk.Main()) }
