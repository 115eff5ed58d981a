package data

import (
	"math"
	"strconv"
)

// cellKind is what a CSV field holds.
type cellKind uint8

const (
	cellMissing cellKind = iota
	cellNumber
	cellText
)

// classify says whether field b is missing, a finite number (returned) or
// text. Missing: after trimming spaces and tabs, "", "NA", "N/A", "?", or
// anything that parses as NaN ("NaN", "nan"): a NaN in the data is a missing
// value by another name, and left as a number it would poison every mean.
// Infinities are text: no statistic or standardization survives them.
func classify(b []byte) (float64, cellKind) {
	b = trimSpace(b)
	switch len(b) {
	case 0:
		return 0, cellMissing
	case 1:
		if b[0] == '?' {
			return 0, cellMissing
		}
	case 2:
		if b[0] == 'N' && b[1] == 'A' {
			return 0, cellMissing
		}
	case 3:
		if b[0] == 'N' && b[1] == '/' && b[2] == 'A' {
			return 0, cellMissing
		}
	}
	if v, ok := parseSimpleNumber(b); ok {
		return v, cellNumber
	}
	if !mayBeNumber(b) {
		return 0, cellText
	}
	v, err := strconv.ParseFloat(string(b), 64)
	switch {
	case err != nil, math.IsInf(v, 0):
		return 0, cellText
	case math.IsNaN(v):
		return 0, cellMissing
	}
	return v, cellNumber
}

// isMissingText is classify's missing test for a column already known to
// hold text, where parsing numbers would be wasted work.
func isMissingText(b []byte) bool {
	b = trimSpace(b)
	switch len(b) {
	case 0:
		return true
	case 1:
		return b[0] == '?'
	case 2:
		return b[0] == 'N' && b[1] == 'A'
	case 3:
		return (b[0] == 'N' && b[1] == '/' && b[2] == 'A') ||
			((b[0] == 'N' || b[0] == 'n') && (b[1] == 'A' || b[1] == 'a') && (b[2] == 'N' || b[2] == 'n'))
	}
	return false
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// mayBeNumber rejects most text before strconv.ParseFloat sees it: a failed
// ParseFloat allocates its error, and a text column has many cells.
func mayBeNumber(b []byte) bool {
	switch c := b[0]; {
	case c >= '0' && c <= '9', c == '+', c == '-', c == '.',
		c == 'i', c == 'I', c == 'n', c == 'N':
		return true
	}
	return false
}

// float64pow10 holds the powers of ten that are exact in a float64.
var float64pow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	1e20, 1e21, 1e22,
}

// parseSimpleNumber parses the plain decimals that make up most data files
// ("-12.375", "7", ".5") several times faster than strconv.ParseFloat, and
// gives up (false) on anything else, which then goes to ParseFloat. It takes
// the same exact path ParseFloat takes first (Clinger's): a mantissa below
// 2^53 and a power of ten up to 1e22 are both exact float64s, and one IEEE
// division rounds their quotient correctly, so the result is bit for bit
// ParseFloat's (FuzzParseSimpleNumber checks this).
func parseSimpleNumber(b []byte) (float64, bool) {
	i := 0
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	digits, dot := 0, -1
	for ; i < len(b); i++ {
		if d := b[i] - '0'; d < 10 {
			mant = mant*10 + uint64(d) // may wrap past 19 digits; rejected below
			digits++
			continue
		}
		if b[i] != '.' || dot >= 0 {
			return 0, false
		}
		dot = digits
	}
	frac := 0
	if dot >= 0 {
		frac = digits - dot
	}
	if digits == 0 || digits > 19 || mant >= 1<<53 || frac >= len(float64pow10) {
		return 0, false
	}
	f := float64(mant)
	if frac > 0 {
		f /= float64pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}
