#!/bin/sh
# Cross-builds every binary for every target of tiers.yaml (as listed by
# `fluvio-run hub targets`) into $BIN/cross/<triple>/ and prints a size table.
set -eu
BIN=${BIN:-$(pwd)/bin}
LDFLAGS=${LDFLAGS:--s -w}
out="$BIN/cross"
mkdir -p "$out"
list=$(go run ./cmd/fluvio-run hub targets)
printf '%-32s %-12s %12s\n' TRIPLE BINARY BYTES
echo "$list" | while IFS='	' read -r triple goos goarch goarm _tier binaries; do
	[ "$triple" = TRIPLE ] && continue
	[ "$goarm" = - ] && goarm=""
	mkdir -p "$out/$triple"
	ext=""
	[ "$goos" = windows ] && ext=".exe"
	for b in $binaries; do
		CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOARM=$goarm \
			go build -trimpath -ldflags "$LDFLAGS" -o "$out/$triple/$b$ext" "./cmd/$b"
		size=$(wc -c < "$out/$triple/$b$ext" | tr -d ' ')
		printf '%-32s %-12s %12s\n' "$triple" "$b" "$size"
	done
done
