#!/bin/sh
# The main job on embedded defaults. It grows as the product does: today it
# shows that every binary builds and reports its version.
set -eu
BIN=${BIN:-./bin}
for b in fluvio fluvio-run ssdk fvm; do
	"$BIN/$b" version
	echo
done
