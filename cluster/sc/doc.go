// Package sc is the Fluvio controller (SC): the metadata store, replica
// assignment, the SPU registry, watch streams and the admin API that real
// Fluvio clients speak (spec protocol.md §3, §8.1; Rust: crates/fluvio-sc).
//
// A Server listens on two ports: the public one (default 9003) serves
// ApiVersions, Create, Delete, List, Watch and Update to clients; the private
// one (default 9004) serves the SPU control plane (cluster/controlplane).
// Both call the Controller, which owns every change to the Store.
//
// Objects: Topic, Partition ("<topic>-<n>"), SPU, CustomSpu, SpuGroup,
// SmartModule and TableFormat, each with a spec, a status and the store epoch
// of its last change. In local mode (`fluvio-run sc --local <dir>`) every
// object is written atomically to <dir>/<kind>/<name>.meta (persist.go) and
// reloaded on start; SPU and partition statuses are rebuilt at runtime (all
// SPUs start offline).
//
// Topics: Create validates the name, the configuration and the replica
// parameters with Fluvio's error codes, then assigns partitions round-robin
// over the online SPUs (followers are the next SPUs; racks alternate unless
// ignored) or takes an explicit replica map, and stores the topic as
// Provisioned with its partitions. The system topic consumer-offset is
// created at start and assigned as soon as an SPU is online, so watch full
// syncs are never empty. A partition is Online while its leader is connected
// and has reported it; its HW, LEO, size and base offset come from the
// leader's reports.
//
// SPUs: an SPU connects to the private port and registers with its id and
// endpoints; it is Online while that connection lives. An SPU whose id has no
// CustomSpu object is auto-registered as CustomSpu "custom-spu-<id>" (the
// name `fluvio cluster start` uses), so `fluvio-run spu -i 5001` works out of
// the box. The SPU object's public_endpoint is the host and port the SPU
// advertised (an unspecified host such as 0.0.0.0 is replaced by the address
// the SPU connected from).
//
// Watch: each stream first gets a full sync, then UPDATE/DELETE changes on
// the request's correlation id for as long as the connection lives. Streams
// of one connection share its writer. The store never waits for a watcher:
// each has a bounded change queue and is resynced with a full frame when it
// overflows.
package sc
