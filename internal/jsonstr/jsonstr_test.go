package jsonstr

import (
	"encoding/json"
	"errors"
	"testing"
)

// Unescape reads a string's body as encoding/json does (both readers
// that use it are also fuzzed against encoding/json).
func TestUnescape(t *testing.T) {
	for _, body := range []string{
		`plain`, `\"\\\/\b\f\n\r\t`, `\u00e9 \u20AC`, `\ud83d\ude00`,
		`\ud83d alone`, `\udc00 low first`, `\ud83d\u0041`, "bad \xff\xfe utf-8", `\u0000`,
	} {
		var want string
		if err := json.Unmarshal([]byte(`"`+body+`"`), &want); err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if got, ok := Unescape([]byte(body)); !ok || got != want {
			t.Errorf("Unescape(%q) = %q, %v; encoding/json reads %q", body, got, ok, want)
		}
		if got, ok := Unescape(body); !ok || got != want {
			t.Errorf("Unescape of the string %q = %q, %v; encoding/json reads %q", body, got, ok, want)
		}
	}
	for _, body := range []string{`\q`, `\u12`, `\u12zz`, `\`} {
		if got, ok := Unescape([]byte(body)); ok {
			t.Errorf("Unescape(%q) = %q, want an invalid escape", body, got)
		}
	}
}

func TestScan(t *testing.T) {
	for _, tc := range []struct {
		in      string
		end     int
		escaped bool
		err     error
	}{
		{`abc"rest`, 3, false, nil},
		{`a\"b"`, 4, true, nil},
		{`a\\"`, 3, true, nil},
		{"a\x01b\"", 1, false, ErrControl},
		{`abc`, 3, false, ErrUnclosed},
		{`ab\"`, 4, true, ErrUnclosed},
	} {
		end, escaped, err := Scan([]byte(tc.in), 0)
		if end != tc.end || escaped != tc.escaped || !errors.Is(err, tc.err) {
			t.Errorf("Scan(%q) = %d, %v, %v; want %d, %v, %v", tc.in, end, escaped, err, tc.end, tc.escaped, tc.err)
		}
		send, sescaped, serr := Scan(tc.in, 0)
		if send != end || sescaped != escaped || serr != err {
			t.Errorf("Scan of the string %q = %d, %v, %v; of its bytes %d, %v, %v", tc.in, send, sescaped, serr, end, escaped, err)
		}
	}
}

func TestSkipSpace(t *testing.T) {
	for _, tc := range []struct {
		in       string
		from, to int
	}{
		{" \t\r\n x", 0, 5}, {"x ", 0, 0}, {"x  ", 1, 3}, {"", 0, 0}, {"\v", 0, 0}, {"\u00a0", 0, 0},
	} {
		if got := SkipSpace(tc.in, tc.from); got != tc.to {
			t.Errorf("SkipSpace(%q, %d) = %d, want %d", tc.in, tc.from, got, tc.to)
		}
		if got := SkipSpace([]byte(tc.in), tc.from); got != tc.to {
			t.Errorf("SkipSpace of the bytes %q, %d = %d, want %d", tc.in, tc.from, got, tc.to)
		}
	}
}
