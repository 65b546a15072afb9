package units

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"1d", 24 * time.Hour, ""},
		{"7 days", 7 * 24 * time.Hour, ""},
		{"2h 30m", 150 * time.Minute, ""},
		{"2d 10s", 48*time.Hour + 10*time.Second, ""},
		{"150ms", 150 * time.Millisecond, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1w", 7 * 24 * time.Hour, ""},
		{"1M", 2630016 * time.Second, ""},
		{"", 0, "empty"},
		{"10", 0, "missing unit"},
		{"1x", 0, `unknown unit "x"`},
		{"h", 0, "expected a number"},
		{"-1s", 0, "expected a number"},
		{"99999999999999999999s", 0, "too large"},
		{"999999999y", 0, "too long"},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.err != "" {
			require.ErrorIs(t, err, ErrDuration, tt.in)
			require.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{7 * 24 * time.Hour, "7days"},
		{24 * time.Hour, "1day"},
		{time.Hour + time.Minute + time.Second, "1h 1m 1s"},
		{1500 * time.Millisecond, "1s 500ms"},
		{31557600 * time.Second, "1year"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, FormatDuration(tt.in))
		back, err := ParseDuration(tt.want)
		require.NoError(t, err)
		require.Equal(t, tt.in, back, "round trip of %s", tt.want)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  string
	}{
		{"2048", 2048, ""},
		{"1GB", 1e9, ""},
		{"1 GiB", 1 << 30, ""},
		{"10 MiB", 10 << 20, ""},
		{"16kib", 16 << 10, ""},
		{"2 Ki", 2048, ""},
		{"1.5KB", 1500, ""},
		{"5b", 5, ""},
		{"", 0, "expected a number"},
		{"GB", 0, "expected a number"},
		{"1 parsec", 0, `unknown unit "parsec"`},
		{"1.2.3", 0, "bad number"},
		{"99999999999PB", 0, "too large"},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if tt.err != "" {
			require.ErrorIs(t, err, ErrSize, tt.in)
			require.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestFormatSize(t *testing.T) {
	require.Equal(t, "0 B", FormatSize(0))
	require.Equal(t, "1023 B", FormatSize(1023))
	require.Equal(t, "1.5 KiB", FormatSize(1536))
	require.Equal(t, "10.0 MiB", FormatSize(10<<20))
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1d", "2h 30m", "7 days", "150ms", "1M 2w", "99999999999y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("negative duration %v from %q", d, s)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"2048", "1GB", "10 MiB", "1.5kb", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = ParseSize(s)
	})
}
