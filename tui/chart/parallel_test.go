package chart

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// An item crosses each axis as a ● at its value: the bottom row at 0, the
// top row at 1; the labels at 1 and 0 sit above and below the axis, the
// names under them, a label between inside the plot.
func TestParallelCrossings(t *testing.T) {
	p := Parallel{Title: "points", Width: 30, Height: 10,
		Axes: []ParallelAxis{
			{Name: "LR", Labels: []AxisLabel{{0, "0.001"}, {1, "0.1"}}},
			{Name: "OPT", Labels: []AxisLabel{{0, "adam"}, {0.5, "sgd"}, {1, "rms"}}},
			{Name: "LOSS", Labels: []AxisLabel{{0, "0.9"}, {1, "0.3"}}},
		},
		Lines: []ParallelLine{{Pos: []float64{0, 0.5, 1}}, {Pos: []float64{1, math.NaN(), 0}}}}
	out := strings.Split(ansi.Strip(p.Render()), "\n")
	if len(out) != 10 {
		t.Fatalf("%d lines, want 10:\n%s", len(out), strings.Join(out, "\n"))
	}
	for i, l := range out {
		if w := ansi.StringWidth(l); w != 30 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
	}
	cols := p.axisColumns(30) // 5, 15, 25
	at := func(row, col int) string { return string([]rune(out[row])[col]) }
	top, bottom := 2, 7
	for _, tc := range []struct {
		row, col int
		want     string
	}{
		{bottom, cols[0], "●"}, {top, cols[0], "●"}, // both items, at 0 and 1
		{top, cols[2], "●"}, {bottom, cols[2], "●"},
		{top, cols[1], "│"}, {bottom, cols[1], "│"}, // the second has no value there
	} {
		if got := at(tc.row, tc.col); got != tc.want {
			t.Errorf("row %d col %d = %q, want %q:\n%s", tc.row, tc.col, got, tc.want, strings.Join(out, "\n"))
		}
	}
	for _, want := range []struct {
		row  int
		text string
	}{{1, "0.1"}, {1, "rms"}, {1, "0.3"}, {8, "0.001"}, {8, "adam"}, {8, "0.9"}, {9, "LR"}, {9, "OPT"}, {9, "LOSS"}} {
		if !strings.Contains(out[want.row], want.text) {
			t.Errorf("line %d %q lacks %q", want.row, out[want.row], want.text)
		}
	}
	if !strings.Contains(out[4], "│sgd") && !strings.Contains(out[5], "│sgd") && !strings.Contains(out[4], "●sgd") && !strings.Contains(out[5], "●sgd") {
		t.Errorf("no inside label sgd by the middle axis:\n%s", strings.Join(out, "\n"))
	}
}

func TestParallelGolden(t *testing.T) {
	axes := []ParallelAxis{
		{Name: "TRAIN.OPTIMIZER.ADAM.LR", Labels: []AxisLabel{{0, "0.0003"}, {1, "0.1"}}},
		{Name: "WIDTH", Labels: []AxisLabel{{0, "16"}, {1, "128"}}},
		{Name: "VALIDATION.ACCURACY", Labels: []AxisLabel{{0, "0.7"}, {1, "0.82"}}},
	}
	lines := []ParallelLine{
		{Pos: []float64{0, 0.2, 0.1}, Pattern: Dotted},
		{Pos: []float64{0.4, 1, 0.7}, Pattern: Dotted},
		{Pos: []float64{1, 0.5, math.NaN()}, Pattern: Dotted},
		{Pos: []float64{0.6, 0.8, 1}},
	}
	for _, tc := range []struct {
		name string
		p    Parallel
	}{
		{"narrow", Parallel{Title: "parallel", Width: 40, Height: 12, Axes: axes, Lines: lines}},
		{"wide", Parallel{Title: "parallel", Width: 100, Height: 16, Axes: axes, Lines: lines}},
		{"empty", Parallel{Title: "parallel", Width: 40, Height: 8, Axes: axes, Empty: "no point has a value yet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden.RequireEqual(t, []byte(ansi.Strip(tc.p.Render())))
		})
	}
}
