package data

import (
	"hash/fnv"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// normalizeText applies normalize_text's options to one value.
func normalizeText(s string, lowercase, trim, stripHTML bool) string {
	if stripHTML {
		s = stripTags(s)
	}
	if lowercase {
		s = strings.ToLower(s)
	}
	if trim {
		s = strings.Join(strings.Fields(s), " ")
	}
	return s
}

// stripTags removes HTML tags, each replaced by a space so that words on
// either side of a <br /> stay apart, then decodes entities (&amp; -> &).
// A "<" that opens no tag (no ">" follows) is kept as text.
func stripTags(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 || !looksLikeTag(s[i+1:]) {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		s = s[i+end+1:]
	}
	return html.UnescapeString(b.String())
}

// looksLikeTag tells a tag (<b>, </p>, <br/>, <!-- -->) from a comparison
// in text ("x < 3 and y > 2").
func looksLikeTag(after string) bool {
	if after == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(after)
	return unicode.IsLetter(r) || r == '/' || r == '!'
}

// tokens splits text into lowercase words: runs of two or more letters,
// digits or underscores, as scikit-learn's default token pattern
// (?u)\b\w\w+\b does.
func tokens(s string, out []string) []string {
	out = out[:0]
	start := -1
	n := 0
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r)
		switch {
		case word && start < 0:
			start, n = i, 1
		case word:
			n++
		case start >= 0:
			if n >= 2 {
				out = append(out, strings.ToLower(s[start:i]))
			}
			start = -1
		}
	}
	if start >= 0 && n >= 2 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}

// hashNGrams adds 1 to counts[bucket] for every n-gram of 1 to ngrams
// consecutive tokens, each hashed (FNV-1a, 32 bits, over the words joined
// by single spaces) into one of len(counts) buckets. It returns the buckets
// it touched, each once, in the order first touched.
func hashNGrams(toks []string, ngrams int, counts []float64, touched []int) []int {
	touched = touched[:0]
	h := fnv.New32a()
	buckets := uint32(len(counts))
	for i := range toks {
		h.Reset()
		for n := 0; n < ngrams && i+n < len(toks); n++ {
			if n > 0 {
				h.Write([]byte{' '})
			}
			h.Write([]byte(toks[i+n]))
			b := h.Sum32() % buckets
			if counts[b] == 0 {
				touched = append(touched, int(b))
			}
			counts[b]++
		}
	}
	return touched
}
