package protocol

import (
	"encoding/binary"
	"fmt"
	"io"
)

// MaxFrameSize is the default bound on one frame's payload (50 MiB, Fluvio's
// MAX_BYTES). Servers refuse larger frames before reading them.
const MaxFrameSize = 52428800

// ReadFrame reads one frame (i32 length, then that many bytes) from r into
// buf, growing it if needed, and returns the payload. A negative length or
// one above max is an error and nothing is allocated for it. A large frame
// is read in growing chunks, so a peer that announces 50 MiB and sends a
// few bytes makes the reader allocate about what it sent, not what it
// announced.
func ReadFrame(r io.Reader, buf []byte, limit int) ([]byte, error) {
	var lenb [4]byte
	if _, err := io.ReadFull(r, lenb[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lenb[:]))
	if n < 0 || int(n) > limit {
		return nil, fmt.Errorf("%w: frame of %d bytes (limit %d)", ErrTooLarge, n, limit)
	}
	if cap(buf) >= int(n) {
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, unexpectedEOF(err)
		}
		return buf, nil
	}
	const step = 64 << 10
	buf = buf[:0]
	for len(buf) < int(n) {
		want := min(int(n), max(2*cap(buf), step))
		if cap(buf) < want {
			buf = append(make([]byte, 0, want), buf...)
		}
		chunk := buf[len(buf):want]
		if _, err := io.ReadFull(r, chunk); err != nil {
			return nil, unexpectedEOF(err)
		}
		buf = buf[:want]
	}
	return buf, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// BeginFrame appends a placeholder length prefix and returns the index of the
// frame start; FinishFrame fills the length in once the payload is appended.
func BeginFrame(dst []byte) ([]byte, int) { return append(dst, 0, 0, 0, 0), len(dst) }

// FinishFrame writes the payload length of the frame that starts at start.
func FinishFrame(dst []byte, start int) []byte {
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// RequestHeader precedes every request body (always decoded at version 0).
type RequestHeader struct {
	APIKey        APIKey
	APIVersion    int16
	CorrelationID int32
	ClientID      string
}

// Encode appends the header.
func (h *RequestHeader) Encode(dst []byte) []byte {
	dst = AppendUint16(dst, uint16(h.APIKey))
	dst = AppendInt16(dst, h.APIVersion)
	dst = AppendInt32(dst, h.CorrelationID)
	return AppendString(dst, h.ClientID)
}

// Decode reads the header.
func (h *RequestHeader) Decode(r *Reader) {
	h.APIKey = APIKey(r.Uint16())
	h.APIVersion = r.Int16()
	h.CorrelationID = r.Int32()
	h.ClientID = r.String()
}

// EncodeRequestFrame appends a whole request frame: length, header, body
// encoded at h.APIVersion.
func EncodeRequestFrame(dst []byte, h *RequestHeader, body Message) []byte {
	dst, start := BeginFrame(dst)
	dst = h.Encode(dst)
	dst = body.Encode(dst, h.APIVersion)
	return FinishFrame(dst, start)
}

// EncodeResponseFrame appends a whole response frame: length, correlation id,
// body encoded at version (the request's api_version).
func EncodeResponseFrame(dst []byte, correlationID int32, version int16, body Message) []byte {
	dst, start := BeginFrame(dst)
	dst = AppendInt32(dst, correlationID)
	dst = body.Encode(dst, version)
	return FinishFrame(dst, start)
}
