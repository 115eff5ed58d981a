package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// flattenValid is Flatten of a valid UTF-8 JSON document, walked in place:
// no decoded tree, each scalar's text canonicalised as it is found. An
// export flattens every run's spec, and decoding it first was two thirds
// of a row's cost. It gives what flatten gives for the decoded document
// (FuzzFlatten holds the two to that): keys sorted, a repeated key's last
// value kept, as decoding into a map keeps it.
func flattenValid(out map[string]json.RawMessage, path string, js []byte) error {
	js = bytes.TrimSpace(js)
	switch js[0] {
	case '{':
		members := objectMembers(js)
		if len(members) == 0 {
			out[path] = json.RawMessage(`{}`)
			return nil
		}
		for _, m := range members {
			label := m.key
			if !isIdentifier(label) {
				label = strconv.Quote(label)
			}
			if path != "" {
				label = path + "." + label
			}
			if err := flattenValid(out, label, m.val); err != nil {
				return err
			}
		}
	case '[':
		elems := arrayElements(js)
		if len(elems) == 0 {
			out[path] = json.RawMessage(`[]`)
			return nil
		}
		for i, e := range elems {
			if err := flattenValid(out, path+"["+strconv.Itoa(i)+"]", e); err != nil {
				return err
			}
		}
	default:
		canon, err := canonicalScalar(js)
		if err != nil {
			return fmt.Errorf("spec field %s: %w", path, err)
		}
		out[path] = canon
	}
	return nil
}

type rawMember struct {
	key string
	val []byte
}

// objectMembers are a valid object's members sorted by key, the last of
// a repeated key kept.
func objectMembers(js []byte) []rawMember {
	var ms []rawMember
	i := skipSpace(js, 1)
	for js[i] != '}' {
		end := skipString(js, i)
		key := decodeString(js[i:end])
		i = skipSpace(js, end)
		i = skipSpace(js, i+1) // ':'
		vend := skipValue(js, i)
		ms = append(ms, rawMember{key, js[i:vend]})
		i = skipSpace(js, vend)
		if js[i] == ',' {
			i = skipSpace(js, i+1)
		}
	}
	// Stable, so that of equal keys the last stays last; then each key's
	// last occurrence kept.
	slices.SortStableFunc(ms, func(a, b rawMember) int { return strings.Compare(a.key, b.key) })
	out := ms[:0]
	for i, m := range ms {
		if i+1 < len(ms) && ms[i+1].key == m.key {
			continue
		}
		out = append(out, m)
	}
	return out
}

// arrayElements are a valid array's elements.
func arrayElements(js []byte) [][]byte {
	var es [][]byte
	i := skipSpace(js, 1)
	for js[i] != ']' {
		end := skipValue(js, i)
		es = append(es, js[i:end])
		i = skipSpace(js, end)
		if js[i] == ',' {
			i = skipSpace(js, i+1)
		}
	}
	return es
}

// canonicalScalar is a scalar's canonical JSON, as writeCanonical writes
// the decoded value.
func canonicalScalar(js []byte) (json.RawMessage, error) {
	switch js[0] {
	case '"':
		if bytes.IndexByte(js, '\\') < 0 {
			// Valid JSON has no control character in a string, and without
			// an escape there is no quote or backslash to escape: the text
			// is already canonical.
			return json.RawMessage(js), nil
		}
		var b bytes.Buffer
		writeString(&b, decodeString(js))
		return b.Bytes(), nil
	case 't', 'f', 'n':
		return json.RawMessage(js), nil
	}
	n, err := canonicalNumber(string(js))
	if err != nil {
		return nil, err
	}
	return json.RawMessage(n), nil
}

// decodeString is a valid JSON string's value.
func decodeString(js []byte) string {
	if bytes.IndexByte(js, '\\') < 0 {
		return string(js[1 : len(js)-1])
	}
	var s string
	json.Unmarshal(js, &s) // valid: cannot fail
	return s
}

func skipSpace(js []byte, i int) int {
	for i < len(js) && (js[i] == ' ' || js[i] == '\t' || js[i] == '\n' || js[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at js[i].
func skipString(js []byte, i int) int {
	for i++; js[i] != '"'; i++ {
		if js[i] == '\\' {
			i++
		}
	}
	return i + 1
}

// skipValue returns the index after the value starting at js[i].
func skipValue(js []byte, i int) int {
	switch js[i] {
	case '"':
		return skipString(js, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch js[i] {
			case '"':
				i = skipString(js, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(js) && !strings.ContainsRune(",}] \t\n\r", rune(js[i])) {
		i++
	}
	return i
}
