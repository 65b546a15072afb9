package protocol

// Consumer-offset APIs (api keys 1006-1008 on the SPU), spec §4.7;
// fluvio-spu-schema server/consumer_offset.rs. The SPU does not advertise
// them, so clients send them at their default version (23 for v0.11.11, 25
// for HEAD).

// FetchConsumerOffsetsFilterVersion is the first version carrying
// FetchConsumerOffsetsRequest.filter_opts.
const FetchConsumerOffsetsFilterVersion int16 = 24

// ReplicaKey names a partition replica: topic and partition index.
type ReplicaKey struct {
	Topic     string
	Partition uint32
}

// Encode appends the topic and partition.
func (k *ReplicaKey) Encode(dst []byte) []byte {
	return AppendUint32(AppendString(dst, k.Topic), k.Partition)
}

// Decode reads the topic and partition.
func (k *ReplicaKey) Decode(r *Reader) {
	k.Topic = r.String()
	k.Partition = r.Uint32()
}

// UpdateConsumerOffsetRequest commits the offset of the consumer that owns
// the stream session_id (the StreamFetch must have carried a consumer_id).
type UpdateConsumerOffsetRequest struct {
	Offset    int64
	SessionID uint32
}

// Encode appends the request body.
func (u *UpdateConsumerOffsetRequest) Encode(dst []byte, _ int16) []byte {
	return AppendUint32(AppendInt64(dst, u.Offset), u.SessionID)
}

// Decode reads the request body.
func (u *UpdateConsumerOffsetRequest) Decode(r *Reader, _ int16) {
	u.Offset = r.Int64()
	u.SessionID = r.Uint32()
}

// UpdateConsumerOffsetResponse answers UpdateConsumerOffsetRequest.
type UpdateConsumerOffsetResponse struct {
	Offset    int64
	ErrorCode ErrorCode
}

// Encode appends the response body.
func (u *UpdateConsumerOffsetResponse) Encode(dst []byte, _ int16) []byte {
	return u.ErrorCode.Encode(AppendInt64(dst, u.Offset))
}

// Decode reads the response body.
func (u *UpdateConsumerOffsetResponse) Decode(r *Reader, _ int16) {
	u.Offset = r.Int64()
	u.ErrorCode.Decode(r)
}

// DeleteConsumerOffsetRequest removes a consumer's stored offset for a
// replica.
type DeleteConsumerOffsetRequest struct {
	ReplicaID  ReplicaKey
	ConsumerID string
}

// Encode appends the request body.
func (d *DeleteConsumerOffsetRequest) Encode(dst []byte, _ int16) []byte {
	return AppendString(d.ReplicaID.Encode(dst), d.ConsumerID)
}

// Decode reads the request body.
func (d *DeleteConsumerOffsetRequest) Decode(r *Reader, _ int16) {
	d.ReplicaID.Decode(r)
	d.ConsumerID = r.String()
}

// DeleteConsumerOffsetResponse answers DeleteConsumerOffsetRequest.
type DeleteConsumerOffsetResponse struct {
	ErrorCode ErrorCode
}

// Encode appends the response body.
func (d *DeleteConsumerOffsetResponse) Encode(dst []byte, _ int16) []byte {
	return d.ErrorCode.Encode(dst)
}

// Decode reads the response body.
func (d *DeleteConsumerOffsetResponse) Decode(r *Reader, _ int16) {
	d.ErrorCode.Decode(r)
}

// FetchConsumerOffsetsRequest lists stored consumer offsets. Below v24 the
// body is empty; from v24 an optional filter narrows the list (HEAD clients
// rely on the server filtering).
type FetchConsumerOffsetsRequest struct {
	FilterOpts *ConsumerOffsetFilter // v24+
}

// ConsumerOffsetFilter selects consumer offsets; nil fields match all.
type ConsumerOffsetFilter struct {
	ReplicaID  *ReplicaKey
	ConsumerID *string
}

// Matches reports whether the filter (nil matches all) selects c.
func (f *ConsumerOffsetFilter) Matches(c *ConsumerOffset) bool {
	if f == nil {
		return true
	}
	if f.ReplicaID != nil && *f.ReplicaID != c.ReplicaID {
		return false
	}
	return f.ConsumerID == nil || *f.ConsumerID == c.ConsumerID
}

// Encode appends the request body at version.
func (f *FetchConsumerOffsetsRequest) Encode(dst []byte, version int16) []byte {
	if version < FetchConsumerOffsetsFilterVersion {
		return dst
	}
	if f.FilterOpts == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	if f.FilterOpts.ReplicaID == nil {
		dst = append(dst, 0)
	} else {
		dst = f.FilterOpts.ReplicaID.Encode(append(dst, 1))
	}
	return AppendOptString(dst, f.FilterOpts.ConsumerID)
}

// Decode reads the request body at version.
func (f *FetchConsumerOffsetsRequest) Decode(r *Reader, version int16) {
	*f = FetchConsumerOffsetsRequest{}
	if version < FetchConsumerOffsetsFilterVersion || !r.Bool() {
		return
	}
	opts := &ConsumerOffsetFilter{}
	if r.Bool() {
		opts.ReplicaID = &ReplicaKey{}
		opts.ReplicaID.Decode(r)
	}
	opts.ConsumerID = r.OptString()
	if r.Err() == nil {
		f.FilterOpts = opts
	}
}

// FetchConsumerOffsetsResponse lists stored consumer offsets.
type FetchConsumerOffsetsResponse struct {
	ErrorCode ErrorCode
	Consumers []ConsumerOffset
}

// ConsumerOffset is one stored consumer offset.
type ConsumerOffset struct {
	ConsumerID string
	ReplicaID  ReplicaKey
	// Offset is the last committed offset (consumers resume at Offset+1).
	Offset int64
	// ModifiedTime is the commit time in ms since the epoch.
	ModifiedTime uint64
}

// Encode appends the response body.
func (f *FetchConsumerOffsetsResponse) Encode(dst []byte, _ int16) []byte {
	dst = f.ErrorCode.Encode(dst)
	dst = AppendArrayLen(dst, len(f.Consumers))
	for i := range f.Consumers {
		c := &f.Consumers[i]
		dst = AppendString(dst, c.ConsumerID)
		dst = c.ReplicaID.Encode(dst)
		dst = AppendInt64(dst, c.Offset)
		dst = AppendUint64(dst, c.ModifiedTime)
	}
	return dst
}

// Decode reads the response body.
func (f *FetchConsumerOffsetsResponse) Decode(r *Reader, _ int16) {
	*f = FetchConsumerOffsetsResponse{}
	f.ErrorCode.Decode(r)
	if n := r.ArrayLen(24); n > 0 { // id (2) + replica (6) + offset (8) + time (8)
		f.Consumers = make([]ConsumerOffset, n)
		for i := range f.Consumers {
			c := &f.Consumers[i]
			c.ConsumerID = r.String()
			c.ReplicaID.Decode(r)
			c.Offset = r.Int64()
			c.ModifiedTime = r.Uint64()
		}
	}
	if r.Err() != nil {
		f.Consumers = nil
	}
}
