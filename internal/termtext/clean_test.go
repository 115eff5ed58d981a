package termtext

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "credit", "credit"},
		{"csi", "cr\x1b[31medit\x1b[0m", "credit"},
		{"osc title", "\x1b]0;owned\x07run", "run"},
		{"clear screen", "a\x1b[2Jb", "ab"},
		{"bell and del", "a\x07b\x7fc", "abc"},
		{"c1 control", "a\u009bb", "ab"},
		{"whitespace", "a\tb\nc\rd", "a b c d"},
		{"bidi override", "abc\u202edcba", "abcdcba"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"unicode kept", "résumé 日本 ✓", "résumé 日本 ✓"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Clean(tc.in); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWriter(t *testing.T) {
	var b strings.Builder
	w := NewWriter(&b)
	// An escape sequence split across writes, a tab kept, a last line
	// without a newline.
	for _, s := range []string{"ok  cr\x1b", "[2Jedit\tx\n", "\x1b]0;owned\x07name\n", "tail\x07"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "ok  credit\tx\nname\ntail"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestLines(t *testing.T) {
	if got, want := Lines("a\x1b[31mb\nc\x07d\te"), "ab\ncd\te"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
}
