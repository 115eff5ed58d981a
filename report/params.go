package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/xp-ml/xp/sweep"
)

// paramsPanel draws, for each parameter of a sweep, the sweep's metric
// against the parameter's value: the best point marked, pruned points
// apart in gray.
type paramsPanel struct{ sw *Sweep }

func (paramsPanel) name() string { return "parameter vs metric" }

func (p paramsPanel) build() ([]Block, error) {
	axes := paramAxes(p.sw)
	if len(axes) == 0 {
		return nil, skip("the sweep's points have no parameters")
	}
	best := sweep.Best(p.sw.Points, p.sw.Mode)
	var blocks []Block
	for _, a := range axes {
		fig, err := p.figure(a, best)
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, Block{Figure: fig})
	}
	return blocks, nil
}

func (p paramsPanel) figure(a *axis, best *sweep.PointResult) (*Figure, error) {
	fig, pl := newFigure("sweep-param-"+fileSafe(a.path), p.sw.Metric+" by "+a.path, a.path, p.sw.Metric)
	fig.w, fig.h = 4.5*vg.Inch, 3.2*vg.Inch
	var ok, pruned, top plotter.XYs
	for i := range p.sw.Points {
		pt := &p.sw.Points[i]
		x, has := a.value[pt.Index]
		if !has {
			continue
		}
		xy := plotter.XY{X: x, Y: pt.Value}
		switch {
		case best != nil && pt.Index == best.Index:
			top = append(top, xy)
		case groupOf(pt) == groupSucceeded:
			ok = append(ok, xy)
		case groupOf(pt) == groupPruned:
			pruned = append(pruned, xy)
		}
	}
	if err := glyphs(pl, ok, colorOf(0), draw.RingGlyph{}, 3, "succeeded"); err != nil {
		return nil, err
	}
	if err := glyphs(pl, pruned, gray, draw.CrossGlyph{}, 3, "pruned"); err != nil {
		return nil, err
	}
	if err := glyphs(pl, top, colorOf(1), draw.CircleGlyph{}, 5, "best"); err != nil {
		return nil, err
	}
	// Room above the points for the legend.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, xy := range append(append(append(plotter.XYs{}, ok...), pruned...), top...) {
		if !math.IsNaN(xy.Y) {
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	if hi > lo {
		pl.Y.Min, pl.Y.Max = lo-0.05*(hi-lo), hi+0.45*(hi-lo)
	}
	switch {
	case len(a.categories) > 0:
		pl.X.Min, pl.X.Max = -0.5, float64(len(a.categories))-0.5
		names := make([]string, len(a.categories))
		for i, c := range a.categories {
			names[i] = displayValue(c)
		}
		pl.NominalX(names...)
	case a.log && pl.X.Min > 0 && !math.IsInf(pl.X.Max, 0):
		// Points at one value only (an asha sweep's one finished point):
		// gonum would widen the range by 1 each way, below zero, where a
		// log scale has no ticks.
		if pl.X.Min == pl.X.Max {
			pl.X.Min, pl.X.Max = pl.X.Min/2, pl.X.Max*2
		}
		pl.X.Scale = plot.LogScale{}
		pl.X.Tick.Marker = plot.LogTicks{Prec: -1}
	default:
		pl.X.Tick.Marker = shortTicks{}
	}
	pl.Legend.Top = true
	fig.Caption = drawnCaption(p.sw)
	return fig, nil
}

// glyphs adds points drawn as shape, with a legend entry, when there are any.
func glyphs(pl *plot.Plot, xys plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius float64, label string) error {
	xys = finite(xys)
	if len(xys) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	s.Color, s.Shape, s.Radius = c, shape, vg.Points(radius)
	pl.Add(s)
	pl.Legend.Add(fmt.Sprintf("%s (%d)", label, len(xys)), s)
	return nil
}

// shortTicks are gonum's default ticks labelled in the fewest digits
// (16, 64, 128 rather than 25.00, 75.00, 125.00).
type shortTicks struct{}

func (shortTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', 4, 64)
		}
	}
	return ticks
}
