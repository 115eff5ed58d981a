package data

import (
	"fmt"
	"math"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

const kindClip = "clip"

// clip bounds a numeric column, by given bounds or by quantiles of the
// training split.
type clip struct{ *spec.Clip }

func (clip) kind() string { return kindClip }

func (r clip) fit(w *workspace, field string) (RuleReport, string, error) {
	st, err := r.fitStep(w, field+"."+kindClip)
	if err != nil {
		return RuleReport{}, "", err
	}
	return w.applyStep(st, func(n [numSplits]int, total int) string {
		return fmt.Sprintf("%s: %d values changed (%s)", st.describe(), total, perSplit(n))
	})
}

func (r clip) fitStep(w *workspace, field string) (*clipStep, error) {
	j, err := w.changeable(field+".column", r.Column)
	if err != nil {
		return nil, err
	}
	c := w.cols[j]
	if !c.Numeric {
		return nil, fieldErrorf(field+".column", ErrType, "clip needs numbers but column %q holds text (cast it to number first)", r.Column)
	}
	st := &clipStep{Column: r.Column}
	switch {
	case len(r.Quantiles) > 0:
		if r.Min != nil || r.Max != nil {
			return nil, fieldErrorf(field, ErrInvalidRule, "clip takes min/max or quantiles, not both")
		}
		q := r.Quantiles
		if len(q) != 2 || !(q[0] >= 0 && q[0] <= q[1] && q[1] <= 1) {
			return nil, fieldErrorf(field+".quantiles", ErrInvalidRule, "want [lower, upper] with 0 <= lower <= upper <= 1, not %v", q)
		}
		vals := presentValues(c, w.splits[splitTrain])
		if len(vals) == 0 {
			return nil, fieldErrorf(field, ErrInvalidRule, "column %q has no values in the training split to take quantiles of", r.Column)
		}
		slices.Sort(vals)
		lo, hi := quantile(vals, q[0]), quantile(vals, q[1])
		st.Min, st.Max = &lo, &hi
	case r.Min == nil && r.Max == nil:
		return nil, fieldErrorf(field, ErrInvalidRule, "clip needs min, max or quantiles")
	default:
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			return nil, fieldErrorf(field, ErrInvalidRule, "min %v is above max %v", *r.Min, *r.Max)
		}
		st.Min, st.Max = r.Min, r.Max
	}
	return st, nil
}

func (r clip) vet(c *schemaCheck, field string) {
	f := field + "." + kindClip + ".column"
	if j := c.changeable(f, r.Column); c.text(j) {
		c.out = append(c.out, fieldErrorf(f, ErrType, "clip needs numbers but column %q holds text (cast it to number first)", r.Column))
	}
}

// clipStep is a fitted clip rule: its bounds, given or fitted; nil for no
// bound on that side.
type clipStep struct {
	Column string   `json:"column,omitempty"`
	Min    *float64 `json:"min,omitempty"`
	Max    *float64 `json:"max,omitempty"`
}

func (*clipStep) kind() string { return kindClip }

func (s *clipStep) apply(t *table, groups [][]int) ([]int, error) {
	changed := make([]int, len(groups))
	j := t.index(s.Column)
	if j < 0 {
		return changed, nil
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
	return changed, nil
}

// describe reads "clip Age to [18, +inf]".
func (s *clipStep) describe() string {
	lo, hi := "-inf", "+inf"
	if s.Min != nil {
		lo = formatNumber(*s.Min)
	}
	if s.Max != nil {
		hi = formatNumber(*s.Max)
	}
	return fmt.Sprintf("clip %s to [%s, %s]", s.Column, lo, hi)
}

func presentValues(c *Column, rows []int) []float64 {
	vals := make([]float64, 0, len(rows))
	for _, r := range rows {
		if !c.Missing[r] {
			vals = append(vals, c.Num[r])
		}
	}
	return vals
}

// quantile is the q-quantile of sorted by linear interpolation between the
// closest ranks (numpy's default, pandas' too).
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(i)
	return sorted[i] + frac*(sorted[i+1]-sorted[i])
}
