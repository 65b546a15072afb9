#!/bin/sh
# The main job on embedded defaults: a local cluster (the SC and one SPU as
# background processes on Fluvio's default ports), a topic, records produced
# from stdin, and consumed plain and through SmartModules written with our
# Go SDK. It runs in a private home directory so it never touches your
# ~/.fluvio, and deletes its cluster at the end.
set -eu
BIN=${BIN:-./bin}
BIN=$(cd "$BIN" && pwd)
GO=${GO:-go}

for b in fluvio fluvio-run ssdk fvm; do
	"$BIN/$b" version | head -1
done

echo
echo "== building SmartModules from smartmodule/examples (GOOS=wasip1)"
mkdir -p "$BIN/smartmodules"
for m in filter map; do
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 "$GO" build -buildmode=c-shared -o "$BIN/smartmodules/$m.wasm" "./smartmodule/examples/$m"
	echo "   $BIN/smartmodules/$m.wasm"
done

DEMO_HOME=$(mktemp -d "${TMPDIR:-/tmp}/fluvio-demo.XXXXXX")
export HOME="$DEMO_HOME" FLUVIO_DIR="$DEMO_HOME/.fluvio"
fluvio() { "$BIN/fluvio" "$@"; }
cleanup() {
	fluvio cluster delete --force >/dev/null 2>&1 || true
	rm -rf "$DEMO_HOME"
}
trap cleanup EXIT INT TERM

echo
echo "== fluvio cluster start"
fluvio cluster start
echo
echo "== fluvio topic create greetings"
fluvio topic create greetings
printf 'apple\nbanana\ncherry\ndate\nelderberry\nfig\n' > "$DEMO_HOME/fruits.txt"
echo "== fluvio produce greetings < fruits.txt"
fluvio produce greetings < "$DEMO_HOME/fruits.txt"
echo
echo "== fluvio consume greetings -B -d"
fluvio consume greetings -B -d
echo
echo "== fluvio consume greetings -B -d --smartmodule-path map.wasm   (upper-case)"
fluvio consume greetings -B -d --smartmodule-path "$BIN/smartmodules/map.wasm"
echo
echo "== fluvio smartmodule create contains-a --wasm-file filter.wasm"
fluvio smartmodule create contains-a --wasm-file "$BIN/smartmodules/filter.wasm"
echo "== fluvio consume greetings -B -d --smartmodule contains-a   (values with an 'a')"
fluvio consume greetings -B -d --smartmodule contains-a
echo
echo "== fluvio cluster status"
fluvio cluster status
echo
echo "Demo done; the cluster is deleted on exit."
