package protocol

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadFrame(t *testing.T) {
	payload := bytes.Repeat([]byte("x"), 300<<10)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
	frame = append(frame, payload...)
	got, err := ReadFrame(bytes.NewReader(frame), nil, MaxFrameSize)
	require.NoError(t, err)
	require.Equal(t, payload, got)

	// reuses a big enough buffer
	buf := make([]byte, 0, 1<<20)
	got, err = ReadFrame(bytes.NewReader(frame), buf, MaxFrameSize)
	require.NoError(t, err)
	require.Equal(t, &buf[:1][0], &got[0])

	_, err = ReadFrame(bytes.NewReader(binary.BigEndian.AppendUint32(nil, 0xffffffff)), nil, MaxFrameSize)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = ReadFrame(bytes.NewReader(binary.BigEndian.AppendUint32(nil, MaxFrameSize+1)), nil, MaxFrameSize)
	require.ErrorIs(t, err, ErrTooLarge)
	_, err = ReadFrame(bytes.NewReader(frame[:1000]), nil, MaxFrameSize)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// A peer announcing a 50 MiB frame and sending 10 bytes must not make the
// server allocate 50 MiB.
func TestReadFrameDoesNotTrustTheLength(t *testing.T) {
	frame := binary.BigEndian.AppendUint32(nil, MaxFrameSize)
	frame = append(frame, make([]byte, 10)...)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ReadFrame(bytes.NewReader(frame), nil, MaxFrameSize)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))
}
