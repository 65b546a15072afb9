// Package units parses and prints the human units fluvio flags take and
// tables show: durations such as "1d", "2h 30m" or "7 days" (the humantime
// syntax Fluvio's CLI accepts) and sizes such as "2048", "10 MiB" or "1GB"
// (the bytesize syntax).
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Errors returned by the parsers.
var (
	ErrDuration = errors.New("units: invalid duration")
	ErrSize     = errors.New("units: invalid size")
)

// Seconds in humantime's calendar units.
const (
	secondsPerDay   = 86400
	secondsPerWeek  = 7 * secondsPerDay
	secondsPerMonth = 2630016  // 30.44 days
	secondsPerYear  = 31557600 // 365.25 days
)

// durationUnits maps every unit spelling humantime accepts to nanoseconds.
var durationUnits = map[string]float64{
	"nanos": 1, "nsec": 1, "ns": 1,
	"usec": 1e3, "us": 1e3, "µs": 1e3,
	"millis": 1e6, "msec": 1e6, "ms": 1e6,
	"seconds": 1e9, "second": 1e9, "secs": 1e9, "sec": 1e9, "s": 1e9,
	"minutes": 60e9, "minute": 60e9, "mins": 60e9, "min": 60e9, "m": 60e9,
	"hours": 3600e9, "hour": 3600e9, "hrs": 3600e9, "hr": 3600e9, "h": 3600e9,
	"days": secondsPerDay * 1e9, "day": secondsPerDay * 1e9, "d": secondsPerDay * 1e9,
	"weeks": secondsPerWeek * 1e9, "week": secondsPerWeek * 1e9, "w": secondsPerWeek * 1e9,
	"months": secondsPerMonth * 1e9, "month": secondsPerMonth * 1e9, "M": secondsPerMonth * 1e9,
	"years": secondsPerYear * 1e9, "year": secondsPerYear * 1e9, "y": secondsPerYear * 1e9,
}

const durationHelp = "a number and a unit, e.g. 1d, 2h 30m, 7days, 150ms (units: ns, us, ms, s, m, h, d, w, M, y)"

// ParseDuration parses a humantime duration: one or more "<integer><unit>"
// terms, optionally separated by spaces ("1h 30m", "7 days").
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("%w %q: empty (want %s)", ErrDuration, s, durationHelp)
	}
	var total float64
	for in != "" {
		i := 0
		for i < len(in) && in[i] >= '0' && in[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%w %q: expected a number at %q (want %s)", ErrDuration, s, in, durationHelp)
		}
		n, err := strconv.ParseUint(in[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w %q: number too large", ErrDuration, s)
		}
		in = strings.TrimLeft(in[i:], " \t")
		j := 0
		for j < len(in) && !(in[j] >= '0' && in[j] <= '9') && in[j] != ' ' && in[j] != '\t' {
			j++
		}
		if j == 0 {
			return 0, fmt.Errorf("%w %q: missing unit after %d (want %s)", ErrDuration, s, n, durationHelp)
		}
		unit := in[:j]
		ns, ok := durationUnits[unit]
		if !ok {
			return 0, fmt.Errorf("%w %q: unknown unit %q (want %s)", ErrDuration, s, unit, durationHelp)
		}
		total += float64(n) * ns
		if total > math.MaxInt64 {
			return 0, fmt.Errorf("%w %q: too long", ErrDuration, s)
		}
		in = strings.TrimLeft(in[j:], " \t")
	}
	return time.Duration(total), nil
}

// FormatDuration prints d as humantime does: "7days", "1h 30m", "0s".
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	secs := int64(d / time.Second)
	nanos := int64(d % time.Second)
	var parts []string
	add := func(v int64, one, many string) {
		switch {
		case v == 1:
			parts = append(parts, "1"+one)
		case v > 1:
			parts = append(parts, strconv.FormatInt(v, 10)+many)
		}
	}
	years := secs / secondsPerYear
	secs %= secondsPerYear
	months := secs / secondsPerMonth
	secs %= secondsPerMonth
	days := secs / secondsPerDay
	secs %= secondsPerDay
	add(years, "year", "years")
	add(months, "month", "months")
	add(days, "day", "days")
	for _, u := range []struct {
		v    int64
		name string
	}{{secs / 3600, "h"}, {secs % 3600 / 60, "m"}, {secs % 60, "s"}, {nanos / 1e6, "ms"}, {nanos / 1e3 % 1e3, "us"}, {nanos % 1e3, "ns"}} {
		if u.v > 0 {
			parts = append(parts, strconv.FormatInt(u.v, 10)+u.name)
		}
	}
	return strings.Join(parts, " ")
}

// sizeUnits maps lowercase unit spellings to their multiplier.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
	"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
	"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
	"t": 1e12, "tb": 1e12, "ti": 1 << 40, "tib": 1 << 40,
	"p": 1e15, "pb": 1e15, "pi": 1 << 50, "pib": 1 << 50,
}

const sizeHelp = "bytes, optionally with a unit, e.g. 2048, 16KiB, 10 MiB, 1GB (units: B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)"

// ParseSize parses a byte size: a number (decimals allowed) and an
// optional unit, case-insensitive: KB = 1000 bytes, KiB = 1024.
func ParseSize(s string) (uint64, error) {
	in := strings.TrimSpace(s)
	i := 0
	for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%w %q: expected a number (want %s)", ErrSize, s, sizeHelp)
	}
	n, err := strconv.ParseFloat(in[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("%w %q: bad number %q (want %s)", ErrSize, s, in[:i], sizeHelp)
	}
	unit := strings.ToLower(strings.TrimSpace(in[i:]))
	mul, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%w %q: unknown unit %q (want %s)", ErrSize, s, strings.TrimSpace(in[i:]), sizeHelp)
	}
	v := n * mul
	if v >= math.MaxUint64 {
		return 0, fmt.Errorf("%w %q: too large", ErrSize, s)
	}
	return uint64(v), nil
}

// FormatSize prints n with binary units as Fluvio's tables do: "512 B",
// "1.5 KiB", "10.0 MiB".
func FormatSize(n uint64) string {
	if n < 1024 {
		return strconv.FormatUint(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
