package protocol

import (
	"bytes"
	stdgzip "compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/internal/fixtures"
)

// specPayload is the decompressed records section of every batch of spec §7.7.
const specPayload = `00000002 46 00 00 00 01 0a 6b65792d61 2e 68656c6c6f2068656c6c6f2068656c6c6f2068656c6c6f 00
         46 00 00 02 01 0a 6b65792d62 2e 776f726c6420776f726c6420776f726c6420776f726c64 00`

var allCodecs = []Compression{CompressionNone, CompressionGzip, CompressionSnappy, CompressionLz4, CompressionZstd}

func readFixture(t testing.TB, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures.Path(t, elem...))
	require.NoError(t, err)
	return b
}

func TestDecompressClientPayloads(t *testing.T) {
	want := unhex(t, specPayload)
	for _, tc := range []struct {
		file  string
		codec Compression
	}{
		{"batch-payload-gzip.bin", CompressionGzip},
		{"batch-payload-snappy.bin", CompressionSnappy},
		{"batch-payload-lz4.bin", CompressionLz4},
		{"batch-payload-zstd.bin", CompressionZstd},
	} {
		t.Run(tc.codec.String(), func(t *testing.T) {
			src := readFixture(t, "wire", tc.file)
			got, err := Decompress(tc.codec, nil, src, 0)
			require.NoError(t, err)
			require.Equal(t, want, got)

			// appends after existing bytes
			got, err = Decompress(tc.codec, []byte("prefix"), src, 0)
			require.NoError(t, err)
			require.Equal(t, append([]byte("prefix"), want...), got)

			// the bound is exact: len(want) fits, one byte less does not
			_, err = Decompress(tc.codec, nil, src, len(want))
			require.NoError(t, err)
			_, err = Decompress(tc.codec, nil, src, len(want)-1)
			require.ErrorIs(t, err, ErrDecompressedTooLarge)

			// a truncated stream is an error, not a short result
			_, err = Decompress(tc.codec, nil, src[:len(src)-3], 0)
			require.Error(t, err)
		})
	}
}

func TestCompressHeaders(t *testing.T) {
	src := unhex(t, specPayload)
	tests := []struct {
		codec  Compression
		prefix string
	}{
		// flate2 default: mtime 0, XFL 0, OS 255 (spec §5.4)
		{CompressionGzip, "1f8b 08 00 00000000 00 ff"},
		// Snappy framing stream identifier chunk
		{CompressionSnappy, "ff 060000 734e61507059"},
		// LZ4 frame magic, FLG 0x60 (v1, independent blocks, no checksums), BD 0x40 (64 KiB)
		{CompressionLz4, "04224d18 60 40"},
		// zstd frame magic
		{CompressionZstd, "28b52ffd"},
	}
	for _, tc := range tests {
		t.Run(tc.codec.String(), func(t *testing.T) {
			out, err := Compress(tc.codec, []byte{0xaa}, src)
			require.NoError(t, err)
			require.Equal(t, byte(0xaa), out[0], "Compress appends to dst")
			prefix := unhex(t, tc.prefix)
			require.Equal(t, prefix, out[1:1+len(prefix)])
			back, err := Decompress(tc.codec, nil, out[1:], 0)
			require.NoError(t, err)
			require.Equal(t, src, back)
		})
	}
}

// TestCompressReadableByReferenceTools checks that what we write is read by
// independent decoders: Go's compress/gzip, the klauspost snappy framing
// reader and, when installed, the gzip, zstd and lz4 command-line tools.
func TestCompressReadableByReferenceTools(t *testing.T) {
	src := bytes.Repeat(unhex(t, specPayload), 3000) // > 64 KiB: several blocks
	tests := []struct {
		codec  Compression
		lib    func([]byte) ([]byte, error)
		cli    string
		cliArg []string
	}{
		{CompressionGzip, func(b []byte) ([]byte, error) {
			r, err := stdgzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		}, "gzip", []string{"-d", "-c"}},
		{CompressionSnappy, func(b []byte) ([]byte, error) {
			return io.ReadAll(snappy.NewReader(bytes.NewReader(b)))
		}, "", nil},
		{CompressionLz4, nil, "lz4", []string{"-d", "-c"}},
		{CompressionZstd, nil, "zstd", []string{"-d", "-c"}},
	}
	for _, tc := range tests {
		t.Run(tc.codec.String(), func(t *testing.T) {
			out, err := Compress(tc.codec, nil, src)
			require.NoError(t, err)
			require.Less(t, len(out), len(src)/4, "repetitive input must compress")
			if tc.lib != nil {
				got, err := tc.lib(out)
				require.NoError(t, err)
				require.Equal(t, src, got)
			}
			if tc.cli == "" {
				return
			}
			bin, err := exec.LookPath(tc.cli)
			if err != nil {
				t.Skipf("skipped CLI check: %s is not installed", tc.cli)
			}
			path := filepath.Join(t.TempDir(), "payload")
			require.NoError(t, os.WriteFile(path, out, 0o600))
			got, err := exec.Command(bin, append(tc.cliArg, path)...).Output()
			require.NoError(t, err, "%s could not read our output", tc.cli)
			require.Equal(t, src, got)
		})
	}
}

