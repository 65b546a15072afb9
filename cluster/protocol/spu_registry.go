package protocol

import "fmt"

// SPUMaxVersion is the highest SPU api version any Fluvio client speaks
// (HEAD's COMMON_VERSION, spec §1.6); the SPU messages encode every version
// from 0 to it.
const SPUMaxVersion int16 = 25

// NewSPURequest returns an empty request body for an SPU public api key
// (spec §4.2), ready to Decode. StartMirror (2000) is not supported.
func NewSPURequest(key APIKey) (Message, bool) {
	switch key {
	case KeyApiVersions:
		return &ApiVersionsRequest{}, true
	case KeyProduce:
		return &ProduceRequest{}, true
	case KeyFetch:
		return &FetchRequest{}, true
	case KeyFetchOffsets:
		return &FetchOffsetsRequest{}, true
	case KeyStreamFetch:
		return &StreamFetchRequest{}, true
	case KeyUpdateOffsets:
		return &UpdateOffsetsRequest{}, true
	case KeyUpdateConsumerOffset:
		return &UpdateConsumerOffsetRequest{}, true
	case KeyDeleteConsumerOffset:
		return &DeleteConsumerOffsetRequest{}, true
	case KeyFetchConsumerOffsets:
		return &FetchConsumerOffsetsRequest{}, true
	}
	return nil, false
}

// NewSPUResponse returns an empty response body for an SPU public api key,
// ready to Decode.
func NewSPUResponse(key APIKey) (Message, bool) {
	switch key {
	case KeyApiVersions:
		return &ApiVersionsResponse{}, true
	case KeyProduce:
		return &ProduceResponse{}, true
	case KeyFetch:
		return &FetchResponse{}, true
	case KeyFetchOffsets:
		return &FetchOffsetsResponse{}, true
	case KeyStreamFetch:
		return &StreamFetchResponse{}, true
	case KeyUpdateOffsets:
		return &UpdateOffsetsResponse{}, true
	case KeyUpdateConsumerOffset:
		return &UpdateConsumerOffsetResponse{}, true
	case KeyDeleteConsumerOffset:
		return &DeleteConsumerOffsetResponse{}, true
	case KeyFetchConsumerOffsets:
		return &FetchConsumerOffsetsResponse{}, true
	}
	return nil, false
}

// DecodeSPURequest decodes the body of a request to the SPU whose header is
// h, at h.APIVersion. Like the Rust decoder it ignores bytes left after the
// body. Byte fields of the result (record sets, ad-hoc wasm) alias body.
func DecodeSPURequest(h *RequestHeader, body []byte) (Message, error) {
	m, ok := NewSPURequest(h.APIKey)
	if !ok {
		return nil, fmt.Errorf("%w: unknown SPU api key %d", ErrInvalid, h.APIKey)
	}
	r := NewReader(body)
	m.Decode(r, h.APIVersion)
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("decode SPU request key %d v%d: %w", h.APIKey, h.APIVersion, err)
	}
	return m, nil
}

// DecodeSPUResponse decodes the body of an SPU response to a request with
// api key and version (the response header already stripped).
func DecodeSPUResponse(key APIKey, version int16, body []byte) (Message, error) {
	m, ok := NewSPUResponse(key)
	if !ok {
		return nil, fmt.Errorf("%w: unknown SPU api key %d", ErrInvalid, key)
	}
	r := NewReader(body)
	m.Decode(r, version)
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("decode SPU response key %d v%d: %w", key, version, err)
	}
	return m, nil
}
