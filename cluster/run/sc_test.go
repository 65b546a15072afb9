package run

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSCCmdRefusesUnsupportedModes(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--k8"}, "--k8"},
		{[]string{"--read-only", "x.toml"}, "--read-only"},
		{[]string{"--tls"}, "TLS"},
		{[]string{"--local", "d", "--k8"}, "none of the others can be"},
	}
	for _, tt := range tests {
		cmd := NewSCCmd()
		cmd.SetArgs(tt.args)
		cmd.SetErr(new(nopWriter))
		err := cmd.ExecuteContext(context.Background())
		require.Error(t, err, "%v", tt.args)
		require.Contains(t, err.Error(), tt.want)
	}
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestSCCmdRunsUntilCancelled starts the SC with --local and stops it the
// way SIGTERM does (context cancellation): it returns cleanly and the
// metadata (the consumer-offset system topic) is on disk.
func TestSCCmdRunsUntilCancelled(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "metadata")
	cmd := NewSCCmd()
	cmd.SetArgs([]string{"--local", dir, "--bind-public", "127.0.0.1:0", "--bind-private", "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	require.Eventually(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "topic", "consumer-offset.meta"))
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("sc did not stop")
	}
}
