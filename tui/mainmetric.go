package tui

import (
	"slices"
	"strings"

	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
)

// mainMetric is the metric column's default: each run's main metric, a
// classifier's test accuracy or a regression's test rmse, as `xp ls`
// shows. It is not a series of the store but one the index derives from
// mainParts.
var mainMetric = store.SplitMetric{Split: "*", Name: "main"}

// mainParts are the series a run's main metric is taken from, the first
// it has.
var mainParts = []store.SplitMetric{
	{Split: store.SplitTest, Name: "accuracy"},
	{Split: store.SplitTest, Name: "rmse"},
}

// parts are the store's series that m reads.
func parts(m store.SplitMetric) []store.SplitMetric {
	if m == mainMetric {
		return mainParts
	}
	return []store.SplitMetric{m}
}

// covers reports whether the column's metric reads series s.
func covers(col, s store.SplitMetric) bool {
	return slices.Contains(parts(col), s)
}

// mainValues is the derived main series: each run's value and which part
// it came from (its index in mainParts).
type mainValues struct {
	vals  map[int64]float64
	part  map[int64]int
	stale bool
}

// mainSeries brings the main series up to date with its parts.
func (ix *index) mainSeries() *mainValues {
	if ix.main == nil {
		ix.main = &mainValues{stale: true}
	}
	mv := ix.main
	if !mv.stale {
		return mv
	}
	mv.vals, mv.part = make(map[int64]float64), make(map[int64]int)
	for i := len(mainParts) - 1; i >= 0; i-- {
		for id, v := range ix.values(mainParts[i]) {
			mv.vals[id], mv.part[id] = v, i
		}
	}
	mv.stale = false
	return mv
}

// updateMain brings the main values of ids up to date: what a poll that
// re-read a few runs' summaries needs, without a pass over every run.
func (ix *index) updateMain(ids []int64) {
	mv := ix.main
	if mv == nil || mv.stale {
		return
	}
	for _, id := range ids {
		delete(mv.vals, id)
		delete(mv.part, id)
		for i, p := range mainParts {
			if v, ok := ix.values(p)[id]; ok {
				mv.vals[id], mv.part[id] = v, i
				break
			}
		}
	}
}

// mainName is the name of run id's main metric; "" when it has none.
func (ix *index) mainName(id int64) string {
	mv := ix.mainSeries()
	if _, ok := mv.vals[id]; !ok {
		return ""
	}
	return mainParts[mv.part[id]].Name
}

// lowerBetter reports whether run id's value in column col is better when
// lower: the sort puts the best first.
func (ix *index) lowerBetter(col store.SplitMetric, id int64) bool {
	if col == mainMetric {
		return metric.Lower(ix.mainName(id))
	}
	return metric.Lower(col.Name)
}

// columnTitle is the metric column's header. The main metric names itself
// by the runs in view: one name when they agree, else the main metric of
// the run under the cursor (a regression among classifiers reads RMSE
// there), or both when that run has none.
func (m *Model) columnTitle() string {
	col := m.view.metric
	if col != mainMetric {
		return metricHeader(col)
	}
	switch seen := m.mainNamesOnScreen(); len(seen) {
	case 0:
		return "TEST"
	case 1:
		return strings.ToUpper(seen[0])
	default:
		// Each cell names its metric (mainCell): one header cannot.
		return "TEST"
	}
}

// mainNamesOnScreen are the main metrics of the rows on screen, sorted.
func (m *Model) mainNamesOnScreen() []string {
	var seen []string
	for i := m.offset; i < len(m.view.rows) && i < m.offset+m.height; i++ {
		if n := m.ix.mainName(m.view.rows[i].ID); n != "" && !slices.Contains(seen, n) {
			seen = append(seen, n)
		}
	}
	slices.Sort(seen)
	return seen
}

// mainShort is how a cell names its main metric when the rows on screen
// mix them.
var mainShort = map[string]string{"accuracy": "acc", "rmse": "rmse"}

// metricCell is run id's value in the metric column. When the column is
// the main metric and the screen mixes classifiers and regressions, the
// value carries its metric's name ("acc 0.9667", "rmse 293.4357"): a
// header naming one would mislabel the others.
func (m *Model) metricCell(id int64, vals map[int64]float64, named bool) string {
	v, ok := vals[id]
	s := formatValue(v, ok)
	if named && ok {
		if n := m.ix.mainName(id); n != "" {
			s = mainShort[n] + " " + s
		}
	}
	return s
}

// groupMetrics names the main metrics of a group's runs: "accuracy",
// "rmse", or both.
func (ix *index) groupMetrics(rows []*row) string {
	seen := map[string]bool{}
	for _, r := range rows {
		if n := ix.mainName(r.ID); n != "" {
			seen[n] = true
		}
	}
	var names []string
	for _, p := range mainParts {
		if seen[p.Name] {
			names = append(names, p.Name)
		}
	}
	return strings.Join(names, ", ")
}

// metricLabel is the column's metric as a message names it.
func metricLabel(m store.SplitMetric) string {
	if m == mainMetric {
		return "main metric (test accuracy, or rmse for a regression)"
	}
	return m.String()
}
