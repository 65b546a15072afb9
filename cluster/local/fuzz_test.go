package local

import (
	"os"
	"testing"
)

// FuzzState feeds arbitrary local-config and local-pids files to the
// readers: no panic, and what loads describes a bounded set of SPUs and
// ports.
func FuzzState(f *testing.F) {
	f.Add([]byte("platform_version = '0.11.11'\nspu_replicas = 2\nsc_pub_addr = '127.0.0.1:9003'\nspu_base_port = 9010\n"), []byte("sc 12\nspu-5001 13\n"))
	f.Add([]byte("spu_replicas = 99999999999\nsc_pub_addr = 'x:1'\n"), []byte("sc -1\n\nx\n"))
	f.Fuzz(func(t *testing.T, state, pids []byte) {
		p := PathsAt(t.TempDir())
		if err := os.WriteFile(p.statePath(), state, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p.pidPath(), pids, 0o644); err != nil {
			t.Fatal(err)
		}
		procs, _ := readPIDs(p)
		for _, pr := range procs {
			if pr.PID <= 1 {
				t.Fatalf("non-positive pid %d accepted", pr.PID)
			}
		}
		st, err := loadState(p)
		if err != nil {
			return
		}
		spus := st.SPUs()
		if len(spus) < 1 || len(spus) > MaxSPUs {
			t.Fatalf("%d SPUs", len(spus))
		}
		if last := spus[len(spus)-1]; last.PrivatePort > 65535 {
			t.Fatalf("port %d", last.PrivatePort)
		}
		_, _ = st.bindings()
	})
}
