package spu

import (
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/gofluvio/fluvio/cluster/controlplane"
)

// ResolveSmartModule finds the SmartModule a Predefined(name) invocation
// names among those the SC pushed (spec protocol.md §3.9 SmartModuleSpec):
// name is parsed as [group/]name[@version]; modules carrying package
// metadata match on the package name (and group and version when given),
// modules without it match when their store key equals name. An exact store
// key always matches first. Among several package versions the highest
// wins. The returned Wasm is gzip-compressed, as stored.
func (s *Server) ResolveSmartModule(name string) (controlplane.SmartModule, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if sm, ok := s.modules[name]; ok {
		return sm, true
	}
	group, pkg, version := parseSmartModuleName(name)
	var found []controlplane.SmartModule
	for _, sm := range s.modules {
		p := sm.Package
		if p == nil || p.Name != pkg || (group != "" && p.Group != group) || (version != "" && p.Version != version) {
			continue
		}
		found = append(found, sm)
	}
	if len(found) == 0 {
		return controlplane.SmartModule{}, false
	}
	sort.Slice(found, func(i, j int) bool { return newerPackage(found[i], found[j]) })
	return found[0], true
}

// parseSmartModuleName splits [group/]name[@version].
func parseSmartModuleName(s string) (group, name, version string) {
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s, version = s[:i], s[i+1:]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		group, s = s[:i], s[i+1:]
	}
	return group, s, version
}

// newerPackage orders a before b when a's version is higher (unparsable
// versions last), then by store key for a stable choice.
func newerPackage(a, b controlplane.SmartModule) bool {
	va, ea := semver.NewVersion(a.Package.Version)
	vb, eb := semver.NewVersion(b.Package.Version)
	switch {
	case ea == nil && eb == nil && !va.Equal(vb):
		return va.GreaterThan(vb)
	case ea == nil && eb != nil:
		return true
	case ea != nil && eb == nil:
		return false
	}
	return a.Name < b.Name
}
