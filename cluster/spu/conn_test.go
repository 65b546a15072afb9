package spu

import (
	"bytes"
	"encoding/binary"
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
