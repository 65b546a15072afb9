package protocol

import "fmt"

// APIKey identifies a request type. SC and SPU keys share one space.
type APIKey uint16

// API keys (spec §3.1, §4.2).
const (
	KeyProduce              APIKey = 0
	KeyFetch                APIKey = 1
	KeyApiVersions          APIKey = 18
	KeyCreate               APIKey = 1001
	KeyDelete               APIKey = 1002
	KeyList                 APIKey = 1003
	KeyWatch                APIKey = 1004
	KeyMirroring            APIKey = 1005
	KeyUpdate               APIKey = 1006
	KeyFetchOffsets         APIKey = 1002 // SPU side; same number as Delete on the SC
	KeyStreamFetch          APIKey = 1003 // SPU side; same number as List on the SC
	KeyUpdateOffsets        APIKey = 1005 // SPU side
	KeyUpdateConsumerOffset APIKey = 1006 // SPU side
	KeyDeleteConsumerOffset APIKey = 1007
	KeyFetchConsumerOffsets APIKey = 1008
	KeyStartMirror          APIKey = 2000
)

// Message is a request or response body whose layout depends on the
// api_version it is encoded at.
type Message interface {
	// Encode appends the body encoded at version.
	Encode(dst []byte, version int16) []byte
	// Decode reads the body encoded at version; errors stay in r.
	Decode(r *Reader, version int16)
}

// VersionRange is an inclusive [Min, Max] of api versions.
type VersionRange struct{ Min, Max int16 }

// Contains reports whether v is in the range.
func (vr VersionRange) Contains(v int16) bool { return v >= vr.Min && v <= vr.Max }

// Negotiate picks the version the Rust client would use (spec §1.7): the
// lower of the two maxima when the ranges overlap.
func Negotiate(client, server VersionRange) (int16, bool) {
	if server.Max >= client.Min && server.Min <= client.Max {
		return min(client.Max, server.Max), true
	}
	return 0, false
}

// Platform versions advertised by Fluvio v0.11.11 (spec §1.6). Our servers
// advertise these so both v0.11.11 and HEAD clients settle on them.
const (
	SCCommonVersion  int16 = 16
	SPUCommonVersion int16 = 23
)

// SCVersions are the api ranges the SC advertises.
var SCVersions = map[APIKey]VersionRange{
	KeyCreate: {9, 16},
	KeyDelete: {1, 16},
	KeyList:   {15, 16},
	KeyWatch:  {15, 16},
	KeyUpdate: {1, 16},
}

// SPUVersions are the api ranges the SPU advertises. The consumer-offset
// APIs (1006-1008) are not advertised, as on the real SPU; clients send them
// at their default version.
var SPUVersions = map[APIKey]VersionRange{
	KeyProduce:       {0, 23},
	KeyFetch:         {0, 23},
	KeyFetchOffsets:  {23, 23},
	KeyStreamFetch:   {0, 23},
	KeyUpdateOffsets: {0, 0},
}

// ErrUnsupportedVersion is returned for a version outside a message's range.
func ErrUnsupportedVersion(key APIKey, v int16) error {
	return fmt.Errorf("%w: api key %d version %d not supported", ErrInvalid, key, v)
}
