package data

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

const kindNormalize = "normalize_text"

// normalize cleans text columns: lowercase, trim and collapse spaces,
// strip HTML tags and entities.
type normalize struct{ *spec.NormalizeText }

func (normalize) kind() string { return kindNormalize }

func (r normalize) fit(w *workspace, field string) (RuleReport, string, error) {
	f := field + "." + kindNormalize
	if len(r.Columns) == 0 {
		return RuleReport{}, "", fieldErrorf(f+".columns", ErrInvalidRule, "names no columns")
	}
	for k, name := range r.Columns {
		cf := fmt.Sprintf("%s.columns[%d]", f, k)
		j, err := w.changeable(cf, name)
		if err != nil {
			return RuleReport{}, "", err
		}
		if w.cols[j].Numeric {
			return RuleReport{}, "", fieldErrorf(cf, ErrType, "normalize_text needs text but column %q holds numbers", name)
		}
	}
	st := &normalizeStep{Columns: slices.Clone(r.Columns), Lowercase: r.Lowercase, Trim: r.Trim, StripHTML: r.StripHTML}
	return w.applyStep(st, func(n [numSplits]int, total int) string {
		return fmt.Sprintf("%s: %d values changed (%s)", st.describe(), total, perSplit(n))
	})
}

func (r normalize) vet(c *schemaCheck, field string) {
	for k, name := range r.Columns {
		f := fmt.Sprintf("%s.%s.columns[%d]", field, kindNormalize, k)
		if j := c.changeable(f, name); j >= 0 && c.kinds[j] == KindNumber {
			c.out = append(c.out, fieldErrorf(f, ErrType, "normalize_text needs text but column %q holds numbers", name))
		}
	}
}

// normalizeStep is a fitted normalize_text rule.
type normalizeStep struct {
	Columns   []string `json:"columns,omitempty"`
	Lowercase bool     `json:"lowercase,omitempty"`
	Trim      bool     `json:"trim,omitempty"`
	StripHTML bool     `json:"strip_html,omitempty"`
}

func (*normalizeStep) kind() string { return kindNormalize }

func (s *normalizeStep) apply(t *table, groups [][]int) ([]int, error) {
	changed := make([]int, len(groups))
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
	return changed, nil
}

// describe reads "normalize_text Note, Title".
func (s *normalizeStep) describe() string {
	return "normalize_text " + strings.Join(s.Columns, ", ")
}
