// Package bench measures the broker against the machine it runs on, in one
// run, for the figures issue #3 asks for: first the physical limits
// (sequential write plus fdatasync of the data directory, loopback TCP),
// then produce and consume throughput with the Go client against a cluster
// of real `fluvio-run` processes started with `fluvio cluster start`,
// produce latency at half the maximum rate, the time `fluvio cluster start`
// takes to be ready and the idle resident memory of the SC plus one SPU.
//
// Run it with `make bench` (or `go test -run '^$' -bench Broker -benchtime
// 1x ./bench/`); it prints a table of ratios against the targets. Knobs:
//
//	FLUVIO_BENCH_DIR       data directory to measure and to keep the cluster in (default a temp dir)
//	FLUVIO_BENCH_MB        MiB per throughput measurement (default 128; loopback and
//	                       consume are measured three times and the median shown)
//	FLUVIO_BENCH_INPROCESS 1: produce, consume and latency against an in-process
//	                       cluster (cluster/clustertest), for profiling with -cpuprofile
//	FLUVIO_BENCH_FLUSH     flush policy of the in-process cluster ("batch", "os", "100ms")
//
// Why one benchmark with sub-benchmarks instead of independent ones? The
// targets are ratios between measurements (produce against the disk,
// consume against loopback), which only mean something when taken in the
// same run on the same machine under the same load.
package bench
