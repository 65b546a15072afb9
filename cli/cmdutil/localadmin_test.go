package cmdutil

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/cluster/local"
)

// TestLocalAdminAgainstRealSC runs the real `fluvio-run sc` and checks the
// adapter cluster/local uses: CustomSpu registration is idempotent (what
// resume relies on), SPUs and topics can be counted.
func TestLocalAdminAgainstRealSC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fluvio-run; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "fluvio-run")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/gofluvio/fluvio/cmd/fluvio-run").CombinedOutput(); err != nil {
		t.Skipf("fluvio-run does not build yet: %v\n%s", err, out)
	}
	port := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	pub := fmt.Sprintf("127.0.0.1:%d", port())
	sc := exec.Command(bin, "sc", "--local", t.TempDir(), "--bind-public", pub, "--bind-private", fmt.Sprintf("127.0.0.1:%d", port()))
	require.NoError(t, sc.Start())
	t.Cleanup(func() { _ = sc.Process.Kill(); _ = sc.Wait() })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if _, err := local.ProbeSC(ctx, pub); err == nil {
			break
		}
		require.NoError(t, ctx.Err(), "SC did not come up")
		time.Sleep(50 * time.Millisecond)
	}
	admin, err := connectLocalAdmin(ctx, pub)
	require.NoError(t, err)
	defer admin.Close()
	spu := local.SPU{ID: 5001, PublicPort: 9010, PrivatePort: 9011}
	require.NoError(t, admin.EnsureCustomSPU(ctx, spu))
	require.NoError(t, admin.EnsureCustomSPU(ctx, spu), "registering again (resume) is fine")
	n, err := admin.OnlineSPUs(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "registered but not running")
	topics, size, err := admin.Topics(ctx)
	require.NoError(t, err)
	require.Zero(t, topics)
	require.Zero(t, size)
}
