package tui

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/xp-ml/xp/internal/numfmt"
	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/tui/chart"
)

// The sweep page's parallel coordinates (p): an axis per swept parameter
// and one for the sweep's metric, better at the top, and a line per
// point; the best point's line solid and coloured, drawn last, the other
// done points dotted, the points without a value yet sparse. A numeric
// parameter spread over two decades or more is on a log axis, a choice's
// values are spaced evenly in sorted order.

// sweepParallel draws the sweep's points in parallel coordinates, w by h.
func (m *Model) sweepParallel(w, h int) string {
	t := m.sh.theme
	s := &m.sweep
	paths := sweep.ParamPaths(s.points)
	heads := paramHeads(paths)
	var axes []chart.ParallelAxis
	var place []func(p *sweep.PointResult) float64
	for i, path := range paths {
		ax, pos := paramAxis(s.points, path)
		ax.Name = heads[i]
		axes = append(axes, ax)
		place = append(place, pos)
	}
	ax, pos := s.metricAxis()
	axes = append(axes, ax)
	place = append(place, pos)

	var lines []chart.ParallelLine
	line := func(p *sweep.PointResult) chart.ParallelLine {
		l := chart.ParallelLine{Pos: make([]float64, len(place))}
		for i, f := range place {
			l.Pos[i] = f(p)
		}
		return l
	}
	// Drawn first to last: no value yet, worse to better, the best.
	ranked := s.rankedPoints()
	for i := len(ranked) - 1; i >= 0; i-- {
		p := ranked[i]
		l := line(p)
		switch {
		case p.Index == s.best:
			continue
		case math.IsNaN(p.Value):
			l.Style, l.Pattern = t.dim, chart.Sparse
		default:
			l.Style, l.Pattern = t.accent, chart.Dotted
		}
		lines = append(lines, l)
	}
	title := fmt.Sprintf("a line per point · %s: better at top", ax.Name)
	if s.best >= 0 {
		for i := range s.points {
			if p := &s.points[i]; p.Index == s.best {
				l := line(p)
				l.Style = t.series(1)
				lines = append(lines, l)
				title = fmt.Sprintf("★ point %d solid, the others dotted · %s: better at top", p.Index, ax.Name)
			}
		}
	}
	c := chart.Parallel{Title: title, Width: w, Height: h, Axes: axes, Lines: lines, Axis: t.dim, TitleStyle: t.title,
		Empty: "no point has a value yet"}
	return c.Render()
}

// paramAxis is the axis of the parameter at path over points, and where a
// point falls on it (NaN: the point has no value there).
func paramAxis(points []sweep.PointResult, path string) (chart.ParallelAxis, func(p *sweep.PointResult) float64) {
	raw := func(p *sweep.PointResult) (json.RawMessage, bool) {
		for _, pr := range p.Params {
			if pr.Path == path {
				return pr.Value, true
			}
		}
		return nil, false
	}
	var nums []float64
	var texts []string
	numeric := true
	for i := range points {
		v, ok := raw(&points[i])
		if !ok {
			continue
		}
		var f float64
		if json.Unmarshal(v, &f) == nil && numeric {
			nums = append(nums, f)
		} else {
			numeric = false
		}
		if t := paramText(points[i].Params, path); !slices.Contains(texts, t) {
			texts = append(texts, t)
		}
	}
	if numeric && len(nums) > 0 {
		sc := newScale(nums)
		return sc.axis(), func(p *sweep.PointResult) float64 {
			var f float64
			if v, ok := raw(p); ok && json.Unmarshal(v, &f) == nil {
				return sc.pos(f)
			}
			return math.NaN()
		}
	}
	slices.Sort(texts)
	var ax chart.ParallelAxis
	at := func(i int) float64 {
		if len(texts) == 1 {
			return 0.5
		}
		return float64(i) / float64(len(texts)-1)
	}
	for i, t := range texts {
		ax.Labels = append(ax.Labels, chart.AxisLabel{Pos: at(i), Text: t})
	}
	return ax, func(p *sweep.PointResult) float64 {
		if _, ok := raw(p); !ok {
			return math.NaN()
		}
		return at(slices.Index(texts, paramText(p.Params, path)))
	}
}

// metricAxis is the axis of the sweep's metric, its better end at the top,
// and where a point falls on it: its value when done (NaN otherwise).
func (s *sweepState) metricAxis() (chart.ParallelAxis, func(p *sweep.PointResult) float64) {
	var vals []float64
	for _, p := range s.points {
		if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) {
			vals = append(vals, p.Value)
		}
	}
	name := strings.ToUpper(termtext.Clean(s.sw.Metric))
	if len(vals) == 0 {
		return chart.ParallelAxis{Name: name}, func(*sweep.PointResult) float64 { return math.NaN() }
	}
	sc := newScale(vals)
	sc.log = false // a metric's differences read linearly
	ax := sc.axis()
	ax.Name = name
	flip := s.sw.Mode != sweep.ModeMax
	if flip {
		for i := range ax.Labels {
			ax.Labels[i].Pos = 1 - ax.Labels[i].Pos
		}
	}
	return ax, func(p *sweep.PointResult) float64 {
		v := sc.pos(p.Value)
		if flip {
			v = 1 - v
		}
		return v
	}
}

// scale maps numbers to [0, 1]: linearly, or by their logarithm for
// positive values that span two decades or more.
type scale struct {
	lo, hi float64
	log    bool
}

func newScale(vals []float64) scale {
	sc := scale{lo: slices.Min(vals), hi: slices.Max(vals)}
	sc.log = sc.lo > 0 && sc.hi/sc.lo >= 100
	return sc
}

func (sc scale) pos(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return math.NaN()
	case sc.hi == sc.lo:
		return 0.5
	case sc.log:
		return math.Log(v/sc.lo) / math.Log(sc.hi/sc.lo)
	}
	return (v - sc.lo) / (sc.hi - sc.lo)
}

func (sc scale) axis() chart.ParallelAxis {
	if sc.hi == sc.lo {
		return chart.ParallelAxis{Labels: []chart.AxisLabel{{Pos: 0.5, Text: numfmt.Num(sc.lo, numfmt.Digits)}}}
	}
	lo, hi := numfmt.Num(sc.lo, numfmt.Digits), numfmt.Num(sc.hi, numfmt.Digits)
	if sc.log {
		hi += " log"
	}
	return chart.ParallelAxis{Labels: []chart.AxisLabel{{Pos: 0, Text: lo}, {Pos: 1, Text: hi}}}
}
