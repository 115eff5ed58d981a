package cli

import (
	"math"
	"strconv"
	"time"
)

// digits is how many significant digits numbers print with in tables and
// logs (--precision, on every command; 4 by default). Every metric, loss
// and value xp prints goes through formatNum, and every duration through
// formatDuration, so they read one way: 0.7942, 293.4, 1e-08, 12345,
// never 1E-8, 1000.0 or loss 0.0000.
var digits = defaultDigits

const defaultDigits = 4

// formatNum writes v with at most digits significant digits, the shortest
// way: no trailing zeros, an exponent only for numbers below 1e-4 or a
// whole number too long for digits (which prints whole instead).
func formatNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 0):
		if v > 0 {
			return "+Inf"
		}
		return "-Inf"
	case math.Abs(v) >= math.Pow(10, float64(digits)):
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case v != 0 && math.Abs(v) < 1e-4:
		return strconv.FormatFloat(v, 'e', digits-1, 64)
	}
	s := strconv.FormatFloat(v, 'g', digits, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

// formatDuration writes d as Go does (1m0s, 41.2s, 120ms), rounded to what
// a person reads: milliseconds under a second, tenths under a minute,
// seconds above.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// seconds is formatDuration of a number of seconds.
func seconds(s float64) string { return formatDuration(time.Duration(s * float64(time.Second))) }
