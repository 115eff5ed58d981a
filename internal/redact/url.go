package redact

import (
	"bytes"
	"encoding/json"
	"net/url"
	"sort"
	"strings"
)

// Mask replaces each secret.
const Mask = "REDACTED"

// URL is raw with its userinfo (user:password@, or a token as user@) and
// the value of every query parameter replaced by Mask; a string that is
// not a URL with either comes back unchanged.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.User == nil && u.RawQuery == "") {
		return raw
	}
	if u.User != nil {
		u.User = url.User(Mask)
	}
	if u.RawQuery != "" {
		q := u.Query()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, url.QueryEscape(k)+"="+Mask)
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

// Text is s with every http(s) URL in it passed through URL: for a
// message or a log line that quotes one.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "http://")
		if j := strings.Index(s, "https://"); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + strings.IndexAny(s[i:]+" ", " \t\n\"'`")
		for end > i && strings.ContainsRune(":;,.)", rune(s[end-1])) {
			end-- // punctuation after the URL, not part of it
		}
		b.WriteString(s[:i])
		b.WriteString(URL(s[i:end]))
		s = s[end:]
	}
}

// SpecJSON is a resolved experiment (JSON) with the URL of every http
// source redacted (data.source.http.url, data.test_source.http.url): what
// is recorded with a run and saved as its spec.json. Whatever it cannot
// read comes back unchanged.
func SpecJSON(resolved []byte) []byte {
	if !bytes.Contains(resolved, []byte(`"http"`)) {
		return resolved
	}
	var tree map[string]json.RawMessage
	if json.Unmarshal(resolved, &tree) != nil {
		return resolved
	}
	var data map[string]json.RawMessage
	if json.Unmarshal(tree["data"], &data) != nil {
		return resolved
	}
	changed := false
	for _, field := range []string{"source", "test_source"} {
		var src map[string]json.RawMessage
		if json.Unmarshal(data[field], &src) != nil {
			continue
		}
		var h map[string]json.RawMessage
		if json.Unmarshal(src["http"], &h) != nil {
			continue
		}
		var u string
		if json.Unmarshal(h["url"], &u) != nil || URL(u) == u {
			continue
		}
		h["url"], _ = json.Marshal(URL(u))
		src["http"], _ = json.Marshal(h)
		data[field], _ = json.Marshal(src)
		changed = true
	}
	if !changed {
		return resolved
	}
	tree["data"], _ = json.Marshal(data)
	out, err := json.Marshal(tree)
	if err != nil {
		return resolved
	}
	return out
}
