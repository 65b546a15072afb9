package smartmodules_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"

	"github.com/gofluvio/fluvio/cluster/protocol"
	"github.com/gofluvio/fluvio/cluster/smartengine"
	"github.com/gofluvio/fluvio/cluster/spu"
	"github.com/gofluvio/fluvio/cluster/spu/smartmodules"
)

// allocBytes reports the heap bytes allocated while f runs.
func allocBytes(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(sample)
	before := sample[0].Value.Uint64()
	f()
	metrics.Read(sample)
	return sample[0].Value.Uint64() - before
}

// seedBatches are producer-style batches of a few records with every codec.
func seedBatches(f *testing.F) [][]byte {
	var out [][]byte
	for _, codec := range []protocol.Compression{protocol.CompressionNone, protocol.CompressionGzip, protocol.CompressionSnappy, protocol.CompressionLz4, protocol.CompressionZstd} {
		recs := []protocol.Record{{Value: []byte("apple")}, {Key: []byte("k"), Value: []byte("fig")}, {Value: []byte("banana"), TimestampDelta: 5}}
		b := protocol.NewBatch(1700000000000, recs)
		enc, err := protocol.AppendBatch(nil, &b, codec)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, enc)
	}
	return out
}

// fuzzTransform keeps one chain of filter-on-a then map-uppercase and
// rebuilds it after a failure leaves it unusable.
type fuzzTransform struct {
	f   *testing.F
	eng *smartmodules.Engine
	req spu.TransformRequest
	tr  spu.Transform
}

func newFuzzTransform(f *testing.F) *fuzzTransform {
	eng := smartmodules.New(smartengine.Config{MaxMemoryBytes: fuzzGuestMemory})
	f.Cleanup(func() { _ = eng.Close() })
	req := spu.TransformRequest{Version: 23, MaxBytes: 1 << 20, SmartModules: []protocol.SmartModuleInvocation{
		adHoc(f, fixture(f, "filter-on-a.wasm"), filterKind, nil),
		adHoc(f, fixture(f, "map-uppercase.wasm"), mapKind, nil),
	}}
	ft := &fuzzTransform{f: f, eng: eng, req: req}
	ft.reset()
	return ft
}

func (ft *fuzzTransform) reset() {
	if ft.tr != nil {
		ft.tr.Close()
	}
	tr, code := ft.eng.NewTransform(context.Background(), nil, ft.req)
	if !code.IsOK() {
		ft.f.Fatal(code.Err())
	}
	ft.tr = tr
}

// fuzzGuestMemory limits each module instance's linear memory (which lives
// on the Go heap) so the allocation bound below holds: a module may grow its
// memory up to the limit for a large (claimed) record.
const fuzzGuestMemory = 64 << 20

// allocBound allows decompressing one batch to the protocol's bound a few
// times over (input scratch, guest input copy, output), the guest memories
// of the chain's two modules, and slack.
const allocBound = 4*protocol.MaxDecompressedSize + 2*fuzzGuestMemory + 16<<20

// FuzzProduce feeds arbitrary produced batches (client bytes) through a
// chain: no panic, bounded allocation, and any batch to store is valid
// (CRC, magic, one record per offset).
func FuzzProduce(f *testing.F) {
	for _, b := range seedBatches(f) {
		f.Add(b)
	}
	ft := newFuzzTransform(f)
	f.Fuzz(func(t *testing.T, batch []byte) {
		var (
			out  []byte
			code protocol.ErrorCode
		)
		n := allocBytes(func() { out, code = ft.tr.Produce(context.Background(), batch) })
		if n > allocBound {
			t.Fatalf("allocated %d bytes for a %d-byte batch", n, len(batch))
		}
		if !code.IsOK() {
			if code.Code == protocol.Other {
				ft.reset()
			}
			if out != nil {
				t.Fatalf("output with error %v", code.Err())
			}
			return
		}
		if out == nil {
			return
		}
		if _, _, err := protocol.DecodeBatchStrict(out); err != nil {
			t.Fatalf("stored batch invalid: %v", err)
		}
	})
}

