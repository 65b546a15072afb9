package protocol

import "sort"

// ApiVersions (api key 18), the first request on every SC and SPU
// connection (spec §1.5; Rust: fluvio-protocol/src/link/versions.rs).

// ApiVersionsVersions is the range of ApiVersions bodies this package
// encodes. Clients always send version 2; servers answer any version.
var ApiVersionsVersions = VersionRange{Min: 0, Max: 2}

// ApiVersionsRequest asks a server which api keys and versions it speaks.
type ApiVersionsRequest struct {
	// ClientVersion is the client's fluvio-socket crate version ("0.14.9"
	// for Fluvio v0.11.11). v1+
	ClientVersion string
	// ClientOS is the client's operating system ("linux"). v1+
	ClientOS string
	// ClientArch is the client's CPU architecture ("x86_64"). v1+
	ClientArch string
}

// Encode appends the request body at version.
func (m *ApiVersionsRequest) Encode(dst []byte, version int16) []byte {
	if version >= 1 {
		dst = AppendString(dst, m.ClientVersion)
		dst = AppendString(dst, m.ClientOS)
		dst = AppendString(dst, m.ClientArch)
	}
	return dst
}

// Decode reads the request body at version.
func (m *ApiVersionsRequest) Decode(r *Reader, version int16) {
	*m = ApiVersionsRequest{}
	if version >= 1 {
		m.ClientVersion = r.String()
		m.ClientOS = r.String()
		m.ClientArch = r.String()
	}
}

// ApiVersionKey is one advertised api key with its version range.
type ApiVersionKey struct {
	APIKey     int16
	MinVersion int16
	MaxVersion int16
}

// apiVersionKeySize is the encoded size of an ApiVersionKey.
const apiVersionKeySize = 6

// ApiVersionsResponse lists the api keys a server speaks and its platform
// version, which must parse as semver (the client checks it is >= 0.9.0 on
// the SC).
type ApiVersionsResponse struct {
	ErrorCode       ErrorCode
	APIKeys         []ApiVersionKey
	PlatformVersion string
}

// NewApiVersionsResponse builds a successful response advertising ranges in
// ascending api key order, as the real servers do.
func NewApiVersionsResponse(ranges map[APIKey]VersionRange, platformVersion string) *ApiVersionsResponse {
	keys := make([]APIKey, 0, len(ranges))
	for k := range ranges {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	resp := &ApiVersionsResponse{PlatformVersion: platformVersion, APIKeys: make([]ApiVersionKey, 0, len(keys))}
	for _, k := range keys {
		vr := ranges[k]
		resp.APIKeys = append(resp.APIKeys, ApiVersionKey{APIKey: int16(k), MinVersion: vr.Min, MaxVersion: vr.Max})
	}
	return resp
}

// Lookup returns the advertised range for key.
func (m *ApiVersionsResponse) Lookup(key APIKey) (VersionRange, bool) {
	for _, k := range m.APIKeys {
		if k.APIKey == int16(key) {
			return VersionRange{Min: k.MinVersion, Max: k.MaxVersion}, true
		}
	}
	return VersionRange{}, false
}

// Encode appends the response body at version (no field is version-gated).
func (m *ApiVersionsResponse) Encode(dst []byte, version int16) []byte {
	dst = m.ErrorCode.Encode(dst)
	dst = AppendArrayLen(dst, len(m.APIKeys))
	for _, k := range m.APIKeys {
		dst = AppendInt16(dst, k.APIKey)
		dst = AppendInt16(dst, k.MinVersion)
		dst = AppendInt16(dst, k.MaxVersion)
	}
	return AppendString(dst, m.PlatformVersion)
}

// Decode reads the response body at version.
func (m *ApiVersionsResponse) Decode(r *Reader, version int16) {
	*m = ApiVersionsResponse{}
	m.ErrorCode.Decode(r)
	n := r.ArrayLen(apiVersionKeySize)
	if n > 0 {
		m.APIKeys = make([]ApiVersionKey, n)
		for i := range m.APIKeys {
			m.APIKeys[i] = ApiVersionKey{APIKey: r.Int16(), MinVersion: r.Int16(), MaxVersion: r.Int16()}
		}
	}
	m.PlatformVersion = r.String()
}
