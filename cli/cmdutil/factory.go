// Package cmdutil holds what every fluvio verb shares: the Factory of lazy
// dependencies, the cluster-target flags (-c/--cluster, -P/--profile) and
// the errors that choose an exit code.
//
// Modelled on gh's pkg/cmdutil.
package cmdutil

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofluvio/fluvio/cli/iostreams"
	"github.com/gofluvio/fluvio/client"
	"github.com/gofluvio/fluvio/client/config"
	"github.com/gofluvio/fluvio/cluster/local"
)

// Factory hands verbs their dependencies. Every field is a function so
// nothing is opened, read or dialled until a verb asks for it; tests
// replace the functions.
type Factory struct {
	// IOStreams are the standard streams.
	IOStreams *iostreams.IOStreams
	// ConfigPath is where ~/.fluvio/config lives ($FLV_PROFILE_PATH).
	ConfigPath func() (string, error)
	// Config loads the config, or an empty one when the file is missing
	// (profile and cluster commands write it; commands that connect should
	// check for a current profile).
	Config func() (*config.Config, error)
	// BaseDir is ~/.fluvio ($FLUVIO_DIR): logs, local cluster state.
	BaseDir func() (string, error)
	// Executable is the path of the running fluvio binary, used to find
	// fluvio-run beside it.
	Executable func() (string, error)
	// Now is the clock.
	Now func() time.Time
	// LocalCluster manages the local cluster under BaseDir, reporting
	// progress on IOStreams.
	LocalCluster func() (*local.Cluster, error)
	// Target is the cluster -c/--cluster or -P/--profile selected (bound
	// by AddTargetFlags on the root); empty means the current profile.
	Target Target
	// Client connects to Target (see client.go); each call dials anew and
	// the caller closes the client.
	Client func(ctx context.Context) (*client.Client, error)
}

// New returns the Factory of the real process.
func New() *Factory {
	f := &Factory{
		IOStreams:  iostreams.System(),
		ConfigPath: config.DefaultPath,
		BaseDir:    config.BaseDir,
		Executable: executable,
		Now:        time.Now,
	}
	f.Config = onceConfig(f)
	f.LocalCluster = func() (*local.Cluster, error) {
		c, err := newLocalCluster(f)
		if err == nil {
			// The Go client registers CustomSpus, counts online SPUs and
			// gives `cluster status` its topics.
			c.Connect = connectLocalAdmin
		}
		return c, err
	}
	f.Client = func(ctx context.Context) (*client.Client, error) { return f.connect(ctx) }
	return f
}

// newLocalCluster builds the local cluster manager from the factory, with
// no admin connection: readiness is ApiVersions on the SC and accepting
// SPU ports (what the fake fluvio-run in tests provides). New adds the
// admin connection.
func newLocalCluster(f *Factory) (*local.Cluster, error) {
	base, err := f.BaseDir()
	if err != nil {
		return nil, err
	}
	cfgPath, err := f.ConfigPath()
	if err != nil {
		return nil, err
	}
	exe, _ := f.Executable()
	return &local.Cluster{
		Paths: local.PathsAt(base), ConfigPath: cfgPath, Executable: exe,
		Report: Progress{IO: f.IOStreams}, Now: f.Now,
	}, nil
}

// Progress shows a long operation's steps on stderr and its waits as a
// spinner (on a terminal only). It satisfies local.Reporter.
type Progress struct{ IO *iostreams.IOStreams }

// Step prints a line that stays.
func (p Progress) Step(msg string) {
	p.IO.StopSpinner()
	p.IO.Printf("%s\n", msg)
}

// Waiting shows msg beside the spinner.
func (p Progress) Waiting(msg string) { p.IO.StartSpinner(msg) }

// Done stops the spinner.
func (p Progress) Done() { p.IO.StopSpinner() }

// onceConfig loads the config on first use and hands out the same value.
func onceConfig(f *Factory) func() (*config.Config, error) {
	var (
		once sync.Once
		cfg  *config.Config
		err  error
	)
	return func() (*config.Config, error) {
		once.Do(func() {
			var p string
			if p, err = f.ConfigPath(); err == nil {
				cfg, err = config.LoadOrNew(p)
			}
		})
		return cfg, err
	}
}

// SaveConfig writes cfg where ConfigPath says.
func (f *Factory) SaveConfig(cfg *config.Config) error {
	p, err := f.ConfigPath()
	if err != nil {
		return err
	}
	return cfg.Save(p)
}

func executable() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return p, nil
}

// TestFactory returns a Factory over buffer streams whose config lives
// at dir/config and base directory at dir.
func TestFactory(dir string) *Factory {
	ios, _, _, _ := iostreams.Test()
	f := &Factory{
		IOStreams:  ios,
		ConfigPath: func() (string, error) { return filepath.Join(dir, "config"), nil },
		BaseDir:    func() (string, error) { return dir, nil },
		Executable: executable,
		Now:        func() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) },
	}
	f.Config = func() (*config.Config, error) {
		p, _ := f.ConfigPath()
		return config.LoadOrNew(p)
	}
	f.LocalCluster = func() (*local.Cluster, error) { return newLocalCluster(f) }
	f.Client = func(ctx context.Context) (*client.Client, error) { return f.connect(ctx) }
	return f
}
