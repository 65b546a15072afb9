// Package fluvio holds the distribution files that live at the repository
// root (tiers.yaml and install.sh) so the binaries can embed them.
//
// Why a package at the module root? go:embed only reaches files in the
// embedding package's directory or below, and these two files belong at the
// root where people and release tooling look for them. Embedding them here
// keeps one copy, with nothing generated at build time to fall out of date.
package fluvio

import _ "embed"

// TiersYAML is the content of tiers.yaml: the targets, their Go build and
// tier. Parse it with hub/targets.
//
//go:embed tiers.yaml
var TiersYAML []byte

// InstallScript is the content of install.sh, the POSIX installer that the
// Hub serves at /install.sh.
//
//go:embed install.sh
var InstallScript []byte
