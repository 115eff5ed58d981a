package numfmt

import (
	"math"
	"strconv"
	"time"
)

// Digits is the number of significant digits numbers print with unless
// the user asks for another (the CLI's --precision).
const Digits = 4

// Num writes v with at most digits significant digits, the shortest way:
// no trailing zeros, an exponent only for numbers below 1e-4, and a whole
// number too long for digits whole instead.
func Num(v float64, digits int) string {
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

// Duration writes d as Go does (1m0s, 41.2s, 120ms), rounded to what a
// person reads: milliseconds under a second, tenths under a minute,
// seconds above.
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
