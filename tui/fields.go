package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/internal/termtext"

	"github.com/xp-ml/xp/internal/numfmt"
)

// fieldStyle says how a structure's values are written: as recorded (a
// spec, whose numbers are what its author wrote) or for reading (timing
// and provenance: durations, rates, rounded numbers, spaced names).
type fieldStyle struct {
	readable bool
	width    int // the page's width: a short list stays on its key's line
}

// fields renders a JSON document as indented "name  value" lines, nested
// objects under their name, lists inline when short and as "- " items
// otherwise. It returns nil for a document that is empty or unreadable.
func fields(raw json.RawMessage, indent int, fs fieldStyle) []string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok || len(obj) == 0 {
		return nil
	}
	return fs.object(obj, indent)
}

// object writes an object's fields at indent, names padded to line up.
func (fs fieldStyle) object(obj map[string]any, indent int) []string {
	keys := make([]string, 0, len(obj))
	nameW := 0
	for k := range obj {
		keys = append(keys, k)
		nameW = max(nameW, ansi.StringWidth(fs.name(k)))
	}
	sort.Strings(keys)
	pad := strings.Repeat(" ", indent)
	var lines []string
	for _, k := range keys {
		name := fs.name(k)
		switch x := obj[k].(type) {
		case map[string]any:
			if len(x) == 0 {
				lines = append(lines, pad+fit(name, nameW)+"  (none)")
				continue
			}
			lines = append(lines, pad+name)
			lines = append(lines, fs.object(x, indent+2)...)
		case []any:
			lines = append(lines, fs.list(pad+fit(name, nameW)+"  ", pad+name, x, indent)...)
		default:
			lines = append(lines, pad+fit(name, nameW)+"  "+fs.value(k, x))
		}
	}
	return lines
}

// list writes a list: "a, b, c" after its name when its items are plain
// and it fits; else the name alone, then an item a line.
func (fs fieldStyle) list(inline, alone string, items []any, indent int) []string {
	if len(items) == 0 {
		return []string{inline + "(none)"}
	}
	plain := make([]string, 0, len(items))
	for _, it := range items {
		switch it.(type) {
		case map[string]any, []any:
		default:
			plain = append(plain, fs.value("", it))
		}
	}
	if len(plain) == len(items) {
		if s := inline + strings.Join(plain, ", "); fs.width <= 0 || ansi.StringWidth(s) <= fs.width {
			return []string{s}
		}
	}
	lines := []string{alone}
	pad := strings.Repeat(" ", indent+2)
	for _, it := range items {
		switch x := it.(type) {
		case map[string]any:
			sub := fs.object(x, indent+4)
			if len(sub) == 0 {
				lines = append(lines, pad+"- (none)")
				continue
			}
			lines = append(lines, pad+"- "+strings.TrimPrefix(sub[0], pad+"  "))
			lines = append(lines, sub[1:]...)
		case []any:
			lines = append(lines, fs.list(pad+"- ", pad+"-", x, indent+2)...)
		default:
			lines = append(lines, pad+"- "+fs.value("", x))
		}
	}
	return lines
}

// name is how a field's name is shown: as recorded, or for reading with
// its unit moved to its value ("train_seconds" is "train").
func (fs fieldStyle) name(k string) string {
	k = termtext.Clean(k)
	if !fs.readable {
		return k
	}
	k = strings.TrimSuffix(k, "_seconds")
	k = strings.Replace(k, "_per_sec", "/s", 1)
	return strings.ReplaceAll(k, "_", " ")
}

// value writes a plain value; key, when known, says its unit.
func (fs fieldStyle) value(key string, v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return termtext.Clean(x)
	case json.Number:
		if !fs.readable {
			return x.String()
		}
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		switch {
		case strings.HasSuffix(key, "_seconds"):
			return formatSeconds(f)
		case strings.HasSuffix(key, "_per_sec"):
			return formatNumber(f) + "/s"
		}
		return formatNumber(f)
	}
	return termtext.Clean(fmt.Sprint(v))
}

// formatNumber writes a measured number as the CLI does (numfmt.Num).
func formatNumber(f float64) string { return numfmt.Num(f, numfmt.Digits) }
