package termtext

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// Clean makes text that came from user data safe to print on one line:
// escape sequences are removed (a run name must not move the cursor,
// clear the screen or change the window title), as are other control
// characters and the bidi overrides that make text read differently from
// how it is stored; tabs and newlines become spaces, invalid UTF-8 becomes
// U+FFFD.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unicode.IsControl(r) || isBidiControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Lines is Clean for text of several lines (an error message that lists
// problems, indented by tabs): each line is cleaned, its newlines and tabs
// kept.
func Lines(s string) string {
	if isPlain(strings.NewReplacer("\n", " ", "\t", " ").Replace(s)) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		cells := strings.Split(l, "\t")
		for j, c := range cells {
			cells[j] = Clean(c)
		}
		lines[i] = strings.Join(cells, "\t")
	}
	return strings.Join(lines, "\n")
}

// isPlain reports whether s is printable ASCII, the common case, which
// Clean returns as is.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// isBidiControl reports the invisible characters that reorder text: the
// embeddings, overrides and isolates, and the directional marks.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}
