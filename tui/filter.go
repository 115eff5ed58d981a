package tui

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/xp-ml/xp/internal/suggest"
	"github.com/xp-ml/xp/store"
)

// errFilter is what a filter that cannot be parsed wraps; the message
// before it is shown to the user as is.
var errFilter = errors.New("bad filter")

// filter is a parsed `/` query: terms separated by spaces, all of which a
// run must match.
//
//	credit            text anywhere in experiment, key, device, status, sweep
//	status:failed     a status, or several: status:failed,canceled
//	exp:credit        a field containing text: exp, key, device, sweep
//	test.auc>0.8      a metric's last value: <split>.<metric> <op> <number>
//	accuracy>=0.9     a metric without a split: test, else validation, else train
//	metric<0.5        the metric shown in the table's metric column
//	!status:running   any term negated with a leading ! or -
type filter struct {
	query string
	terms []term
}

type termKind int

const (
	termText termKind = iota
	termStatus
	termField
	termMetric
)

type term struct {
	kind     termKind
	neg      bool
	field    string // termField: exp, key, device, sweep
	text     string // lowercase, for termText and termField
	statuses []store.Status
	metric   store.SplitMetric // termMetric; zero for the metric column
	column   bool              // termMetric on the metric column
	op       string
	num      float64
}

// fieldNames maps what users type before ':' to the field it names.
var fieldNames = map[string]string{
	"status": "status", "s": "status", "is": "status",
	"exp": "exp", "experiment": "exp", "e": "exp",
	"key": "key", "k": "key",
	"device": "device", "dev": "device", "d": "device",
	"sweep": "sweep",
}

// splitNames maps what users type before '.' to a split.
var splitNames = map[string]string{
	"train": store.SplitTrain, "validation": store.SplitValidation, "val": store.SplitValidation,
	"valid": store.SplitValidation, "test": store.SplitTest,
}

