package spu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime/debug"
	"sync"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

func frameOf(payload []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...)
}

func payloadOf(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = seed + byte(i*7)
	}
	return p
}

func TestFrameReader(t *testing.T) {
	sizes := []int{0, 1, 100, frameBufMin - 4, frameBufMin - 3, frameBufMin + 1, 16 << 10, frameBufSize - 4, frameBufSize - 3,
		frameBufSize + 5000, 3 << 20, 7, frameBufSize + 100, frameBufSize + 200, 9}
	var stream []byte
	var want [][]byte
	for i, n := range sizes {
		p := payloadOf(n, byte(i))
		want = append(want, p)
		stream = append(stream, frameOf(p)...)
	}
	for _, tc := range []struct {
		name string
		rd   func() io.Reader
	}{
		{"all at once", func() io.Reader { return bytes.NewReader(stream) }},
		{"one byte per read", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(stream)) }},
		{"half buffers", func() io.Reader { return iotest.HalfReader(bytes.NewReader(stream)) }},
		{"data with EOF", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(stream)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fr := &frameReader{rd: tc.rd(), limit: protocol.MaxFrameSize}
			for i, w := range want {
				got, err := fr.next()
				require.NoError(t, err, "frame %d", i)
				require.True(t, bytes.Equal(w, got), "frame %d: %d bytes, want %d", i, len(got), len(w))
			}
			_, err := fr.next()
			require.ErrorIs(t, err, io.EOF)
		})
	}
}

// A connection that carries small frames keeps a small buffer; it grows
// for a larger frame, and a buffer for frames larger still is kept from
// the second one on (a one-off, like the request carrying a SmartModule,
// is not kept).
func TestFrameReaderMemory(t *testing.T) {
	var stream []byte
	for range 100 {
		stream = append(stream, frameOf(payloadOf(100, 1))...)
	}
	fr := &frameReader{rd: iotest.HalfReader(bytes.NewReader(stream)), limit: protocol.MaxFrameSize}
	for range 100 {
		_, err := fr.next()
		require.NoError(t, err)
	}
	require.Len(t, fr.buf, frameBufMin)

	big := frameOf(payloadOf(frameBufSize+10, 2))
	stream = append(append(append(frameOf(payloadOf(50<<10, 3)), big...), big...), frameOf(payloadOf(10, 4))...)
	fr = &frameReader{rd: bytes.NewReader(stream), limit: protocol.MaxFrameSize}
	_, err := fr.next()
	require.NoError(t, err)
	require.Len(t, fr.buf, frameBufSize, "grown for a 50 KiB frame")
	_, err = fr.next()
	require.NoError(t, err)
	require.Nil(t, fr.big, "the first large frame's buffer is not kept")
	_, err = fr.next()
	require.NoError(t, err)
	require.NotNil(t, fr.big, "the second one's is")
	got, err := fr.next()
	require.NoError(t, err)
	require.Equal(t, payloadOf(10, 4), got)
}

// A connection's one-off large frame lends its buffer to the server's
// pool once the next frame is asked for, and the next connection reads its
// own large frame into it: the bytes are that frame's.
func TestFrameReadersShareLargeFrameBuffers(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection may empty a sync.Pool
	var pool sync.Pool
	big1, big2 := payloadOf(frameBufSize+100, 5), payloadOf(frameBufSize+50, 6)
	first := &frameReader{rd: bytes.NewReader(append(frameOf(big1), frameOf(payloadOf(10, 7))...)), limit: protocol.MaxFrameSize, pool: &pool}
	got, err := first.next()
	require.NoError(t, err)
	require.Equal(t, big1, got)
	lent := unsafe.SliceData(got)
	got, err = first.next()
	require.NoError(t, err)
	require.Equal(t, payloadOf(10, 7), got)

	second := &frameReader{rd: bytes.NewReader(frameOf(big2)), limit: protocol.MaxFrameSize, pool: &pool}
	got, err = second.next()
	require.NoError(t, err)
	require.Equal(t, big2, got)
	require.Same(t, lent, unsafe.SliceData(got), "read into the first connection's buffer")
	_, err = second.next()
	require.ErrorIs(t, err, io.EOF)
	require.NotNil(t, pool.Get(), "given back before the connection's next frame")
}

