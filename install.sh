#!/bin/sh
# Fluvio installer: downloads fvm (the Fluvio Version Manager) from a Hub,
# verifies its sha256, installs it into ~/.fvm/bin and installs Fluvio with it.
#
#   curl -fsS https://HUB/install.sh | sh
#
# Needs only sh, uname, mktemp and curl or wget (no jq, no unzip).
#
# Environment:
#   FLUVIO_VERSION   what to install: stable (default), latest, X.Y.Z or ^X.Y
#   VERSION          deprecated alias of FLUVIO_VERSION
#   FVM_VERSION      which fvm to download: a channel or X.Y.Z (default stable)
#   FLUVIO_HUB_URL   the Hub to use (default: the Hub that served this script)
#   FLUVIO_ARCH      target triple, instead of detecting it
#   FVM_REGISTRY     registry fvm installs Fluvio from (default: FLUVIO_HUB_URL)
#   HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY   honoured by curl, wget and fvm
set -eu

# The Hub replaces this placeholder with its own URL when it serves the script.
HUB_DEFAULT='__FLUVIO_HUB_URL__'

say() {
	printf 'fluvio: %s\n' "$*"
}

err() {
	printf 'fluvio: error: %s\n' "$*" >&2
}

# die MESSAGE HINT: print what went wrong and what to do, then exit 1.
die() {
	err "$1"
	if [ -n "${2:-}" ]; then
		printf 'fluvio: what to do: %s\n' "$2" >&2
	fi
	exit 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || die "this installer needs '$1', which is not installed" "install $1 with your package manager and run the installer again"
}

hub_url() {
	url="${FLUVIO_HUB_URL:-$HUB_DEFAULT}"
	case "$url" in
	__*__) die "no Hub URL: this copy of install.sh was not served by a Hub" "set FLUVIO_HUB_URL to your Hub, e.g. FLUVIO_HUB_URL=http://127.0.0.1:8090 sh install.sh" ;;
	http://* | https://*) ;;
	*) die "FLUVIO_HUB_URL='$url' is not an http:// or https:// URL" "set FLUVIO_HUB_URL=https://your-hub" ;;
	esac
	printf '%s' "${url%/}"
}

# detect_triple prints the Rust-style target triple of this machine.
detect_triple() {
	os=$(uname -s)
	cpu=$(uname -m)
	case "$os" in
	Linux)
		case "$cpu" in
		x86_64 | x86-64 | x64 | amd64) echo x86_64-unknown-linux-musl ;;
		aarch64 | arm64)
			# A 32-bit userland on a 64-bit kernel runs ARMv7 binaries.
			if [ "$(getconf LONG_BIT 2>/dev/null || echo 64)" = 32 ]; then
				echo armv7-unknown-linux-gnueabihf
			else
				echo aarch64-unknown-linux-musl
			fi
			;;
		armv7* | armv8l) echo armv7-unknown-linux-gnueabihf ;;
		armv6*) echo arm-unknown-linux-gnueabihf ;;
		*) die "unsupported CPU '$cpu' on Linux" "Fluvio builds exist for x86_64, aarch64, armv7 and armv6; set FLUVIO_ARCH to one of their triples to override" ;;
		esac
		;;
	Darwin)
		case "$cpu" in
		arm64 | aarch64) echo aarch64-apple-darwin ;;
		x86_64)
			# Under Rosetta uname says x86_64 on Apple Silicon: prefer native.
			if [ "$(sysctl -n hw.optional.arm64 2>/dev/null || echo 0)" = 1 ]; then
				echo aarch64-apple-darwin
			else
				echo x86_64-apple-darwin
			fi
			;;
		*) die "unsupported CPU '$cpu' on macOS" "set FLUVIO_ARCH=x86_64-apple-darwin or aarch64-apple-darwin" ;;
		esac
		;;
	MINGW* | MSYS* | CYGWIN* | Windows_NT)
		case "$cpu" in
		x86_64 | amd64) echo x86_64-pc-windows-msvc ;;
		*) die "unsupported CPU '$cpu' on Windows" "only x86_64 Windows builds exist; WSL2 with the Linux build also works" ;;
		esac
		;;
	*) die "unsupported operating system '$os'" "Fluvio builds exist for Linux, macOS and Windows; set FLUVIO_ARCH to a triple to override" ;;
	esac
}

# normalize_triple maps aliases to published triples.
normalize_triple() {
	case "$1" in
	x86_64-unknown-linux-gnu) echo x86_64-unknown-linux-musl ;;
	aarch64-unknown-linux-gnu) echo aarch64-unknown-linux-musl ;;
	x86_64-pc-windows-gnu) echo x86_64-pc-windows-msvc ;;
	armv7) echo armv7-unknown-linux-gnueabihf ;;
	*) echo "$1" ;;
	esac
}

