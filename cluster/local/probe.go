package local

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

// ProbeSC asks addr for ApiVersions, as every client does first, and
// returns the platform version the SC reports.
func ProbeSC(ctx context.Context, addr string) (string, error) {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	const version = 2
	h := &protocol.RequestHeader{APIKey: protocol.KeyApiVersions, APIVersion: version, CorrelationID: 1, ClientID: "fluvio-cluster-local"}
	req := &protocol.ApiVersionsRequest{ClientVersion: "0.14.9", ClientOS: "linux", ClientArch: "x86_64"}
	if _, err := conn.Write(protocol.EncodeRequestFrame(nil, h, req)); err != nil {
		return "", err
	}
	frame, err := protocol.ReadFrame(conn, nil, 1<<20)
	if err != nil {
		return "", fmt.Errorf("read ApiVersions response: %w", err)
	}
	r := protocol.NewReader(frame)
	if corr := r.Int32(); corr != 1 {
		return "", fmt.Errorf("ApiVersions response for correlation id %d, want 1", corr)
	}
	var resp protocol.ApiVersionsResponse
	resp.Decode(r, version)
	if err := r.Err(); err != nil {
		return "", fmt.Errorf("decode ApiVersions response: %w", err)
	}
	if resp.ErrorCode.Code != 0 {
		return "", fmt.Errorf("ApiVersions error code %d", resp.ErrorCode.Code)
	}
	return resp.PlatformVersion, nil
}

// probeTCP reports whether something accepts connections on addr.
func probeTCP(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	// Dialing a free port in the ephemeral range can connect the socket to
	// itself (TCP simultaneous open); that is not a server.
	if c.LocalAddr().String() == c.RemoteAddr().String() {
		return fmt.Errorf("nothing listens on %s", addr)
	}
	return nil
}
