// Package protocol is Fluvio's wire codec: framing, request and response
// headers, primitives, the SC and SPU API messages, record batches with their
// compression codecs, and the error-code table.
//
// It mirrors the Rust crates fluvio-protocol, fluvio-sc-schema and
// fluvio-spu-schema as described in shared/spec/protocol.md. Every integer is
// big-endian. Encoders are append-style (AppendInt32(dst, v)); decoding goes
// through a Reader whose first failure is sticky, so a decoder reads all its
// fields and checks Reader.Err once at the end.
//
// Why no reflection? The codec sits on the produce and fetch hot paths and its
// byte layout must match the Rust derive output exactly, field by field and
// version by version; plain code makes each version gate visible (// vN+).
//
// Decoders never trust a length prefix for allocation: every count or length
// is bounded by the bytes left in the frame before anything is allocated.
package protocol
