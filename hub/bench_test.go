package hub_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkInstall compares `fvm install stable` from a loopback
// `fluvio-run hub` with curl fetching the same binaries from the same Hub in
// one process (the lower bound of any installer). Target: fvm ≤ 1.5× curl.
// Run: make bench-fvm.
func BenchmarkInstall(b *testing.B) {
	e := setupE2E(b)
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("curl is not installed")
	}
	fluvioRun := bin(e.dists["0.2.0"], e.host, "fluvio-run")
	hubURL := startHubProcess(b, fluvioRun, b.TempDir())
	home := b.TempDir()
	env := userEnv(home, "FVM_REGISTRY="+hubURL)
	mustRun(b, env, fluvioRun, "hub", "publish", "-q", "--registry", hubURL, "--dist", e.dists["0.2.0"], "--channel", "stable")
	mustRun(b, env, bin(e.dists["0.2.0"], e.host, "fvm"), "self", "install")
	fvm := filepath.Join(home, ".fvm", "bin", "fvm"+e.host.Ext())

	var bytes int64
	args := []string{"-fsS"}
	out := b.TempDir()
	for _, name := range []string{"fluvio", "fluvio-run", "ssdk"} {
		fi, err := os.Stat(bin(e.dists["0.2.0"], e.host, name))
		if err != nil {
			b.Fatal(err)
		}
		bytes += fi.Size()
		args = append(args, "-o", filepath.Join(out, name), hubURL+"/download/stable/"+e.host.Triple+"/"+name)
	}
	// One loop, both clients, so they see the same machine load.
	b.SetBytes(bytes)
	b.ResetTimer()
	var fvmD, curlD time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		mustRun(b, env, fvm, "-q", "install", "stable")
		t1 := time.Now()
		mustRun(b, env, curl, args...)
		fvmD += t1.Sub(t0)
		curlD += time.Since(t1)
	}
	b.ReportMetric(float64(fvmD.Milliseconds())/float64(b.N), "fvm-ms/op")
	b.ReportMetric(float64(curlD.Milliseconds())/float64(b.N), "curl-ms/op")
	b.ReportMetric(float64(fvmD)/float64(curlD), "fvm/curl")
}
