package tui

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/numfmt"
	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// The sweep page's table is the sweep's points as `xp ls --sweep` shows
// them: a column per swept parameter and one for the sweep's metric, the
// best point (sweep.Best) marked ★, an asha sweep's rung; ranked best
// first, the points without a value after them in point order.

// rankedPoints orders the sweep's points: the best first, then by value
// in the sweep's mode, then the points without one by index.
func (s *sweepState) rankedPoints() []*sweep.PointResult {
	out := make([]*sweep.PointResult, len(s.points))
	for i := range s.points {
		out[i] = &s.points[i]
	}
	lower := s.sw != nil && s.sw.Mode != sweep.ModeMax
	slices.SortStableFunc(out, func(a, b *sweep.PointResult) int {
		if (a.Index == s.best) != (b.Index == s.best) {
			if a.Index == s.best {
				return -1
			}
			return 1
		}
		na, nb := math.IsNaN(a.Value), math.IsNaN(b.Value)
		switch {
		case na && nb:
			return cmp.Compare(a.Index, b.Index)
		case na != nb:
			if na {
				return 1
			}
			return -1
		}
		c := cmp.Compare(a.Value, b.Value)
		if !lower {
			c = -c
		}
		return cmp.Or(c, cmp.Compare(a.Index, b.Index))
	})
	return out
}

// bestRun is the run that holds the best point's result; nil when there is
// no best point.
func (s *sweepState) bestRun() *store.Run {
	for i := range s.points {
		if s.points[i].Index == s.best {
			return s.points[i].Run
		}
	}
	return nil
}

// pointTable draws the sweep's points, ranked, w cells wide.
func (m *Model) pointTable(w int) []string {
	t := m.sh.theme
	s := &m.sweep
	paths := sweep.ParamPaths(s.points)
	heads := paramHeads(paths)
	ranked := s.rankedPoints()
	metricHead := strings.ToUpper(termtext.Clean(s.sw.Metric))

	// Column widths: each as wide as what it holds, parameters at most 24.
	paramW := make([]int, len(paths))
	for i, h := range heads {
		paramW[i] = len([]rune(h))
		for _, p := range ranked {
			paramW[i] = min(24, max(paramW[i], len([]rune(paramText(p.Params, paths[i])))))
		}
	}
	rungW := 0
	if s.rungs != nil {
		rungW = len("RUNG")
		for _, p := range ranked {
			rungW = max(rungW, len(sweep.RungLabel(s.rungs, p.Run, p.State)))
		}
	}
	valW := max(len(metricHead), 9)

	row := func(mark, point, key, run, status, rung string, params []string, value string) string {
		var b strings.Builder
		b.WriteString(fit(mark, 2) + fitRight(point, 5) + " " + fit(key, 13) + fitRight(run, 6) + " " + fit(status, 12))
		if rungW > 0 {
			b.WriteString(fit(rung, rungW) + " ")
		}
		for i, c := range params {
			b.WriteString(fit(c, paramW[i]) + " ")
		}
		b.WriteString(fitRight(value, valW))
		return b.String()
	}
	done := 0
	for _, p := range ranked {
		if p.State == store.PointDone {
			done++
		}
	}
	title := fmt.Sprintf("%d/%d points done, best ★ by %s (%s)", done, max(s.sw.Points, len(s.points)),
		termtext.Clean(s.sw.Metric), termtext.Clean(s.sw.Mode))
	lines := []string{rule(t, title, w), t.header.Render(row("", "POINT", "KEY", "RUN", "STATUS", "RUNG", heads, metricHead))}
	for _, p := range ranked {
		mark, run := "", "-"
		if p.Index == s.best {
			mark = "★"
		}
		if p.Run != nil {
			run = fmt.Sprintf("#%d", p.Run.ID)
		}
		st := p.Standing()
		cells := make([]string, len(paths))
		for i, path := range paths {
			cells[i] = paramText(p.Params, path)
		}
		value := formatValue(p.Value, !math.IsNaN(p.Value))
		if math.IsNaN(p.Value) && p.Run != nil {
			// A point still training, or paused at a rung: where it
			// stands now, dim.
			if v := sweep.MetricValue(p.Run, s.sw.Metric); !math.IsNaN(v) {
				value = t.dim.Render(formatValue(v, true))
			}
		}
		lines = append(lines, row(mark, fmt.Sprint(p.Index), store.ShortKey(p.Key), run, statusIcon(st)+" "+string(st),
			sweep.RungLabel(s.rungs, p.Run, p.State), cells, value))
	}
	return lines
}

// paramText is a point's value of the parameter at path as the table
// writes it: a number as every number prints (numfmt), a string without
// its quotes, anything else as its JSON; "-" when the point has none.
func paramText(params []spec.Param, path string) string {
	for _, p := range params {
		if p.Path != path {
			continue
		}
		var f float64
		if json.Unmarshal(p.Value, &f) == nil {
			return numfmt.Num(f, numfmt.Digits)
		}
		var str string
		if json.Unmarshal(p.Value, &str) == nil {
			return termtext.Clean(str)
		}
		return termtext.Clean(string(p.Value))
	}
	return "-"
}

// paramHeads names parameters by their last path element, or the whole
// path where two would read alike.
func paramHeads(paths []string) []string {
	diffs := make([]fieldDiff, len(paths))
	for i, p := range paths {
		diffs[i].path = p
	}
	return fieldHeads(diffs)
}