func TestCompressRoundTripSizes(t *testing.T) {
	for _, codec := range allCodecs {
		for _, size := range []int{0, 1, 100, 64 << 10, 64<<10 + 1, 300 << 10} {
			src := make([]byte, size)
			for i := range src {
				src[i] = byte(i * 7 / 13)
			}
			out, err := Compress(codec, nil, src)
			require.NoError(t, err)
			back, err := Decompress(codec, nil, out, 0)
			require.NoError(t, err, "%s size %d", codec, size)
			require.Equal(t, len(src), len(back), "%s size %d", codec, size)
			require.True(t, bytes.Equal(src, back), "%s size %d", codec, size)
		}
	}
}

func TestCompressConcurrent(t *testing.T) {
	src := bytes.Repeat([]byte("concurrent codecs share pools "), 500)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				codec := allCodecs[i%len(allCodecs)]
				out, err := Compress(codec, nil, src)
				if err != nil {
					errs <- err
					return
				}
				back, err := Decompress(codec, nil, out, 0)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(back, src) {
					errs <- io.ErrUnexpectedEOF
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestDecompressErrors(t *testing.T) {
	_, err := Compress(Compression(5), nil, []byte("x"))
	require.ErrorIs(t, err, ErrUnknownCompression)
	_, err = Decompress(Compression(7), nil, []byte("x"), 0)
	require.ErrorIs(t, err, ErrUnknownCompression)
	_, err = Decompress(CompressionNone, nil, []byte("abc"), 2)
	require.ErrorIs(t, err, ErrDecompressedTooLarge)

	for _, codec := range allCodecs[1:] {
		t.Run(codec.String(), func(t *testing.T) {
			for _, junk := range [][]byte{nil, {0}, []byte("definitely not compressed data at all")} {
				out, err := Decompress(codec, []byte("keep"), junk, 0)
				require.Error(t, err)
				require.Equal(t, "keep", string(out), "dst is returned unchanged on error")
			}
		})
	}
}

// TestDecompressBombBounded compresses 64 MiB of zeros (a few KiB compressed)
// and checks that decoding it under a 1 MiB bound fails without allocating
// anywhere near the full size.
func TestDecompressBombBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("compresses 64 MiB per codec")
	}
	zeros := make([]byte, 64<<20)
	for _, codec := range allCodecs[1:] {
		t.Run(codec.String(), func(t *testing.T) {
			bomb, err := Compress(codec, nil, zeros)
			require.NoError(t, err)
			require.Less(t, len(bomb), 4<<20)
			const limit = 1 << 20
			_, _ = Decompress(codec, nil, bomb, limit) // warm the pools
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err = Decompress(codec, nil, bomb, limit)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrDecompressedTooLarge)
			allocated := after.TotalAlloc - before.TotalAlloc
			require.Less(t, allocated, uint64(16<<20), "decoding a bomb allocated %d bytes", allocated)
		})
	}
}

// TestDecompressDistrustsSizeHints: a gzip trailer or zstd header claiming a
// large size must not make a small input allocate that size up front.
func TestDecompressDistrustsSizeHints(t *testing.T) {
	payload := unhex(t, specPayload)
	gz, err := Compress(CompressionGzip, nil, payload)
	require.NoError(t, err)
	lying := append([]byte{}, gz...)
	binary.LittleEndian.PutUint32(lying[len(lying)-4:], 0xffffffff) // ISIZE
	_, _ = Decompress(CompressionGzip, nil, lying, 0)               // warm the pool
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Decompress(CompressionGzip, nil, lying, 0)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrCorruptCompressed, "the ISIZE check fails")
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))

	// a zstd frame whose declared content size exceeds the bound fails
	// before decoding
	zs, err := Compress(CompressionZstd, nil, bytes.Repeat(payload, 100))
	require.NoError(t, err)
	_, err = Decompress(CompressionZstd, nil, zs, 1000)
	require.ErrorIs(t, err, ErrDecompressedTooLarge)
}
