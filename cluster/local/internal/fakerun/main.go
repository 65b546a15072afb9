// Command fakerun stands in for fluvio-run in cluster/local's tests: it
// listens on the ports `fluvio-run sc` and `fluvio-run spu` would, answers
// ApiVersions on the SC public port, and exits on SIGTERM.
//
// FAKE_FAIL=sc|spu makes that role exit at once with a message;
// FAKE_IGNORE_TERM=1 makes it ignore SIGTERM (to test SIGKILL).
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gofluvio/fluvio/cluster/protocol"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fakerun sc|spu ...")
		os.Exit(2)
	}
	role := os.Args[1]
	fmt.Printf("fakerun %v RUST_LOG=%s\n", os.Args[1:], os.Getenv("RUST_LOG"))
	if os.Getenv("FAKE_FAIL") == role {
		fmt.Println("fatal: simulated failure of", role)
		os.Exit(1)
	}
	fs := flag.NewFlagSet(role, flag.ExitOnError)
	var listens []string
	var dataMarker string
	switch role {
	case "sc":
		local := fs.String("local", "", "")
		pub := fs.String("bind-public", "0.0.0.0:9003", "")
		priv := fs.String("bind-private", "0.0.0.0:9004", "")
		_ = fs.Parse(os.Args[2:])
		listens = []string{*pub, *priv}
		dataMarker = filepath.Join(*local, "sc-starts")
	case "spu":
		id := fs.Int("i", 0, "")
		pub := fs.String("p", "", "")
		priv := fs.String("v", "", "")
		base := fs.String("log-base-dir", "", "")
		fs.String("sc-addr", "", "")
		_ = fs.Parse(os.Args[2:])
		listens = []string{*pub, *priv}
		dataMarker = filepath.Join(*base, fmt.Sprintf("spu-logs-%d", *id), "starts")
	default:
		fmt.Fprintln(os.Stderr, "unknown role", role)
		os.Exit(2)
	}
	// Record each start in the data dir, so tests can see data survive.
	_ = os.MkdirAll(filepath.Dir(dataMarker), 0o755)
	f, err := os.OpenFile(dataMarker, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintln(f, "start")
		f.Close()
	}
	sig := make(chan os.Signal, 1)
	if os.Getenv("FAKE_IGNORE_TERM") == "1" {
		signal.Ignore(syscall.SIGTERM)
		signal.Notify(sig, os.Interrupt)
	} else {
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	}
	// Start slowly, like a real server opening its store.
	time.Sleep(100 * time.Millisecond)
	for i, addr := range listens {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Println("fatal:", err)
			os.Exit(1)
		}
		answer := role == "sc" && i == 0
		go serve(l, answer)
	}
	<-sig
	fmt.Println("shutting down")
}

func serve(l net.Listener, apiVersions bool) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			if !apiVersions {
				return
			}
			frame, err := protocol.ReadFrame(c, nil, 1<<20)
			if err != nil {
				return
			}
			var h protocol.RequestHeader
			r := protocol.NewReader(frame)
			h.Decode(r)
			resp := protocol.NewApiVersionsResponse(protocol.SCVersions, "0.11.11")
			_, _ = c.Write(protocol.EncodeResponseFrame(nil, h.CorrelationID, h.APIVersion, resp))
		}()
	}
}