proxy() {
	for p in "${HTTPS_PROXY:-}" "${https_proxy:-}" "${HTTP_PROXY:-}" "${http_proxy:-}" "${ALL_PROXY:-}" "${all_proxy:-}"; do
		if [ -n "$p" ]; then
			printf '%s' "$p"
			return 0
		fi
	done
}

# fetch URL FILE: download with curl or wget (both read the proxy variables;
# curl also gets --proxy for ALL_PROXY, which wget ignores).
fetch() {
	if command -v curl >/dev/null 2>&1; then
		p=$(proxy)
		if [ -n "$p" ]; then
			curl --fail --silent --show-error --location --proxy "$p" --output "$2" "$1"
		else
			curl --fail --silent --show-error --location --output "$2" "$1"
		fi
	elif command -v wget >/dev/null 2>&1; then
		wget --quiet --output-document="$2" "$1"
	else
		die "neither curl nor wget is installed" "install curl (or wget) and run the installer again"
	fi
}

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d ' ' -f 1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d ' ' -f 1
	else
		die "cannot verify the download: neither sha256sum nor shasum is installed" "install coreutils (sha256sum) or perl (shasum) and run the installer again"
	fi
}

main() {
	need uname
	need mktemp
	need chmod
	need mkdir

	if [ -n "${VERSION:-}" ] && [ -z "${FLUVIO_VERSION:-}" ]; then
		say "warning: VERSION is deprecated in favor of FLUVIO_VERSION"
		FLUVIO_VERSION=$VERSION
	fi
	fluvio_version=${FLUVIO_VERSION:-stable}
	fvm_version=${FVM_VERSION:-stable}
	hub=$(hub_url)

	if [ -n "${FLUVIO_ARCH:-}" ]; then
		triple=$(normalize_triple "$FLUVIO_ARCH")
	else
		triple=$(detect_triple)
	fi
	ext=""
	case "$triple" in
	*windows*) ext=".exe" ;;
	esac

	p=$(proxy)
	if [ -n "$p" ]; then
		say "using proxy $p"
	fi
	say "downloading fvm ($fvm_version) for $triple from $hub"

	tmp=$(mktemp -d 2>/dev/null || mktemp -d -t fluvio-install)
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	url="$hub/fvm/$fvm_version/$triple/fvm$ext"
	fetch "$url" "$tmp/fvm$ext" || die "could not download $url" "check that $hub is reachable (proxy settings: HTTPS_PROXY, NO_PROXY) and that it has a $fvm_version release for $triple"
	fetch "$url.sha256" "$tmp/fvm.sha256" || die "could not download $url.sha256" "check that $hub is reachable and run the installer again"

	want=$(tr -d ' \r\n' <"$tmp/fvm.sha256" | cut -c 1-64)
	got=$(sha256_of "$tmp/fvm$ext")
	if [ "$want" != "$got" ]; then
		die "fvm checksum mismatch: expected $want, got $got; the download was corrupted or tampered with and was not installed" "run the installer again; if it keeps failing, report it to your Hub's operator"
	fi
	chmod +x "$tmp/fvm$ext"

	say "installing fvm"
	registry=${FVM_REGISTRY:-$hub}
	"$tmp/fvm$ext" self install --registry "$registry" || die "fvm self install failed (see above)" "fix the problem fvm reported and run the installer again"

	fvm_home="$HOME/${FVM_WORKDIR_NAME:-.fvm}"
	say "installing fluvio $fluvio_version"
	"$fvm_home/bin/fvm$ext" install "$fluvio_version" || die "fvm install $fluvio_version failed (see above)" "run '$fvm_home/bin/fvm install $fluvio_version' again once the problem is fixed; 'fvm list --remote' shows what the Hub offers"

	say "install complete"
	say "add fvm and fluvio to your PATH:"
	# The hints are literal text for the user to paste: quoted heredocs.
	case "${SHELL:-}" in
	*zsh)
		cat <<'HINT'
    echo 'export PATH="${HOME}/.fvm/bin:${HOME}/.fluvio/bin:${PATH}"' >> ~/.zshrc
HINT
		;;
	*fish)
		cat <<'HINT'
    fish_add_path "$HOME/.fvm/bin" "$HOME/.fluvio/bin"
HINT
		;;
	*bash)
		cat <<'HINT'
    echo '. "${HOME}/.fvm/env"' >> ~/.bashrc
HINT
		;;
	*) printf '    . "%s/env"    (add this line to your shell profile)\n' "$fvm_home" ;;
	esac
}

main "$@"
