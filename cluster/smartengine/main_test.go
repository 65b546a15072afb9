package smartengine

import (
	"os"
	"sync"
	"testing"
)

var (
	cacheOnce sync.Once
	cacheDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cacheDir != "" {
		_ = os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}
