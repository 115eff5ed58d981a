package spec

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	stderrors "errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xp-ml/xp/internal/jsonstr"
)

// hashTag versions the spec hash: bump it when the meaning of a resolved
// spec changes (a new default, a field that changes training), so that old
// runs are not taken for cached runs of the new meaning.
const hashTag = "xp-spec-v1\n"

// Canonical returns the canonical JSON of a resolved experiment: the
// metadata fields (MetadataFields) dropped from the top-level object, and
// DataMetadataFields and an empty prepare list from its data, then
// the form described in the package documentation (sorted keys, no
// whitespace, canonical numbers and strings). Equal values give equal bytes
// however they were written; Canonical of its own output returns it
// unchanged. Duplicate object keys and numbers beyond float64 are errors.
func Canonical(js []byte) ([]byte, error) {
	v, err := parseJSON(js)
	if err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	if obj, ok := v.(object); ok {
		obj = slices.DeleteFunc(obj, func(m member) bool {
			return slices.Contains(MetadataFields, m.key)
		})
		for i, m := range obj {
			if d, ok := m.val.(object); ok && m.key == "data" {
				obj[i].val = slices.DeleteFunc(slices.Clone(d), func(m member) bool {
					// An empty prepare is no prepare: the keys of specs
					// written before it existed stay theirs.
					if a, ok := m.val.(array); ok && m.key == "prepare" && len(a) == 0 {
						return true
					}
					return slices.Contains(DataMetadataFields, m.key)
				})
			}
		}
		v = obj
	}
	var b bytes.Buffer
	if err := writeCanonical(&b, v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	return b.Bytes(), nil
}

// Hash returns the spec hash of a canonical spec: hex SHA-256 of the hash
// tag and the canonical bytes.
func Hash(canonical []byte) string {
	h := sha256.New()
	io.WriteString(h, hashTag)
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// The parsed form keeps numbers as written (json.Number) and object members
// in order, so that duplicates can be found and nothing is rounded before
// the number is canonicalised.
type (
	object []member
	member struct {
		key string
		val any
	}
	array []any
)

// parseJSON reads one JSON value, as encoding/json's Decoder with
// UseNumber reads it (FuzzParseJSON holds it to that), in a fraction of
// the time: a run key is computed for every point of a sweep.
func parseJSON(js []byte) (any, error) {
	p := &jsonParser{b: js}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i < len(p.b) {
		return nil, stderrors.New("data after the top-level value")
	}
	return v, nil
}

// maxJSONDepth bounds nesting; no resolved spec comes near it.
const maxJSONDepth = 10000

type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: "+format, append([]any{p.i}, args...)...)
}

func (p *jsonParser) ws() { p.i = jsonstr.SkipSpace(p.b, p.i) }

func (p *jsonParser) value(depth int) (any, error) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, io.ErrUnexpectedEOF
	}
	if depth > maxJSONDepth {
		return nil, p.errorf("nested more than %d deep", maxJSONDepth)
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		obj := object{}
		var seen map[string]bool
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return obj, nil
		}
		for {
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != '"' {
				return nil, p.errorf("an object key must be a string")
			}
			key, err := p.str()
			if err != nil {
				return nil, err
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			if seen[key] {
				return nil, fmt.Errorf("duplicate key %q", key)
			}
			seen[key] = true
			p.ws()
			if p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, p.errorf("want : after an object key")
			}
			p.i++
			val, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			obj = append(obj, member{key, val})
			if more, err := p.more('}'); !more {
				return obj, err
			}
		}
	case c == '[':
		p.i++
		arr := array{}
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return arr, nil
		}
		for {
			val, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, val)
			if more, err := p.more(']'); !more {
				return arr, err
			}
		}
	case c == '"':
		return p.str()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	default:
		return nil, p.errorf("invalid character %q", c)
	}
}

// more reads what follows a member or an element: a comma (true: more
// follow) or the closing close (false, nil); anything else is an error.
func (p *jsonParser) more(close byte) (bool, error) {
	p.ws()
	if p.i >= len(p.b) {
		return false, io.ErrUnexpectedEOF
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return true, nil
	case close:
		p.i++
		return false, nil
	}
	return false, p.errorf("want , or %c", close)
}

func (p *jsonParser) literal(word string) error {
	if !bytes.HasPrefix(p.b[p.i:], []byte(word)) {
		return p.errorf("invalid literal, want %s", word)
	}
	p.i += len(word)
	return nil
}

