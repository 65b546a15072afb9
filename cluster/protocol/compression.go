package protocol

// Batch compression codecs (spec §5.4, Rust crate fluvio-compression).
//
// Every codec is a self-describing stream format, never a raw block:
//
//	gzip    one RFC 1952 member, default level, header 1f8b 08 00 00000000 00 ff
//	snappy  the Snappy *framing* format (stream identifier chunk "sNaPpY")
//	lz4     the LZ4 *frame* format: independent 64 KiB blocks, no checksums
//	zstd    a standard zstd frame, level 1 (SpeedFastest)
//
// Why pools? Batch codecs sit on the produce and fetch hot paths, and every
// codec's encoder or decoder carries tables or windows worth reusing.
//
// Why streaming decoders everywhere? Decompression must be bounded by the
// caller: reading through a stream into a buffer that never grows past maxOut
// turns a decompression bomb into an error instead of an allocation.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Compression errors.
var (
	// ErrUnknownCompression means a batch names a codec outside 0..4.
	ErrUnknownCompression = errors.New("protocol: unknown compression codec")
	// ErrDecompressedTooLarge means decompressed data would exceed the
	// caller's bound (a decompression bomb, or a batch above the limit).
	ErrDecompressedTooLarge = errors.New("protocol: decompressed data exceeds limit")
	// ErrCorruptCompressed means compressed data could not be decoded.
	ErrCorruptCompressed = errors.New("protocol: corrupt compressed data")
)

// MaxDecompressedSize is the default bound on one batch's decompressed
// records section: the frame limit, since an uncompressed batch must fit a
// frame too.
const MaxDecompressedSize = MaxFrameSize

// snappyBlockSize is the largest uncompressed chunk the Snappy framing format
// allows.
const snappyBlockSize = 64 << 10

// snappyStreamID is the Snappy framing stream identifier chunk.
var snappyStreamID = []byte{0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P', 'p', 'Y'}

// zstdMaxWindow bounds the window a zstd frame may ask for. Level-1 frames
// from the Rust client use 512 KiB; zstd -19 uses at most 8 MiB.
const zstdMaxWindow = 32 << 20

var (
	gzipWriters = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
		return w
	}}
	gzipReaders sync.Pool // *gzip.Reader (needs a valid header to be created)

	snappyWriters = sync.Pool{New: func() any {
		return s2.NewWriter(io.Discard, s2.WriterSnappyCompat(), s2.WriterConcurrency(1))
	}}
	snappyReaders = sync.Pool{New: func() any {
		return s2.NewReader(nil, s2.ReaderMaxBlockSize(snappyBlockSize))
	}}

	lz4Writers = sync.Pool{New: func() any {
		w := lz4.NewWriter(io.Discard)
		_ = w.Apply(
			lz4.BlockSizeOption(lz4.Block64Kb),
			lz4.BlockChecksumOption(false),
			lz4.ChecksumOption(false),
			lz4.ConcurrencyOption(1),
			lz4.CompressionLevelOption(lz4.Fast),
		)
		return w
	}}
	lz4Readers = sync.Pool{New: func() any {
		r := lz4.NewReader(nil)
		_ = r.Apply(lz4.ConcurrencyOption(1))
		return r
	}}

	zstdEncoderOnce sync.Once
	zstdEncoder     *zstd.Encoder // EncodeAll is safe for concurrent use
	zstdEncoderErr  error

	zstdReaders = sync.Pool{New: func() any {
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow),
		)
		if err != nil {
			return err
		}
		return d
	}}
)

var unixEpoch = time.Unix(0, 0)

func getZstdEncoder() (*zstd.Encoder, error) {
	zstdEncoderOnce.Do(func() {
		zstdEncoder, zstdEncoderErr = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderCRC(false),
		)
	})
	return zstdEncoder, zstdEncoderErr
}