// FuzzProcess feeds arbitrary record sets through a stream chain: no
// panic, bounded allocation, and the output batch decodes with next past
// its last offset. Check never claims more than the input, and Process
// with what Check returned (as the SPU runs it) gives the same result as
// Process checking everything itself. Gathering the outputs of batches into
// one batch is invisible: the records (offsets, timestamps and all) are
// those a call per batch yields (the chain is stateless).
func FuzzProcess(f *testing.F) {
	seeds := seedBatches(f)
	for _, b := range seeds {
		f.Add(b)
	}
	var all []byte
	for i, b := range seeds {
		b = append([]byte(nil), b...)
		protocol.SetBatchBaseOffset(b, int64(3*i))
		all = append(all, b...)
	}
	f.Add(all)
	// Uncompressed batches whose outputs share one output batch, then one
	// whose output cannot (its timestamps are absent).
	var merged []byte
	for i, ts := range []int64{1700000000000, 1700000000500, 1690000000000, -1} {
		recs := []protocol.Record{{Value: []byte("a" + strings.Repeat("b", i)), TimestampDelta: int64(i)}, {Value: []byte("zz")}, {Key: []byte("k"), Value: []byte("banana")}}
		b := protocol.NewBatch(ts, recs)
		enc, err := protocol.AppendBatch(nil, &b, protocol.CompressionNone)
		if err != nil {
			f.Fatal(err)
		}
		protocol.SetBatchBaseOffset(enc, int64(10*i))
		merged = append(merged, enc...)
	}
	f.Add(merged)
	// A stored batch whose records section claims 0xff303030 records.
	f.Add([]byte("00000000\x00\x00\x0020000000000 0000000000000000000000000000000000\xff0000000000000000000000000000000000000000"))
	ft := newFuzzTransform(f)
	f.Fuzz(func(t *testing.T, batches []byte) {
		var (
			out  []byte
			next int64
			code protocol.ErrorCode
		)
		n := allocBytes(func() {
			out, next, code = ft.tr.Process(context.Background(), batches, 0)
			if out != nil {
				var err error
				if out, err = ft.tr.Finish(out); err != nil {
					t.Fatalf("Finish: %v", err)
				}
				out = bytes.Clone(out) // later calls reuse the buffer
			}
		})
		if n > allocBound+uint64(4*len(batches)) {
			t.Fatalf("allocated %d bytes for %d bytes of batches", n, len(batches))
		}
		if code.Code != protocol.Other { // the chain is still usable
			checked := ft.tr.Check(batches)
			if checked < 0 || checked > len(batches) {
				t.Fatalf("Check claims %d of %d bytes", checked, len(batches))
			}
			want := out
			out2, next2, code2 := ft.tr.Process(context.Background(), batches, checked)
			if out2 != nil {
				var err error
				if out2, err = ft.tr.Finish(out2); err != nil {
					t.Fatalf("Finish: %v", err)
				}
			}
			if !bytes.Equal(want, out2) || next2 != next || fmt.Sprint(code2) != fmt.Sprint(code) {
				t.Fatalf("with %d bytes checked ahead: next %d, %v; checked in Process: next %d, %v", checked, next2, code2.Err(), next, code.Err())
			}
			if code.IsOK() {
				if one, ok := batchByBatch(t, ft, batches, next); ok {
					if got := outputRecords(t, want); !slices.Equal(got, one) {
						t.Fatalf("one output batch holds\n%q\na call per batch gives\n%q", got, one)
					}
				}
			}
		}
		if code.Code == protocol.Other {
			ft.reset()
		}
		if out == nil {
			return
		}
		b, size, err := protocol.DecodeBatch(out)
		if err != nil || size != len(out) {
			t.Fatalf("output batch invalid: %v (size %d of %d)", err, size, len(out))
		}
		if !protocol.VerifyBatchCRC(out) {
			t.Fatal("output batch crc mismatch")
		}
		if got := b.Header.LastOffset() + 1; got != next {
			t.Fatalf("next %d, batch ends at %d", next, got)
		}
	})
}

// batchByBatch runs each of batches before offset next through the chain
// in a call of its own and returns the records of the outputs (see
// outputRecords); false when a call fails.
func batchByBatch(t *testing.T, ft *fuzzTransform, batches []byte, next int64) ([]string, bool) {
	var recs []string
	it := protocol.NewBatchIterator(batches)
	for it.Next() && it.Header().BaseOffset < next {
		out, _, code := ft.tr.Process(context.Background(), it.Batch(), 0)
		if !code.IsOK() {
			return nil, false
		}
		if out != nil {
			batch, err := ft.tr.Finish(out)
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			recs = append(recs, outputRecords(t, batch)...)
		}
	}
	return recs, it.Err() == nil
}

// outputRecords describes the records of an output batch as a consumer
// sees them: offset, timestamp, key, value and headers.
func outputRecords(t *testing.T, batch []byte) []string {
	if len(batch) == 0 {
		return nil
	}
	b, _, err := protocol.DecodeBatch(batch)
	if err != nil {
		t.Fatalf("output batch invalid: %v", err)
	}
	var recs []string
	for _, r := range b.Records {
		ts := r.TimestampDelta
		if b.Header.FirstTimestamp >= 0 {
			ts += b.Header.FirstTimestamp
		}
		recs = append(recs, fmt.Sprintf("%d@%d %q=%q %v", b.Header.BaseOffset+r.OffsetDelta, ts, r.Key, r.Value, r.Headers))
	}
	return recs
}
