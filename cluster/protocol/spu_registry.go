package protocol

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
