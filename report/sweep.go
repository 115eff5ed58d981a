package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// sweepTablePanel is a table of a sweep's points: their values, how each
// ended and its metric, the best marked.
type sweepTablePanel struct{ sw *Sweep }

func (sweepTablePanel) name() string { return "sweep points" }

func (p sweepTablePanel) build() ([]Block, error) {
	if len(p.sw.Points) == 0 {
		return nil, skip("the sweep has no points")
	}
	best := sweep.Best(p.sw.Points, p.sw.Mode)
	params := paramAxes(p.sw)
	header := []string{"point"}
	for _, a := range params {
		header = append(header, a.path)
	}
	header = append(header, "status")
	if p.sw.Rungs != nil {
		header = append(header, "rung")
	}
	header = append(header, p.sw.Metric, "run")
	var rows [][]string
	for _, pt := range p.sw.Points {
		row := []string{fmt.Sprint(pt.Index)}
		for _, a := range params {
			row = append(row, a.text[pt.Index])
		}
		status := string(pt.State)
		if pt.State == store.PointDone {
			status = string(pt.Status)
		}
		if best != nil && pt.Index == best.Index {
			status += " (best)"
		}
		row = append(row, status)
		if p.sw.Rungs != nil {
			rung := "-"
			if pt.Run != nil {
				rung = p.sw.rungOf(&pt).String()
			}
			row = append(row, rung)
		}
		run := "-"
		if pt.Run != nil {
			run = fmt.Sprintf("%s #%d", pt.Run.Short(), pt.Run.ID)
		}
		row = append(row, valueCell(pt.Value, !math.IsNaN(pt.Value)), run)
		rows = append(rows, row)
	}
	caption := fmt.Sprintf("%d points, by %s (%s)", len(p.sw.Points), p.sw.Metric, p.sw.Mode)
	return []Block{{Table: &Table{Caption: caption, Header: header, Rows: rows, Folded: len(rows) > 20}}}, nil
}

// axis is one parameter of a sweep with each point's value: a number, or
// a category's index among the parameter's sorted values.
type axis struct {
	path string
	// value and text are by point index; categories is set for a
	// parameter that is not numeric.
	value      map[int]float64
	text       map[int]string
	categories []string
	// log: every value is positive and the largest is more than 20 times
	// the smallest (a log-uniform learning rate's draws rarely span the
	// whole of their two decades).
	log bool
}

// paramAxes reads the sweep's parameters in the order its points name them.
func paramAxes(sw *Sweep) []*axis {
	var axes []*axis
	byPath := map[string]*axis{}
	for _, pt := range sw.Points {
		for _, pr := range pt.Params {
			a := byPath[pr.Path]
			if a == nil {
				a = &axis{path: pr.Path, value: map[int]float64{}, text: map[int]string{}}
				byPath[pr.Path] = a
				axes = append(axes, a)
			}
			a.text[pt.Index] = string(pr.Value)
		}
	}
	for _, a := range axes {
		a.settle()
	}
	return axes
}

// settle decides whether the axis is numeric, and on what scale.
func (a *axis) settle() {
	numeric := true
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, t := range a.text {
		var v float64
		if json.Unmarshal([]byte(t), &v) != nil {
			numeric = false
			break
		}
		a.value[i] = v
		lo, hi = min(lo, v), max(hi, v)
	}
	if numeric {
		a.log = lo > 0 && hi/lo > 20
		return
	}
	seen := map[string]bool{}
	for _, t := range a.text {
		if !seen[t] {
			seen[t] = true
			a.categories = append(a.categories, t)
		}
	}
	sort.Strings(a.categories)
	for i, t := range a.text {
		a.value[i] = float64(sort.SearchStrings(a.categories, t))
	}
}

// scaled is the point's value on the axis's scale (log10 for a log axis).
func (a *axis) scaled(idx int) (float64, bool) {
	v, ok := a.value[idx]
	if ok && a.log {
		v = math.Log10(v)
	}
	return v, ok
}

// pointGroup is how a sweep's point is drawn.
type pointGroup int

const (
	groupNone pointGroup = iota // not drawn: failed, pending, without a value
	groupSucceeded
	groupPruned
)

func groupOf(pt *sweep.PointResult) pointGroup {
	switch {
	case pt.State != store.PointDone || math.IsNaN(pt.Value):
		return groupNone
	case pt.Status == store.StatusSucceeded:
		return groupSucceeded
	case pt.Status == store.StatusPruned:
		return groupPruned
	}
	return groupNone
}

// drawnCaption says how many points a sweep figure left out.
func drawnCaption(sw *Sweep) string {
	left, pruned, paused := 0, 0, 0
	for i := range sw.Points {
		pt := &sw.Points[i]
		switch groupOf(pt) {
		case groupNone:
			if pt.State == store.PointDone && pt.Status == store.StatusPaused {
				paused++ // its value is at its rung's epochs, not comparable
			} else {
				left++
			}
		case groupPruned:
			pruned++
		}
	}
	s := fmt.Sprintf("%d points", len(sw.Points))
	if pruned > 0 {
		s += fmt.Sprintf("; pruned points (%d) in gray", pruned)
	}
	if paused > 0 {
		s += fmt.Sprintf("; %d paused at a rung before the last left out", paused)
	}
	if left > 0 {
		s += fmt.Sprintf("; %d without a value of %s (failed or not run) left out", left, sw.Metric)
	}
	return s
}

// displayValue is a parameter's JSON value as a figure shows it: a string
// without its quotes.
func displayValue(js string) string {
	var s string
	if json.Unmarshal([]byte(js), &s) == nil {
		return s
	}
	return js
}
