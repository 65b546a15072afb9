// Package buildinfo holds the version stamp every binary prints: semver, git
// commit, Go version and target. The release build sets Version, Commit and
// Date with -ldflags "-X"; a plain `go build` reports 0.0.0-dev.
//
// Why internal/buildinfo and not a field of each binary's package? All four
// binaries (fluvio, fluvio-run, ssdk, fvm) and the release pipeline must agree
// on one set of ldflags paths.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at link time: -X github.com/gofluvio/fluvio/internal/buildinfo.Version=1.2.3
var (
	// Version is the semver of this build.
	Version = "0.0.0-dev"
	// Commit is the git commit the build came from.
	Commit = ""
	// Date is the build date (RFC 3339).
	Date = ""
)

// PlatformVersion is the Fluvio platform version the servers advertise in
// ApiVersions. Clients refuse platforms older than 0.9.0, so a dev build
// advertises the Fluvio release whose protocol we speak.
func PlatformVersion() string {
	if Version == "0.0.0-dev" || Version == "" {
		return "0.11.11"
	}
	return Version
}

// GitCommit returns Commit, or the VCS revision Go embedded, or "unknown".
func GitCommit() string {
	if Commit != "" {
		return Commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// Target is GOOS/GOARCH (plus GOARM where set) of the running binary.
func Target() string {
	t := runtime.GOOS + "/" + runtime.GOARCH
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" && s.Value != "" {
				t += "/v" + s.Value
			}
		}
	}
	return t
}

// String is the multi-line text `<binary> version` prints.
func String(binary string) string {
	s := fmt.Sprintf("%s %s\ngit commit: %s\ngo version: %s\ntarget: %s\n",
		binary, Version, GitCommit(), runtime.Version(), Target())
	if Date != "" {
		s += "build date: " + Date + "\n"
	}
	return s
}
