// Package spu is the streaming processing unit: it serves the SPU public
// API (spec protocol.md §4: ApiVersions, Produce, Fetch, FetchOffsets,
// StreamFetch, UpdateOffsets and the consumer-offset APIs 1006-1008) for the
// partition replicas it leads, storing them with cluster/storage, and learns
// those replicas from the SC over cluster/controlplane. It plays the role of
// Fluvio's fluvio-spu crate.
//
// # Connections
//
// One goroutine reads the frames of a connection and handles serial requests
// in order. Frames are read in place from one buffer per connection, so a
// produced batch goes from that buffer to the segment file (one write per
// request, storage.Replica.AppendSet) without another copy. The answers to
// requests that were already buffered behind the one handled are held and
// written together (up to 64 KiB of requests), so a pipelining client gets
// them in one write. Every response goes through the connection's writer lock,
// because StreamFetch responses (one goroutine per stream, many streams per
// connection) interleave with serial responses; clients match frames by
// correlation id. A ReadCommitted produce waits for the high watermark in its
// own goroutine so the acknowledgements of streams on the same connection
// are not held up behind it.
//
// # StreamFetch
//
// Flow control follows spec §4.5.3: nothing is sent while nothing is
// readable; after a frame the stream waits for the client's UpdateOffsets
// and continues from the acknowledged offset. Waiting for data is a wait on
// the replica's change channel (storage.Replica.Changed), never a poll.
// Stored batches are written with sendfile: the frame header is encoded with
// an empty record set whose length is then patched to the slice length, and
// the slice follows straight from the segment file.
//
// # Replication
//
// Each replica carries its leader and replica list from the SC. Only leaders
// are served now; a follower is stored but not fed (replication between SPUs
// comes later, through the private listener that is already bound).
package spu
