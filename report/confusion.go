package report

import (
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// maxConfusionClasses is the most classes a confusion matrix is drawn
// for; beyond, the cells would be too small to read.
const maxConfusionClasses = 30

// confusionPanel draws the test split's confusion matrix as a heat map
// with each cell's count.
type confusionPanel struct{ r *runData }

func (confusionPanel) name() string { return "confusion matrix" }

func (p confusionPanel) build() ([]Block, error) {
	if p.r.kind() == kindRegression {
		return nil, errNotApplicable
	}
	c := p.r.conf
	switch {
	case c == nil:
		return nil, p.r.confErr
	case len(c.Classes) > maxConfusionClasses:
		return nil, skip("%d classes: more than the %d a figure can show", len(c.Classes), maxConfusionClasses)
	}
	fig, pl := newFigure(fmt.Sprintf("run-%d-confusion", p.r.run.ID), "Confusion matrix (test)", "predicted class", "true class")
	n := len(c.Classes)
	side := vg.Length(1.2+0.45*float64(n)) * vg.Inch
	fig.w, fig.h = max(side, figureWidth), max(side, figureHeight)
	g := confusionGrid{counts: c.Counts}
	hm := plotter.NewHeatMap(g, ramp{n: 64})
	hm.Min, hm.Max = 0, float64(max(g.max(), 1))
	pl.Add(hm)
	var labels plotter.XYLabels
	for t, row := range c.Counts {
		for pr, v := range row {
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(pr), Y: float64(t)})
			labels.Labels = append(labels.Labels, strconv.Itoa(v))
		}
	}
	lbl, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, err
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].XAlign, lbl.TextStyle[i].YAlign = -0.5, -0.5
		if cellShare(c.Counts, i, n) > 0.6 {
			lbl.TextStyle[i].Color = color.White
		}
	}
	pl.Add(lbl)
	pl.NominalX(c.Classes...)
	pl.NominalY(c.Classes...)
	pl.X.Padding, pl.Y.Padding = 0, 0
	return []Block{{Figure: fig}}, nil
}

// cellShare is the i-th cell's count (row-major) over the matrix's largest.
func cellShare(counts [][]int, i, n int) float64 {
	g := confusionGrid{counts: counts}
	return float64(counts[i/n][i%n]) / float64(max(g.max(), 1))
}

// confusionGrid is a confusion matrix as plotter.GridXYZ: column c is the
// predicted class, row r the true class.
type confusionGrid struct{ counts [][]int }

func (g confusionGrid) Dims() (c, r int)   { return len(g.counts), len(g.counts) }
func (g confusionGrid) Z(c, r int) float64 { return float64(g.counts[r][c]) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

func (g confusionGrid) max() int {
	m := 0
	for _, row := range g.counts {
		for _, v := range row {
			m = max(m, v)
		}
	}
	return m
}

// ramp is n colours from near white to the palette's blue.
type ramp struct{ n int }

func (r ramp) Colors() []color.Color {
	out := make([]color.Color, r.n)
	to := colorOf(0)
	for i := range out {
		t := float64(i) / float64(r.n-1)
		mix := func(a uint8) uint8 { return uint8(247 + t*(float64(a)-247)) }
		out[i] = color.RGBA{mix(to.R), mix(to.G), mix(to.B), 255}
	}
	return out
}
