package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "https://host/x.csv", "https://host/x.csv"},
		{"user and password", "https://alice:s3cret@host/x.csv", "https://REDACTED@host/x.csv"},
		{"token as user", "https://ghp_abc@host/x.csv", "https://REDACTED@host/x.csv"},
		{"query token", "https://host/x.csv?token=abc&sig=def", "https://host/x.csv?sig=REDACTED&token=REDACTED"},
		{"not a url", "data/x.csv", "data/x.csv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URL(tc.in); got != tc.want {
				t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	in := `fetch https://alice:s3cret@host/x.csv?token=abc: 404 Not Found; see "http://u:p@h/y"`
	got := Text(in)
	for _, secret := range []string{"s3cret", "alice", "abc", "u:p"} {
		if strings.Contains(got, secret) {
			t.Errorf("Text kept %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "https://REDACTED@host/x.csv?token=REDACTED: 404") {
		t.Errorf("Text = %s", got)
	}
}

func TestSpecJSON(t *testing.T) {
	in := `{"data":{"source":{"http":{"sha256":"ab","url":"https://u:p@h/x.csv?k=v"}},"target":"y"},"model":{}}`
	got := string(SpecJSON([]byte(in)))
	if strings.Contains(got, "u:p") || strings.Contains(got, "k=v") || !strings.Contains(got, `"sha256":"ab"`) || !strings.Contains(got, `"target":"y"`) {
		t.Errorf("SpecJSON = %s", got)
	}
	plain := `{"data":{"source":{"file":"x.csv"}}}`
	if got := string(SpecJSON([]byte(plain))); got != plain {
		t.Errorf("a spec without http changed: %s", got)
	}
}
