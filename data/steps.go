package data

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Step is a fitted cleaning rule that changes values or columns rather than
// choosing rows: what Transform replays, in spec order, on new rows so they
// reach the encoders as the training rows did. Rules that drop rows
// (drop_na, filter, drop_duplicates) are not steps: scoring keeps every row.
type Step struct {
	Kind string `json:"kind"` // the rule: "rename", "drop_columns", "cast", "fill_na", "clip", "replace", "normalize_text"

	Column  string            `json:"column,omitempty"`
	Columns []string          `json:"columns,omitempty"` // drop_columns, normalize_text
	Rename  map[string]string `json:"rename,omitempty"`  // old name -> new
	To      string            `json:"to,omitempty"`      // cast: "number" or "text"
	Fill    *Fill             `json:"fill,omitempty"`
	// clip's bounds, given or fitted from training quantiles.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// replace: the value map, on numbers (written as text) or text.
	Numeric bool          `json:"numeric,omitempty"`
	Replace []Replacement `json:"replace,omitempty"`
	// normalize_text's options.
	Lowercase bool `json:"lowercase,omitempty"`
	Trim      bool `json:"trim,omitempty"`
	StripHTML bool `json:"strip_html,omitempty"`
}

// Replacement maps one value to another; To nil makes it missing. On a
// numeric column both are numbers in their shortest text.
type Replacement struct {
	From string  `json:"from"`
	To   *string `json:"to"`
}

// apply runs the step on the rows of each group and returns how many values
// it changed in each. A column the table does not have is skipped: Prepare
// checked them all when it fitted the step, and for Transform only the
// columns the encoders need matter, which they check themselves.
func (s *Step) apply(t *table, groups [][]int) ([]int, error) {
	changed := make([]int, len(groups))
	count := func(mark []bool) {
		for g, rows := range groups {
			for _, r := range rows {
				if mark[r] {
					changed[g]++
				}
			}
		}
	}
	switch s.Kind {
	case "rename":
		// All at once, so {a: "b", b: "a"} swaps.
		idx := map[string]int{}
		for old := range s.Rename {
			if j := t.index(old); j >= 0 {
				idx[old] = j
			}
		}
		for _, old := range slices.Sorted(maps.Keys(idx)) {
			j := idx[old]
			t.names[j] = s.Rename[old]
			t.cols[j] = renamed(t.cols[j], s.Rename[old])
		}
	case "drop_columns":
		for _, name := range s.Columns {
			if j := t.index(name); j >= 0 {
				t.gone[j] = true
			}
		}
	case "cast":
		j := t.index(s.Column)
		if j < 0 {
			break
		}
		c := t.cols[j]
		switch {
		case s.To == "number" && !c.Numeric:
			nc := &Column{Numeric: true, Num: make([]float64, len(c.Str)), Missing: slices.Clone(c.Missing)}
			bad := make([]bool, len(c.Str))
			for i, v := range c.Str {
				x, kind := math.NaN(), cellMissing
				if !c.Missing[i] {
					x, kind = classify([]byte(v))
				}
				if kind != cellNumber {
					x, nc.Missing[i], bad[i] = math.NaN(), true, kind == cellText
				}
				nc.Num[i] = x
			}
			t.replace(j, nc)
			count(bad)
		case s.To == "text" && c.Numeric:
			t.replace(j, asText(c))
		}
	case "fill_na":
		j := t.index(s.Fill.Column)
		if j < 0 {
			break
		}
		if err := t.conform(j, s.Fill.Numeric); err != nil {
			return nil, err
		}
		for g, rows := range groups {
			for _, r := range rows {
				if t.cols[j].Missing[r] {
					s.Fill.apply(t.writable(j), r)
					changed[g]++
				}
			}
		}
	case "clip":
		j := t.index(s.Column)
		if j < 0 {
			break
		}
		if err := t.conform(j, true); err != nil {
			return nil, err
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		if s.Min != nil {
			lo = *s.Min
		}
		if s.Max != nil {
			hi = *s.Max
		}
		for g, rows := range groups {
			for _, r := range rows {
				c := t.cols[j]
				if c.Missing[r] || (c.Num[r] >= lo && c.Num[r] <= hi) {
					continue
				}
				t.writable(j).Num[r] = min(max(c.Num[r], lo), hi)
				changed[g]++
			}
		}
	case "replace":
		j := t.index(s.Column)
		if j < 0 {
			break
		}
		if err := t.conform(j, s.Numeric); err != nil {
			return nil, err
		}
		if s.Numeric {
			m := map[float64]*float64{}
			for _, rep := range s.Replace {
				from, _ := strconv.ParseFloat(rep.From, 64)
				var to *float64
				if rep.To != nil {
					x, _ := strconv.ParseFloat(*rep.To, 64)
					to = &x
				}
				m[from] = to
			}
			for g, rows := range groups {
				for _, r := range rows {
					c := t.cols[j]
					if c.Missing[r] {
						continue
					}
					to, ok := m[c.Num[r]]
					if !ok {
						continue
					}
					w := t.writable(j)
					if to == nil {
						w.Num[r], w.Missing[r] = math.NaN(), true
					} else {
						w.Num[r] = *to
					}
					changed[g]++
				}
			}
			break
		}
		m := map[string]*string{}
		for _, rep := range s.Replace {
			m[rep.From] = rep.To
		}
		for g, rows := range groups {
			for _, r := range rows {
				c := t.cols[j]
				if c.Missing[r] {
					continue
				}
				to, ok := m[c.Str[r]]
				if !ok {
					continue
				}
				w := t.writable(j)
				if to == nil || *to == "" {
					w.Str[r], w.Missing[r] = "", true
				} else {
					w.Str[r] = *to
				}
				changed[g]++
			}
		}
	case "normalize_text":
		for _, name := range s.Columns {
			j := t.index(name)
			if j < 0 {
				continue
			}
			if err := t.conform(j, false); err != nil {
				return nil, err
			}
			memo := map[string]string{} // categories repeat; free text costs one lookup
			for g, rows := range groups {
				for _, r := range rows {
					c := t.cols[j]
					if c.Missing[r] {
						continue
					}
					v := c.Str[r]
					nv, ok := memo[v]
					if !ok {
						nv = normalizeText(v, s.Lowercase, s.Trim, s.StripHTML)
						if len(memo) < internLimit {
							memo[v] = nv
						}
					}
					if nv == v {
						continue
					}
					w := t.writable(j)
					w.Str[r] = nv
					if nv == "" {
						w.Missing[r] = true
					}
					changed[g]++
				}
			}
		}
	default:
		return nil, fmt.Errorf("pipeline step %q: unknown kind", s.Kind)
	}
	return changed, nil
}

// renamed is c under another name; the values are shared, not copied.
func renamed(c *Column, name string) *Column {
	nc := *c
	nc.Name = name
	return &nc
}

// describe says what the step does, for reports: "clip Age to [18, 90]".
func (s *Step) describe() string {
	switch s.Kind {
	case "clip":
		lo, hi := "-inf", "+inf"
		if s.Min != nil {
			lo = formatNumber(*s.Min)
		}
		if s.Max != nil {
			hi = formatNumber(*s.Max)
		}
		return fmt.Sprintf("clip %s to [%s, %s]", s.Column, lo, hi)
	case "normalize_text":
		return "normalize_text " + strings.Join(s.Columns, ", ")
	}
	return s.Kind + " " + s.Column
}
