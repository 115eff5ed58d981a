package data

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/xp-ml/xp/cue/spec"
)

const kindReplace = "replace"

// replace maps values of a column to others, or to missing.
type replace struct{ *spec.Replace }

func (replace) kind() string { return kindReplace }

func (r replace) fit(w *workspace, field string) (RuleReport, string, error) {
	st, err := r.fitStep(w, field+"."+kindReplace)
	if err != nil {
		return RuleReport{}, "", err
	}
	return w.applyStep(st, func(n [numSplits]int, total int) string {
		return fmt.Sprintf("replaced %d values of %s (%s)", total, r.Column, perSplit(n))
	})
}

func (r replace) fitStep(w *workspace, field string) (*replaceStep, error) {
	j, err := w.changeable(field+".column", r.Column)
	if err != nil {
		return nil, err
	}
	if len(r.Values) == 0 {
		return nil, fieldErrorf(field+".values", ErrInvalidRule, "replaces nothing")
	}
	c := w.cols[j]
	st := &replaceStep{Column: r.Column, Numeric: c.Numeric}
	for _, from := range slices.Sorted(maps.Keys(r.Values)) {
		vf := field + ".values." + cueLabel(from)
		to := r.Values[from]
		rep := Replacement{From: from}
		if c.Numeric {
			x, kind := classify([]byte(from))
			if kind != cellNumber {
				return nil, fieldErrorf(vf, ErrType, "column %q holds numbers; %q is not one (cast the column to text to replace text)", r.Column, from)
			}
			rep.From = formatNumber(x)
			if to != nil {
				y, ok := asNumber(to)
				if !ok {
					return nil, fieldErrorf(vf, ErrType, "column %q holds numbers; replace with a number or null, not %s", r.Column, describeValue(to))
				}
				s := formatNumber(y)
				rep.To = &s
			}
		} else if to != nil {
			s, ok := to.(string)
			if !ok {
				x, isNum := asNumber(to)
				if !isNum {
					return nil, fieldErrorf(vf, ErrType, "replace with a string or null, not %s", describeValue(to))
				}
				s = formatNumber(x)
			}
			rep.To = &s
		}
		st.Replace = append(st.Replace, rep)
	}
	return st, nil
}

func (r replace) vet(c *schemaCheck, field string) {
	c.changeable(field+"."+kindReplace+".column", r.Column)
}

// replaceStep is a fitted replace rule: the value map, on numbers (written
// as text) or on text.
type replaceStep struct {
	Column  string        `json:"column,omitempty"`
	Numeric bool          `json:"numeric,omitempty"`
	Replace []Replacement `json:"replace,omitempty"`
}

// Replacement maps one value to another; To nil makes it missing. On a
// numeric column both are numbers in their shortest text.
type Replacement struct {
	From string  `json:"from"`
	To   *string `json:"to"`
}

func (*replaceStep) kind() string { return kindReplace }

func (s *replaceStep) apply(t *table, groups [][]int) ([]int, error) {
	j := t.index(s.Column)
	if j < 0 {
		return make([]int, len(groups)), nil
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
		return replaceValues(t, j, groups, m, math.NaN(), func(c *Column) []float64 { return c.Num }), nil
	}
	m := map[string]*string{}
	for _, rep := range s.Replace {
		if rep.To != nil && *rep.To == "" {
			m[rep.From] = nil // an empty string is a missing value
		} else {
			m[rep.From] = rep.To
		}
	}
	return replaceValues(t, j, groups, m, "", func(c *Column) []string { return c.Str }), nil
}

// replaceValues replaces the values of column j (values(column): its
// numbers or its strings) that m maps, in each group's rows; one mapped to
// nil becomes missing, none. It returns how many it replaced in each group.
func replaceValues[T comparable](t *table, j int, groups [][]int, m map[T]*T, none T, values func(*Column) []T) []int {
	changed := make([]int, len(groups))
	for g, rows := range groups {
		for _, r := range rows {
			c := t.cols[j]
			if c.Missing[r] {
				continue
			}
			to, ok := m[values(c)[r]]
			if !ok {
				continue
			}
			w := t.writable(j)
			if to == nil {
				values(w)[r], w.Missing[r] = none, true
			} else {
				values(w)[r] = *to
			}
			changed[g]++
		}
	}
	return changed
}
