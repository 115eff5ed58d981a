// Package jsonstr reads JSON strings, and skips JSON's white space, as
// encoding/json does, for the readers xp has of its own where
// encoding/json's Decoder costs too much: the canonical spec every run key
// is hashed from (cue/spec) and the rows of a served request (serve). Each
// of those is fuzzed against encoding/json.
package jsonstr

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

var (
	// ErrControl is a control character (below U+0020) in a string.
	ErrControl = errors.New("a control character in a string")
	// ErrUnclosed is a string the input ends in.
	ErrUnclosed = errors.New("a string is not closed")
)

// Text is what the readers read: a body as bytes, or as a string whose
// substrings they keep without copying.
type Text interface{ string | []byte }

// Scan reads the body of the string that starts at b[i], just after its
// opening quote: end is the index of its closing quote, and escaped says
// whether the body b[i:end] has an escape. The escapes are checked by
// Unescape, not here.
func Scan[T Text](b T, i int) (end int, escaped bool, err error) {
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			return i, escaped, nil
		case c == '\\':
			escaped = true
			i += 2
		case c < 0x20:
			return i, escaped, ErrControl
		default:
			i++
		}
	}
	return len(b), escaped, ErrUnclosed
}

// Unescape decodes the body of a JSON string as encoding/json does: its
// escapes resolved, an unpaired surrogate as U+FFFD, each byte of invalid
// UTF-8 as U+FFFD. It is false for an invalid escape.
func Unescape[T Text](raw T) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c >= utf8.RuneSelf:
			r, size := decodeRune(raw, i)
			out = utf8.AppendRune(out, r) // RuneError for invalid UTF-8
			i += size
			continue
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		e := raw[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i:])
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+1 < len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if v, ok := hex4(raw[i+2:]); ok {
						r2 = v
					}
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return string(out), true
}

// hex4 is the value of the 4 hex digits b starts with.
func hex4[T Text](b T) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for i := range 4 {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// SkipSpace is the index of the first byte at or after b[i] that is not
// JSON's white space (space, tab, newline, carriage return), len(b) if none.
func SkipSpace[T Text](b T, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// decodeRune is utf8.DecodeRune of b[i:].
func decodeRune[T Text](b T, i int) (rune, int) {
	switch b := any(b).(type) {
	case string:
		return utf8.DecodeRuneInString(b[i:])
	case []byte:
		return utf8.DecodeRune(b[i:])
	}
	panic("unreachable")
}
