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
	}
}
