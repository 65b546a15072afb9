#!/bin/sh
# Runs every Go fuzz target in the module for the given time each (default 60s).
# Minimizing a new interesting input is bounded to 500 executions: the
# default (up to 60s per input) can take a whole short run, during which
# nothing is fuzzed (FuzzFormatRecord's count stood still for seconds), and
# the engine sometimes failed with its own "context deadline exceeded" when
# the run ended during a minimization. A failing input is still written.
set -eu
t=${1:-60s}
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "== $pkg $f ($t)"
		go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 500x "$pkg"
	done
done
