package data

import (
	"fmt"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

const kindDropColumns = "drop_columns"

// dropColumns removes columns, in training and when scoring.
type dropColumns struct{ *spec.DropColumns }

func (dropColumns) kind() string { return kindDropColumns }

func (r dropColumns) fit(w *workspace, field string) (RuleReport, string, error) {
	f := field + "." + kindDropColumns
	if len(r.Columns) == 0 {
		return RuleReport{}, "", fieldErrorf(f+".columns", ErrInvalidRule, "names no columns")
	}
	for k, name := range r.Columns {
		if _, err := w.changeable(fmt.Sprintf("%s.columns[%d]", f, k), name); err != nil {
			return RuleReport{}, "", err
		}
	}
	for _, name := range r.Columns {
		w.noteGone(name, "dropped by "+field)
	}
	st := &dropColumnsStep{Columns: slices.Clone(r.Columns)}
	return w.applyStep(st, func([numSplits]int, int) string { return "dropped columns " + strings.Join(st.Columns, ", ") })
}

func (r dropColumns) vet(c *schemaCheck, field string) {
	for k, name := range r.Columns {
		if c.changeable(fmt.Sprintf("%s.%s.columns[%d]", field, kindDropColumns, k), name) >= 0 {
			c.t.gone[c.t.index(name)] = true
			c.t.noteGone(name, "dropped by "+field)
		}
	}
}

// dropColumnsStep is a fitted drop_columns rule.
type dropColumnsStep struct {
	Columns []string `json:"columns,omitempty"`
}

func (*dropColumnsStep) kind() string { return kindDropColumns }

func (s *dropColumnsStep) apply(t *table, groups [][]int) ([]int, error) {
	for _, name := range s.Columns {
		if j := t.index(name); j >= 0 {
			t.gone[j] = true
		}
	}
	return make([]int, len(groups)), nil
}