// number reads a number as written: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *jsonParser) number() (json.Number, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case digits() == 0:
		return "", p.errorf("invalid number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", p.errorf("invalid number: no digit after the point")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", p.errorf("invalid number: no digit in the exponent")
		}
	}
	return json.Number(p.b[start:p.i]), nil
}

// str reads a string as encoding/json decodes one: its escapes resolved,
// each byte of invalid UTF-8 and each unpaired surrogate as U+FFFD.
func (p *jsonParser) str() (string, error) {
	start := p.i + 1 // after the opening quote
	end, escaped, err := jsonstr.Scan(p.b, start)
	if err != nil {
		p.i = end
		if stderrors.Is(err, jsonstr.ErrUnclosed) {
			return "", io.ErrUnexpectedEOF
		}
		return "", p.errorf("%v", err)
	}
	p.i = end + 1
	raw := p.b[start:end]
	if !escaped && utf8.Valid(raw) {
		return string(raw), nil
	}
	str, ok := jsonstr.Unescape(raw)
	if !ok {
		return "", p.errorf("a string has an invalid escape")
	}
	return str, nil
}

func writeCanonical(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		s, err := canonicalNumber(string(v))
		if err != nil {
			return err
		}
		b.WriteString(s)
	case string:
		writeString(b, v)
	case array:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeCanonical(b, x); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case object:
		sorted := slices.Clone(v)
		slices.SortFunc(sorted, func(x, y member) int { return strings.Compare(x.key, y.key) })
		b.WriteByte('{')
		for i, m := range sorted {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, m.key)
			b.WriteByte(':')
			if err := writeCanonical(b, m.val); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("unexpected %T", v)
	}
	return nil
}

// writeString escapes only what JSON requires, always the same way.
func writeString(b *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[r>>4])
			b.WriteByte(hexDigits[r&0xf])
		default:
			// The decoder has already replaced invalid UTF-8 with U+FFFD.
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// canonicalNumber writes a JSON number literal canonically. An integer
// value that fits in int64 keeps all its digits (64, 64.0, 6.4e1 -> 64;
// 9007199254740993 stays itself, though float64 cannot hold it). Any other
// value becomes the nearest float64, written as JavaScript's
// Number.prototype.toString writes it (ECMA-262 Number::toString: the
// shortest digits that round-trip; plain notation for 1e-7 < |x| < 1e21,
// else d.ddde±x).
func canonicalNumber(lit string) (string, error) {
	neg, digits, exp, err := decimal(lit)
	if err != nil {
		return "", err
	}
	if digits == "" {
		return "0", nil // also -0
	}
	if exp >= 0 && exp <= 19 && len(digits)+exp <= 19 {
		s := digits + strings.Repeat("0", exp)
		if neg {
			s = "-" + s
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(n, 10), nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return "", fmt.Errorf("number %s is out of the range of float64", lit)
	}
	return formatFloat(f), nil
}

// decimal splits a JSON number into its sign and an exact decimal
// digits×10^exp with no leading or trailing zeros in digits ("" for zero).
func decimal(lit string) (neg bool, digits string, exp int, err error) {
	s := lit
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	mant, expPart, hasExp := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) {
		return false, "", 0, fmt.Errorf("invalid number %q", lit)
	}
	if hasExp {
		e, perr := strconv.Atoi(expPart)
		if perr != nil {
			// Out of int range: far beyond float64 either way; let
			// ParseFloat decide between zero and infinity.
			f, ferr := strconv.ParseFloat(lit, 64)
			if ferr == nil && f == 0 {
				return false, "", 0, nil
			}
			return false, "", 0, fmt.Errorf("number %s is out of the range of float64", lit)
		}
		exp = e
	}
	digits = strings.TrimLeft(intPart+frac, "0")
	exp -= len(frac)
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	return neg, trimmed, exp, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatFloat writes f as ECMA-262 Number::toString(f) does.
func formatFloat(f float64) string {
	if f == 0 {
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest round-trip digits d.ddd and exponent e: f = 0.digits × 10^n
	// with n = e+1, the form the ECMA-262 algorithm is stated in.
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	mant, e, _ := strings.Cut(sci, "e")
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	x, _ := strconv.Atoi(e)
	n := x + 1
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	expSign := "+"
	if n-1 < 0 {
		expSign = "-"
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	return sign + m + "e" + expSign + strconv.Itoa(abs(n-1))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