// appendWriter is an io.Writer appending to a byte slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// Compress appends src compressed with codec to dst. CompressionNone
// appends src unchanged.
func Compress(codec Compression, dst, src []byte) ([]byte, error) {
	switch codec {
	case CompressionNone:
		return append(dst, src...), nil
	case CompressionGzip:
		out := &appendWriter{b: dst}
		w := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(w)
		w.Reset(out)
		// Why set ModTime? klauspost's gzip writes the zero time.Time as
		// its (truncated) Unix seconds; flate2 writes mtime 0.
		w.ModTime = unixEpoch
		if _, err := w.Write(src); err != nil {
			return dst, fmt.Errorf("gzip compress: %w", err)
		}
		if err := w.Close(); err != nil {
			return dst, fmt.Errorf("gzip compress: %w", err)
		}
		return out.b, nil
	case CompressionSnappy:
		out := &appendWriter{b: dst}
		w := snappyWriters.Get().(*s2.Writer)
		defer snappyWriters.Put(w)
		w.Reset(out)
		if _, err := w.Write(src); err != nil {
			return dst, fmt.Errorf("snappy compress: %w", err)
		}
		if err := w.Close(); err != nil {
			return dst, fmt.Errorf("snappy compress: %w", err)
		}
		w.Reset(nil)
		if len(out.b) == len(dst) {
			// Empty input writes nothing; keep the output a valid stream.
			out.b = append(out.b, snappyStreamID...)
		}
		return out.b, nil
	case CompressionLz4:
		out := &appendWriter{b: dst}
		w := lz4Writers.Get().(*lz4.Writer)
		defer lz4Writers.Put(w)
		w.Reset(out)
		if _, err := w.Write(src); err != nil {
			return dst, fmt.Errorf("lz4 compress: %w", err)
		}
		if err := w.Close(); err != nil {
			return dst, fmt.Errorf("lz4 compress: %w", err)
		}
		w.Reset(io.Discard)
		return out.b, nil
	case CompressionZstd:
		enc, err := getZstdEncoder()
		if err != nil {
			return dst, fmt.Errorf("zstd compress: %w", err)
		}
		return enc.EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("%w: %d", ErrUnknownCompression, uint8(codec))
}

// Decompress appends src decompressed with codec to dst. The decompressed
// size may not exceed maxOut (MaxDecompressedSize if maxOut <= 0): larger
// output fails with ErrDecompressedTooLarge after allocating at most about
// maxOut bytes. Corrupt input fails with ErrCorruptCompressed.
func Decompress(codec Compression, dst, src []byte, maxOut int) ([]byte, error) {
	if maxOut <= 0 {
		maxOut = MaxDecompressedSize
	}
	if len(src) == 0 && codec != CompressionNone {
		if codec > CompressionZstd {
			return dst, fmt.Errorf("%w: %d", ErrUnknownCompression, uint8(codec))
		}
		return dst, fmt.Errorf("%s decompress: %w: empty input", codec, ErrCorruptCompressed)
	}
	switch codec {
	case CompressionNone:
		if len(src) > maxOut {
			return dst, fmt.Errorf("%w: %d bytes (limit %d)", ErrDecompressedTooLarge, len(src), maxOut)
		}
		return append(dst, src...), nil
	case CompressionGzip:
		return decompressGzip(dst, src, maxOut)
	case CompressionSnappy:
		r := snappyReaders.Get().(*s2.Reader)
		defer snappyReaders.Put(r)
		r.Reset(bytes.NewReader(src))
		out, err := readBounded(dst, r, maxOut, 4*len(src), len(src))
		r.Reset(nil)
		if err != nil {
			return dst, fmt.Errorf("snappy decompress: %w", err)
		}
		return out, nil
	case CompressionLz4:
		r := lz4Readers.Get().(*lz4.Reader)
		defer lz4Readers.Put(r)
		r.Reset(bytes.NewReader(src))
		out, err := readBounded(dst, r, maxOut, 4*len(src), len(src))
		r.Reset(nil)
		if err != nil {
			return dst, fmt.Errorf("lz4 decompress: %w", err)
		}
		return out, nil
	case CompressionZstd:
		return decompressZstd(dst, src, maxOut)
	}
	return dst, fmt.Errorf("%w: %d", ErrUnknownCompression, uint8(codec))
}

func decompressGzip(dst, src []byte, maxOut int) ([]byte, error) {
	br := bytes.NewReader(src)
	var r *gzip.Reader
	if v := gzipReaders.Get(); v != nil {
		r = v.(*gzip.Reader)
		if err := r.Reset(br); err != nil {
			gzipReaders.Put(r)
			return dst, fmt.Errorf("gzip decompress: %w: %w", ErrCorruptCompressed, err)
		}
	} else {
		var err error
		if r, err = gzip.NewReader(br); err != nil {
			return dst, fmt.Errorf("gzip decompress: %w: %w", ErrCorruptCompressed, err)
		}
	}
	defer gzipReaders.Put(r)
	// One member, like flate2's GzDecoder; trailing bytes are ignored.
	r.Multistream(false)
	hint := 4 * len(src)
	if len(src) >= 18 { // ISIZE trailer: the size modulo 2^32
		hint = int(binary.LittleEndian.Uint32(src[len(src)-4:]))
	}
	out, err := readBounded(dst, r, maxOut, hint, len(src))
	if err != nil {
		return dst, fmt.Errorf("gzip decompress: %w", err)
	}
	return out, nil
}

func decompressZstd(dst, src []byte, maxOut int) ([]byte, error) {
	v := zstdReaders.Get()
	d, ok := v.(*zstd.Decoder)
	if !ok {
		return dst, fmt.Errorf("zstd decompress: %w", v.(error))
	}
	defer zstdReaders.Put(d)
	if err := d.Reset(bytes.NewReader(src)); err != nil {
		return dst, fmt.Errorf("zstd decompress: %w: %w", ErrCorruptCompressed, err)
	}
	hint := 4 * len(src)
	var h zstd.Header
	if h.Decode(src) == nil && h.HasFCS {
		if h.FrameContentSize > uint64(maxOut) {
			return dst, fmt.Errorf("zstd decompress: %w: frame declares %d bytes (limit %d)", ErrDecompressedTooLarge, h.FrameContentSize, maxOut)
		}
		hint = int(h.FrameContentSize)
	}
	out, err := readBounded(dst, d, maxOut, hint, len(src))
	_ = d.Reset(nil)
	if err != nil {
		return dst, fmt.Errorf("zstd decompress: %w", err)
	}
	return out, nil
}

// readBounded appends everything r yields to dst, failing once more than
// maxOut bytes arrive. hint is the expected size, read from the stream
// (gzip ISIZE, zstd content size) or guessed, so it is not trusted: the first
// allocation is at most 64 KiB + 1032 × the input size (deflate's best ratio)
// and never above maxOut; past it the buffer grows with the actual output.
func readBounded(dst []byte, r io.Reader, maxOut, hint, srcLen int) ([]byte, error) {
	start := len(dst)
	limit := start + maxOut
	if hint < 512 {
		hint = 512
	}
	if c := 64<<10 + 1032*srcLen; hint > c {
		hint = c
	}
	if hint > maxOut {
		hint = maxOut
	}
	if free := cap(dst) - start; free < hint+1 {
		dst = append(dst[:cap(dst)], make([]byte, hint+1-free)...)[:start]
	}
	empty := 0
	for {
		if len(dst) == cap(dst) {
			if len(dst) > limit {
				return dst[:start], fmt.Errorf("%w: more than %d bytes", ErrDecompressedTooLarge, maxOut)
			}
			grow := cap(dst) - start
			if grow < 512 {
				grow = 512
			}
			if room := limit + 1 - len(dst); grow > room {
				grow = room
			}
			dst = append(dst, make([]byte, grow)...)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		if n == 0 && err == nil {
			// A corrupt stream can make a decoder return (0, nil) forever.
			if empty++; empty > 100 {
				return dst[:start], fmt.Errorf("%w: %w", ErrCorruptCompressed, io.ErrNoProgress)
			}
			continue
		}
		empty = 0
		dst = dst[:len(dst)+n]
		if len(dst) > limit {
			return dst[:start], fmt.Errorf("%w: more than %d bytes", ErrDecompressedTooLarge, maxOut)
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst[:start], fmt.Errorf("%w: %w", ErrCorruptCompressed, err)
		}
	}
}
