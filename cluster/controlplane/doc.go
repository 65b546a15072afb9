// Package controlplane is the internal protocol between the SC (controller)
// and the SPUs (streaming units): registration, the replicas, SPUs and
// SmartModules the SC pushes to each SPU, and the replica status the SPUs
// report back. It plays the role of Fluvio's fluvio-controlplane crate, with
// our own bytes: only our SC and our SPUs speak it.
//
// # Connection
//
// The SPU dials the SC private port (default 9004) and keeps one TCP
// connection open for its whole life. The SC marks the SPU Online while the
// connection lives and Offline as soon as it drops; an SPU reconnects with
// backoff and registers again.
//
//	SPU                                   SC
//	 |--- Register{id, endpoints, rack} --->|   correlation id 1
//	 |<-- RegisterResponse{error} ----------|   same correlation id
//	 |<-- UpdateSpus{Full}                  |   full syncs, in this order
//	 |<-- UpdateSmartModules{Full}          |
//	 |<-- UpdateReplicas{Full}              |
//	 |--- ReplicaStatusReport -------------->|   after each full sync, then on change
//	 |<-- Update*{changes} ... ------------->|   incremental, any order, as the store changes
//
// # Frames
//
// Every frame in both directions is a Fluvio frame (i32 length) holding a
// protocol.RequestHeader (api key, api version, correlation id, client id)
// followed by the body encoded at that version with the cluster/protocol
// primitives. Keys live in a private range (3000+) that no public client
// uses. The SC echoes the Register correlation id in RegisterResponse; all
// other frames are one-way and carry the sender's own increasing counter.
// Client id is "spu-<id>" from an SPU and "sc" from the SC. Use Conn to read
// and write them.
//
// Why one header shape in both directions? Pushes go SC→SPU and reports go
// SPU→SC on the same socket; with one header every frame is self-describing
// and one decoder (Decode) serves both ends.
//
// Why binary and not JSON? The SPU already links cluster/protocol; the same
// sticky Reader gives bounded allocation against a hostile or corrupt peer,
// and SmartModule pushes carry megabytes of wasm that JSON would inflate by a
// third with base64.
//
// # Versions
//
// Every message is at Version (0). A decoder refuses a version above Version
// with protocol.ErrInvalid. A later release adds fields gated on the header
// version (// vN+ comments) and keeps decoding older versions, so an SC can
// serve SPUs one release behind.
//
// # Messages
//
//   - Register (3000, SPU→SC): the SPU's id, its public endpoint (host and
//     port clients dial; the SC publishes it as the SPU object's
//     public_endpoint ingress hostname), its private endpoint (for followers
//     replicating from a leader), an optional rack and its build version.
//   - RegisterResponse (3001, SC→SPU): protocol.ErrorCode None on success;
//     SpuAlreadyExists when another live connection holds the id,
//     SpuRegisterationFailed with a message otherwise. After an error the SC
//     closes the connection.
//   - UpdateSpus (3002, SC→SPU): every SPU the SC knows with endpoints and
//     online flag. Full=true replaces the SPU's view; Full=false upserts Spus
//     and removes the ids in Removed.
//   - UpdateReplicas (3003, SC→SPU): the partition replicas this SPU hosts,
//     each with leader, replica list (leader first) and the topic config
//     storage and produce need (ReplicaConfig: compression, retention,
//     segment size, max partition size, system flag; always concrete values,
//     the SC fills Fluvio's defaults). Full=true is the complete set: a
//     hosted replica missing from it is no longer served but its data is
//     kept. Full=false upserts Replicas; Removed lists replicas whose topic
//     was deleted (or that moved away): the SPU stops serving them and
//     deletes their data.
//   - UpdateSmartModules (3004, SC→SPU): SmartModule objects by store key
//     with optional package metadata and the gzip-compressed wasm exactly as
//     stored by the SC, so the SPU resolves Predefined(name) invocations
//     (spec smartmodule/protocol §3.9). Full/Removed as above.
//   - ReplicaStatusReport (3005, SPU→SC): for replicas this SPU hosts: high
//     watermark, log end offset, size in bytes and log start offset. The SC
//     turns the leader's report into the Partition status (Online, HW, LEO,
//     size, base offset). Send one after every full replica sync and then on
//     change (coalescing is fine, e.g. at most every 100 ms per replica).
//
// Epoch fields carry the SC store epoch at the time of the push; they grow
// monotonically within one SC run and are informational for the SPU.
package controlplane
