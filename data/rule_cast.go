package data

import (
	"fmt"
	"math"
	"slices"

	"github.com/xp-ml/xp/cue/spec"
)

const kindCast = "cast"

var castTargets = []string{"number", "text"}

// cast makes a column hold numbers (a value that is not one becomes
// missing) or text.
type cast struct{ *spec.Cast }

func (cast) kind() string { return kindCast }

func (r cast) fit(w *workspace, field string) (RuleReport, string, error) {
	f := field + "." + kindCast
	if _, err := w.changeable(f+".column", r.Column); err != nil {
		return RuleReport{}, "", err
	}
	if !slices.Contains(castTargets, r.To) {
		return RuleReport{}, "", fieldErrorf(f+".to", ErrInvalidRule, "%q is not one of %s%s", r.To, quoteList(castTargets), didYouMean(r.To, castTargets))
	}
	return w.applyStep(&castStep{Column: r.Column, To: r.To}, func(n [numSplits]int, total int) string {
		d := fmt.Sprintf("cast %s to %s", r.Column, r.To)
		if total > 0 {
			d += fmt.Sprintf("; %d values were not numbers and became missing (%s)", total, perSplit(n))
		}
		return d
	})
}

func (r cast) vet(c *schemaCheck, field string) {
	if j := c.changeable(field+"."+kindCast+".column", r.Column); j >= 0 {
		c.kinds[j] = map[string]Kind{"number": KindNumber, "text": KindText}[r.To]
	}
}

// castStep is a fitted cast rule. It counts the values that were text and
// became missing.
type castStep struct {
	Column string `json:"column,omitempty"`
	To     string `json:"to,omitempty"` // "number" or "text"
}

func (*castStep) kind() string { return kindCast }

func (s *castStep) apply(t *table, groups [][]int) ([]int, error) {
	changed := make([]int, len(groups))
	j := t.index(s.Column)
	if j < 0 {
		return changed, nil
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
		count(changed, groups, bad)
	case s.To == "text" && c.Numeric:
		t.replace(j, asText(c))
	}
	return changed, nil
}
