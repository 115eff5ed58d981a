package data

import (
	"errors"
	"fmt"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

const kindFillNA = "fill_na"

var fillMethods = []string{"mean", "median", "mode", "constant"}

// fillNA replaces the missing values of a column with a training statistic
// or a constant.
type fillNA struct{ *spec.FillNA }

func (fillNA) kind() string { return kindFillNA }

func (r fillNA) fit(w *workspace, field string) (RuleReport, string, error) {
	fill, desc, err := r.fitFill(w, field+"."+kindFillNA)
	if err != nil {
		return RuleReport{}, "", err
	}
	rep, what, err := w.applyStep(&fillStep{Fill: &fill}, func(n [numSplits]int, total int) string {
		return fmt.Sprintf("filled %d missing %s with %s (%s)", total, r.Column, desc, perSplit(n))
	})
	// What a fill changes, it fills.
	rep.ValuesFilled, rep.ValuesChanged = rep.ValuesChanged, 0
	return rep, what, err
}

// fitFill fits the rule on the training split; desc says what it fills
// with, for the report.
func (r fillNA) fitFill(w *workspace, field string) (Fill, string, error) {
	j, err := w.changeable(field+".column", r.Column)
	if err != nil {
		return Fill{}, "", err
	}
	c := w.cols[j]
	fill := Fill{Column: c.Name, Numeric: c.Numeric}
	var desc string
	switch r.With {
	case "mean", "median", "mode":
		if !c.Numeric && r.With != "mode" {
			return Fill{}, "", fieldErrorf(field+".with", ErrType, "%s needs numbers but column %q holds text (use mode or constant)", r.With, c.Name)
		}
		var ok bool
		if c.Numeric {
			fill.Number, ok = numberStat(r.With, c, w.splits[splitTrain])
			desc = fmt.Sprintf("the training %s %s", r.With, formatNumber(fill.Number))
		} else {
			fill.Text, ok = textMode(c, w.splits[splitTrain])
			desc = fmt.Sprintf("the training mode %q", fill.Text)
		}
		if !ok {
			return Fill{}, "", fieldErrorf(field, ErrInvalidRule, "column %q has no values in the training split to take the %s of", c.Name, r.With)
		}
	case "constant":
		if r.Value == nil {
			return Fill{}, "", fieldErrorf(field+".value", ErrInvalidRule, "with: \"constant\" needs a value")
		}
		if c.Numeric {
			x, ok := asNumber(r.Value)
			if !ok {
				return Fill{}, "", fieldErrorf(field+".value", ErrType, "column %q holds numbers; %s is not one", c.Name, describeValue(r.Value))
			}
			fill.Number = x
			desc = formatNumber(x)
		} else {
			s, ok := r.Value.(string)
			if !ok {
				return Fill{}, "", fieldErrorf(field+".value", ErrType, "column %q holds text; fill it with a string, not %s", c.Name, describeValue(r.Value))
			}
			fill.Text = s
			desc = fmt.Sprintf("%q", s)
		}
	default:
		return Fill{}, "", fieldErrorf(field+".with", ErrInvalidRule, "%q is not one of %s%s",
			r.With, quoteList(fillMethods), didYouMean(r.With, fillMethods))
	}
	return fill, desc, nil
}

func (r fillNA) vet(c *schemaCheck, field string) {
	j := c.changeable(field+"."+kindFillNA+".column", r.Column)
	if c.text(j) && (r.With == "mean" || r.With == "median") {
		c.out = append(c.out, fieldErrorf(field+"."+kindFillNA+".with", ErrType, "%s needs numbers but column %q holds text (use mode or constant)", r.With, r.Column))
	}
}

// Fill is a fitted fill_na rule: the value that replaces a missing value of
// Column, a number (Numeric) or a string.
type Fill struct {
	Column  string  `json:"column"`
	Numeric bool    `json:"numeric"`
	Number  float64 `json:"number,omitempty"`
	Text    string  `json:"text,omitempty"`
}

func (f Fill) apply(c *Column, row int) {
	if c.Numeric {
		c.Num[row] = f.Number
	} else {
		c.Str[row] = f.Text
	}
	c.Missing[row] = false
}

// fillStep is a fitted fill_na rule as a step; version 1 pipelines saved
// the Fill alone.
type fillStep struct {
	Fill *Fill `json:"fill,omitempty"`
}

func (*fillStep) kind() string { return kindFillNA }

// check rejects a step read from a file that has no fill.
func (s *fillStep) check() error {
	if s.Fill == nil {
		return errors.New("pipeline step fill_na has no fill")
	}
	return nil
}

func (s *fillStep) apply(t *table, groups [][]int) ([]int, error) {
	changed := make([]int, len(groups))
	j := t.index(s.Fill.Column)
	if j < 0 {
		return changed, nil
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
	return changed, nil
}

// numberStat is the mean, median or mode of c over rows, ignoring missing
// values; false when there are none. The mode's ties go to the smallest
// value, so the answer does not depend on map order.
func numberStat(stat string, c *Column, rows []int) (float64, bool) {
	vals := make([]float64, 0, len(rows))
	for _, r := range rows {
		if !c.Missing[r] {
			vals = append(vals, c.Num[r])
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	switch stat {
	case "mean":
		return mean(vals), true
	case "median":
		slices.Sort(vals)
		n := len(vals)
		if n%2 == 1 {
			return vals[n/2], true
		}
		return (vals[n/2-1] + vals[n/2]) / 2, true
	}
	slices.Sort(vals)
	best, bestCount := vals[0], 0
	for i := 0; i < len(vals); {
		k := i
		for k < len(vals) && vals[k] == vals[i] {
			k++
		}
		if k-i > bestCount {
			best, bestCount = vals[i], k-i
		}
		i = k
	}
	return best, true
}

// textMode is the most frequent value of c over rows; ties go to the
// smallest string.
func textMode(c *Column, rows []int) (string, bool) {
	counts := map[string]int{}
	for _, r := range rows {
		if !c.Missing[r] {
			counts[c.Str[r]]++
		}
	}
	best, bestCount := "", 0
	for s, n := range counts {
		if n > bestCount || (n == bestCount && s < best) {
			best, bestCount = s, n
		}
	}
	return best, bestCount > 0
}

func mean(vals []float64) float64 {
	var sum float64
	for _, v := range vals {
		sum += v
	}
	return sum / float64(len(vals))
}