var (
	// metricTerm is <name><op><number> once spaces around the operator are
	// gone.
	metricTerm = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.\-]*)(>=|<=|==|!=|=|>|<)([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)$`)
	// opSpaces finds the spaces around a comparison, so "auc > 0.8" is one
	// term.
	opSpaces = regexp.MustCompile(`\s*(>=|<=|==|!=|>|<|=)\s*`)
)

// parseFilter parses a query. names are the metrics the store has, for
// resolving a metric without a split and suggesting a name for a typo.
func parseFilter(query string, names []store.SplitMetric) (filter, error) {
	f := filter{query: query}
	for _, tok := range strings.Fields(opSpaces.ReplaceAllString(query, "$1")) {
		t, err := parseTerm(tok, names)
		if err != nil {
			return filter{}, err
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

func parseTerm(tok string, names []store.SplitMetric) (term, error) {
	var t term
	if len(tok) > 1 && (tok[0] == '!' || (tok[0] == '-' && !isDigitOrDot(tok[1]))) {
		t.neg, tok = true, tok[1:]
	}
	if m := metricTerm.FindStringSubmatch(tok); m != nil {
		num, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return term{}, fmt.Errorf("%q: %w", tok, errFilter)
		}
		t.kind, t.op, t.num = termMetric, m[2], num
		if t.op == "==" {
			t.op = "="
		}
		if m[1] == "metric" || m[1] == "m" {
			t.column = true
			return t, nil
		}
		t.metric, err = resolveMetric(m[1], names)
		return t, err
	}
	if name, value, ok := strings.Cut(tok, ":"); ok {
		field, known := fieldNames[strings.ToLower(name)]
		if !known {
			hint := ""
			if s, ok := suggest.Closest(name, []string{"status", "exp", "key", "device", "sweep"}); ok {
				hint = fmt.Sprintf("; did you mean %s:?", s)
			}
			return term{}, fmt.Errorf("unknown field %q (status, exp, key, device, sweep)%s: %w", name, hint, errFilter)
		}
		if field == "status" {
			sts, err := parseStatuses(value)
			if err != nil {
				return term{}, err
			}
			t.kind, t.statuses = termStatus, sts
			return t, nil
		}
		t.kind, t.field, t.text = termField, field, strings.ToLower(value)
		return t, nil
	}
	t.kind, t.text = termText, strings.ToLower(tok)
	return t, nil
}

func isDigitOrDot(c byte) bool { return (c >= '0' && c <= '9') || c == '.' }

// parseStatuses reads "failed,canceled"; each may be a unique prefix.
func parseStatuses(s string) ([]store.Status, error) {
	var out []store.Status
	for _, v := range strings.Split(strings.ToLower(s), ",") {
		if v == "" {
			continue
		}
		var match []store.Status
		for _, st := range store.Statuses {
			if string(st) == v {
				match = []store.Status{st}
				break
			}
			if strings.HasPrefix(string(st), v) {
				match = append(match, st)
			}
		}
		if len(match) != 1 {
			names := make([]string, len(store.Statuses))
			for i, st := range store.Statuses {
				names[i] = string(st)
			}
			if c, ok := suggest.Closest(v, names); ok {
				return nil, fmt.Errorf("unknown status %q; did you mean %s?: %w", v, c, errFilter)
			}
			return nil, fmt.Errorf("unknown status %q (%s): %w", v, strings.Join(names, ", "), errFilter)
		}
		out = append(out, match[0])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("status: which? %w", errFilter)
	}
	return out, nil
}

// resolveMetric reads "test.auc", "val.loss" or "auc"; a metric name may
// be shortened to a unique prefix ("acc").
func resolveMetric(s string, names []store.SplitMetric) (store.SplitMetric, error) {
	splits := []string{store.SplitTest, store.SplitValidation, store.SplitTrain}
	name := s
	if sp, n, ok := strings.Cut(s, "."); ok {
		if split, known := splitNames[strings.ToLower(sp)]; known {
			splits, name = []string{split}, n
		}
	}
	// The first split, in order, that has the name exactly, else the first
	// that has exactly one name starting with it.
	for _, exact := range []bool{true, false} {
		for _, split := range splits {
			var found []store.SplitMetric
			for _, n := range names {
				if n.Split == split && (n.Name == name || (!exact && strings.HasPrefix(n.Name, name))) {
					found = append(found, n)
				}
			}
			if len(found) == 1 {
				return found[0], nil
			}
		}
	}
	cands := make([]string, 0, len(names)*2)
	for _, n := range names {
		cands = append(cands, n.Name, n.String())
	}
	hint := ""
	if c, ok := suggest.Closest(s, cands); ok {
		hint = fmt.Sprintf("; did you mean %s?", c)
	}
	return store.SplitMetric{}, fmt.Errorf("no run has a metric %q%s: %w", s, hint, errFilter)
}

// series lists the metric series the filter reads; col is the table's
// metric column.
func (f filter) series(col store.SplitMetric) []store.SplitMetric {
	var out []store.SplitMetric
	for _, t := range f.terms {
		if t.kind != termMetric {
			continue
		}
		m := t.metric
		if t.column {
			m = col
		}
		out = append(out, m)
	}
	return out
}

// empty reports whether the filter selects everything.
func (f filter) empty() bool { return len(f.terms) == 0 }

// values looks up a metric series' last values by run id; nil when not
// loaded.
type values func(store.SplitMetric) map[int64]float64

// match reports whether r passes every term. A metric term needs its series
// in vals; a run without the metric (or with NaN) matches no comparison.
func (f filter) match(r *row, col store.SplitMetric, vals values) bool {
	for i := range f.terms {
		if f.terms[i].match(r, col, vals) == f.terms[i].neg {
			return false
		}
	}
	return true
}

func (t *term) match(r *row, col store.SplitMetric, vals values) bool {
	switch t.kind {
	case termText:
		return strings.Contains(r.search, t.text)
	case termStatus:
		for _, s := range t.statuses {
			if r.Status == s {
				return true
			}
		}
		return false
	case termField:
		var v string
		switch t.field {
		case "exp":
			v = r.exp
		case "key":
			v = r.Key
		case "device":
			v = r.Device
		case "sweep":
			v = r.SweepID
		}
		return strings.Contains(strings.ToLower(v), t.text)
	case termMetric:
		m := t.metric
		if t.column {
			m = col
		}
		vs := vals(m)
		v, ok := vs[r.ID]
		if !ok || math.IsNaN(v) {
			return false
		}
		switch t.op {
		case ">":
			return v > t.num
		case ">=":
			return v >= t.num
		case "<":
			return v < t.num
		case "<=":
			return v <= t.num
		case "=":
			return v == t.num
		case "!=":
			return v != t.num
		}
	}
	return false
}
