package protocol

// UpdateOffsets (api key 1005, v0), spec §4.6 and §4.5.3;
// fluvio-spu-schema server/update_offset.rs. The consumer acknowledges each
// stream frame with the next offset it wants; every request must be answered.

// UpdateOffsetsRequest acknowledges stream frames.
type UpdateOffsetsRequest struct {
	Offsets []OffsetUpdate
}

// OffsetUpdate acknowledges one stream.
type OffsetUpdate struct {
	// Offset is the next offset the consumer wants.
	Offset int64
	// SessionID is the StreamFetchResponse.StreamID.
	SessionID uint32
}

// Encode appends the request body.
func (u *UpdateOffsetsRequest) Encode(dst []byte, _ int16) []byte {
	dst = AppendArrayLen(dst, len(u.Offsets))
	for _, o := range u.Offsets {
		dst = AppendInt64(dst, o.Offset)
		dst = AppendUint32(dst, o.SessionID)
	}
	return dst
}

// Decode reads the request body.
func (u *UpdateOffsetsRequest) Decode(r *Reader, _ int16) {
	*u = UpdateOffsetsRequest{}
	if n := r.ArrayLen(12); n > 0 {
		u.Offsets = make([]OffsetUpdate, n)
		for i := range u.Offsets {
			u.Offsets[i].Offset = r.Int64()
			u.Offsets[i].SessionID = r.Uint32()
		}
	}
	if r.Err() != nil {
		u.Offsets = nil
	}
}

// UpdateOffsetsResponse answers UpdateOffsetsRequest.
type UpdateOffsetsResponse struct {
	Status []OffsetUpdateStatus
}

// OffsetUpdateStatus is the outcome for one stream: FetchSessionNotFoud
// (3002) for an unknown session.
type OffsetUpdateStatus struct {
	SessionID uint32
	Error     ErrorCode
}

// Encode appends the response body.
func (u *UpdateOffsetsResponse) Encode(dst []byte, _ int16) []byte {
	dst = AppendArrayLen(dst, len(u.Status))
	for i := range u.Status {
		dst = AppendUint32(dst, u.Status[i].SessionID)
		dst = u.Status[i].Error.Encode(dst)
	}
	return dst
}

// Decode reads the response body.
func (u *UpdateOffsetsResponse) Decode(r *Reader, _ int16) {
	*u = UpdateOffsetsResponse{}
	if n := r.ArrayLen(6); n > 0 {
		u.Status = make([]OffsetUpdateStatus, n)
		for i := range u.Status {
			u.Status[i].SessionID = r.Uint32()
			u.Status[i].Error.Decode(r)
		}
	}
	if r.Err() != nil {
		u.Status = nil
	}
}
