package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gofluvio/fluvio/client/config"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		interrupted bool
		code        int
		stderr      string
	}{
		{"nil", nil, false, ExitOK, ""},
		{"plain", errors.New("topic \"x\" not found"), false, ExitError, "Error: topic \"x\" not found\n"},
		{"flag", FlagErrorf("--spu must be at least 1, got 0"), false, ExitUsage, "Error: --spu must be at least 1, got 0\n"},
		{"wrapped flag", fmt.Errorf("start: %w", FlagErrorf("bad")), false, ExitUsage, "Error: start: bad\n"},
		{"explicit", &ExitCodeError{Code: 3, Err: errors.New("x")}, false, 3, "Error: x\n"},
		{"silent", ErrSilent, false, ExitError, ""},
		{"interrupted", fmt.Errorf("wait: %w", context.Canceled), true, ExitInterrupted, ""},
		{"canceled but not interrupted", context.Canceled, false, ExitError, "Error: context canceled\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			require.Equal(t, tt.code, ExitCode(tt.err, tt.interrupted, &b))
			require.Equal(t, tt.stderr, b.String())
		})
	}
}

func TestTargetResolve(t *testing.T) {
	cfg := config.New()
	_, err := Target{}.Resolve(cfg)
	require.ErrorIs(t, err, config.ErrNoActiveProfile)

	cfg.AddOrReplaceProfile("local", "127.0.0.1:9003", config.TLS{}, config.InstallLocal)
	cfg.AddOrReplaceProfile("other", "10.0.0.1:9003", config.TLS{}, config.InstallK8)
	cfg.CurrentProfile = "local"

	tests := []struct {
		target   Target
		endpoint string
		err      string
	}{
		{Target{}, "127.0.0.1:9003", ""},
		{Target{Profile: "other"}, "10.0.0.1:9003", ""},
		{Target{Cluster: "h:1"}, "h:1", ""},
		{Target{Cluster: "h:1", Profile: "other"}, "", "--profile and --cluster cannot be used together"},
		{Target{Profile: "nope"}, "", "profile not found"},
	}
	for _, tt := range tests {
		r, err := tt.target.Resolve(cfg)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tt.endpoint, r.Endpoint)
	}
}