func TestFrameReaderBuffered(t *testing.T) {
	a, b := frameOf(payloadOf(10, 1)), frameOf(payloadOf(20, 2))
	fr := &frameReader{rd: bytes.NewReader(append(append([]byte{}, a...), b[:10]...)), limit: protocol.MaxFrameSize}
	_, err := fr.next()
	require.NoError(t, err)
	require.False(t, fr.buffered(), "a partial frame is not a buffered frame")

	fr = &frameReader{rd: bytes.NewReader(append(append([]byte{}, a...), b...)), limit: protocol.MaxFrameSize}
	_, err = fr.next()
	require.NoError(t, err)
	require.True(t, fr.buffered())
	_, err = fr.next()
	require.NoError(t, err)
	require.False(t, fr.buffered())
}

func TestFrameReaderErrors(t *testing.T) {
	full := frameOf(payloadOf(1000, 3))
	for _, tc := range []struct {
		name  string
		in    []byte
		limit int
		want  error
	}{
		{"truncated payload", full[:500], protocol.MaxFrameSize, io.ErrUnexpectedEOF},
		{"truncated length", full[:2], protocol.MaxFrameSize, io.ErrUnexpectedEOF},
		{"over the limit", full, 999, protocol.ErrTooLarge},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xff}, protocol.MaxFrameSize, protocol.ErrTooLarge},
		{"large frame truncated", frameOf(payloadOf(frameBufSize*2, 4))[:frameBufSize+100], protocol.MaxFrameSize, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fr := &frameReader{rd: bytes.NewReader(tc.in), limit: tc.limit}
			_, err := fr.next()
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// FuzzFrameReader reads a byte stream, delivered in reads of arbitrary
// sizes, through two connections' frame readers sharing a pool: each yields
// exactly the frames a plain walk of the length prefixes finds, then the
// error it finds (a frame over the limit, a stream cut short), and never
// panics. The stream is built from frames: each 5 bytes of desc are a
// length prefix as sent (any i32) and how much of the payload follows (all
// of it, or a part: a stream cut short), so that small inputs make the
// frames of over 256 KiB that are read on their own.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x0a\x00\x00\x04\x00\x10\x00"), uint16(7), uint32(protocol.MaxFrameSize))
	f.Add([]byte("\x00\x04\x00\x09\x00\x00\x00\xa0\x00\x01"), uint16(4096), uint32(1<<20))
	f.Add([]byte("\xff\xff\xff\xff\x00"), uint16(1), uint32(100))
	f.Add([]byte("\x00\x00\x01\xf4\x00\x00"), uint16(0), uint32(499))
	var pool sync.Pool
	f.Fuzz(func(t *testing.T, desc []byte, readSize uint16, limit uint32) {
		lim := int(limit % (2 * frameBufSize))
		var stream []byte
		for i := 0; i+5 <= len(desc) && len(stream) < 2<<20; i += 5 {
			n := int32(binary.BigEndian.Uint32(desc[i:]))
			stream = append(stream, desc[i:i+4]...)
			size := min(max(int(n), 0), 600<<10)
			if cut := desc[i+4]; cut != 0 {
				size = size * int(cut) / 256
			}
			stream = append(stream, bytes.Repeat([]byte{byte(i)}, size)...)
		}
		if len(desc)%5 != 0 { // a stream cut inside a length prefix
			stream = append(stream, desc[len(desc)-len(desc)%5:]...)
		}
		var want [][]byte
		wantErr := io.EOF
		for rest := stream; len(rest) > 0; {
			if len(rest) < 4 {
				wantErr = io.ErrUnexpectedEOF
				break
			}
			n := int32(binary.BigEndian.Uint32(rest))
			if n < 0 || int(n) > lim {
				wantErr = protocol.ErrTooLarge
				break
			}
			if len(rest) < 4+int(n) {
				wantErr = io.ErrUnexpectedEOF
				break
			}
			want = append(want, rest[4:4+int(n)])
			rest = rest[4+int(n):]
		}
		for range 2 {
			var rd io.Reader = bytes.NewReader(stream)
			if readSize > 0 {
				rd = &chunkedReader{b: stream, n: int(readSize)}
			}
			fr := &frameReader{rd: rd, limit: lim, pool: &pool}
			for i := 0; ; i++ {
				got, err := fr.next()
				if err != nil {
					if i != len(want) || !errors.Is(err, wantErr) {
						t.Fatalf("after %d of %d frames: %v, want %v", i, len(want), err, wantErr)
					}
					break
				}
				if i >= len(want) || !bytes.Equal(got, want[i]) {
					t.Fatalf("frame %d of %d differs (%d bytes)", i, len(want), len(got))
				}
			}
		}
	})
}

// chunkedReader returns at most n bytes per Read.
type chunkedReader struct {
	b []byte
	n int
}

func (r *chunkedReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[k:]
	return k, nil
}
