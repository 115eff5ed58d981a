package data

import (
	"fmt"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
)

const kindDropNA = "drop_na"

// dropNA drops the rows with a missing value in any of its columns (all
// columns when it names none).
type dropNA struct{ *spec.DropNA }

func (dropNA) kind() string { return kindDropNA }

func (r dropNA) fit(w *workspace, field string) (RuleReport, string, error) {
	var cols []int
	what := kindDropNA + " (all columns)"
	if len(r.Columns) == 0 {
		for j := range w.cols {
			if !w.gone[j] {
				cols = append(cols, j)
			}
		}
	} else {
		for k, name := range r.Columns {
			j, err := w.lookup(fmt.Sprintf("%s.%s.columns[%d]", field, kindDropNA, k), name)
			if err != nil {
				return RuleReport{}, "", err
			}
			cols = append(cols, j)
		}
		what = kindDropNA + " " + strings.Join(r.Columns, ", ")
	}
	dropped := w.keep(func(row int) bool {
		for _, j := range cols {
			if w.cols[j].Missing[row] {
				return false
			}
		}
		return true
	})
	return w.dropReport(dropped), what, nil
}

func (r dropNA) vet(c *schemaCheck, field string) {
	for k, name := range r.Columns {
		c.has(fmt.Sprintf("%s.%s.columns[%d]", field, kindDropNA, k), name)
	}
}
