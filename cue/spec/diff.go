package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// ValueDiff is a spec field with its value in each of two resolved specs,
// as canonical JSON; nil where a spec does not have the field.
type ValueDiff struct {
	Path string          `json:"path"`
	A    json.RawMessage `json:"a"`
	B    json.RawMessage `json:"b"`
}

// Diff compares two resolved specs (JSON) leaf by leaf and returns the
// fields that differ, sorted by path (see Flatten for the paths and the
// values).
func Diff(a, b []byte) ([]ValueDiff, error) {
	fa, err := Flatten(a)
	if err != nil {
		return nil, err
	}
	fb, err := Flatten(b)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(fa)+len(fb))
	for p := range fa {
		paths = append(paths, p)
	}
	for p := range fb {
		if _, ok := fa[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var out []ValueDiff
	for _, path := range paths {
		va, vb := fa[path], fb[path]
		if va != nil && vb != nil && bytes.Equal(va, vb) {
			continue
		}
		out = append(out, ValueDiff{Path: path, A: va, B: vb})
	}
	return out, nil
}

// Flatten maps every leaf of a resolved spec (a scalar, or an empty object
// or list) to its canonical JSON (see Canonical), by path: the one spelling
// of a spec's fields that `xp diff` and the TUI's comparison show. Paths
// read like the spec: train.optimizer.adam.lr, model.layers[0].dense,
// data.features."Sepal.Length" (a key that is not an identifier is
// quoted). Values compare by their canonical JSON, so 1e-3 and 0.001 are
// equal; strings keep their quotes. An empty document is an empty map.
func Flatten(js []byte) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(js)) == 0 {
		return out, nil
	}
	if json.Valid(js) && utf8.Valid(js) {
		// The common case, a spec from the store: walked in place.
		return out, flattenValid(out, "", js)
	}
	// Invalid JSON (for its error) or text that is not UTF-8 (which the
	// decoder reads with U+FFFD): decoded first.
	return flattenDecoded(js)
}

// flattenDecoded is Flatten by decoding the document first.
func flattenDecoded(js []byte) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("read spec: data after the top-level value")
	}
	if err := flatten(out, "", v); err != nil {
		return nil, err
	}
	return out, nil
}

// isIdentifier reports whether k matches [A-Za-z_][A-Za-z0-9_]*: a
// label written unquoted. (A loop: Flatten runs for every run an export
// writes, and a regular expression was a tenth of its time.)
func isIdentifier(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return k != ""
}

func flatten(out map[string]json.RawMessage, path string, v any) error {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			out[path] = json.RawMessage(`{}`)
			return nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			label := k
			if !isIdentifier(k) {
				label = strconv.Quote(k)
			}
			if path != "" {
				label = path + "." + label
			}
			if err := flatten(out, label, v[k]); err != nil {
				return err
			}
		}
	case []any:
		if len(v) == 0 {
			out[path] = json.RawMessage(`[]`)
			return nil
		}
		for i, x := range v {
			if err := flatten(out, fmt.Sprintf("%s[%d]", path, i), x); err != nil {
				return err
			}
		}
	default:
		// A scalar as decoded (json.Number, string, bool, nil) written
		// canonically as is: what Canonical gives for its JSON, without
		// encoding and parsing it again (an export flattens every run's spec).
		var b bytes.Buffer
		if err := writeCanonical(&b, v); err != nil {
			return fmt.Errorf("spec field %s: %w", path, err)
		}
		out[path] = b.Bytes()
	}
	return nil
}
