package report

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/xp-ml/xp/sweep"
)

// parallelPanel draws a sweep's points as parallel coordinates: an axis
// per parameter and one for the sweep's metric, each point a line across
// them coloured by its metric, the best in bold, pruned points in gray.
type parallelPanel struct{ sw *Sweep }

func (parallelPanel) name() string { return "parallel coordinates" }

func (p parallelPanel) build() ([]Block, error) {
	axes := paramAxes(p.sw)
	if len(axes) == 0 {
		return nil, skip("the sweep's points have no parameters")
	}
	metricAxis := &axis{path: p.sw.Metric, value: map[int]float64{}}
	for _, pt := range p.sw.Points {
		if groupOf(&pt) != groupNone {
			metricAxis.value[pt.Index] = pt.Value
		}
	}
	if len(metricAxis.value) == 0 {
		return nil, skip("no point has a value of %s yet", p.sw.Metric)
	}
	all := append(axes, metricAxis)
	fig, pl := newFigure("sweep-parallel", "Parallel coordinates: parameters and "+p.sw.Metric, "", "")
	fig.w = max(figureWidth, vg.Length(1.6*float64(len(all)))*vg.Inch)
	bounds := make([][2]float64, len(all))
	for i, a := range all {
		bounds[i] = a.bounds()
	}
	if err := p.lines(pl, all, bounds); err != nil {
		return nil, err
	}
	if err := axisLabels(pl, all, bounds); err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, a := range all {
		names[i] = a.path
		if a.log {
			names[i] += " (log)"
		}
	}
	pl.NominalX(names...)
	// Room above the axes for the legend, and right of the last for its labels.
	pl.Y.Min, pl.Y.Max = -0.1, 1.45
	pl.X.Min, pl.X.Max = -0.2, float64(len(all))-0.5
	pl.Y.Tick.Marker = plot.ConstantTicks(nil)
	pl.Y.LineStyle.Width = 0
	pl.Legend.Top = true
	fig.Caption = drawnCaption(p.sw) + "; darker lines are better"
	return []Block{{Figure: fig}}, nil
}

// lines draws a line per point across the axes: pruned ones first, dashed
// in gray, then the succeeded ones shaded by their metric (the last axis),
// then the best in bold on top.
func (p parallelPanel) lines(pl *plot.Plot, axes []*axis, bounds [][2]float64) error {
	mlo, mhi := bounds[len(axes)-1][0], bounds[len(axes)-1][1]
	best := sweep.Best(p.sw.Points, p.sw.Mode)
	var pruned *plotter.Line
	for _, group := range []pointGroup{groupPruned, groupSucceeded} {
		for i := range p.sw.Points {
			pt := &p.sw.Points[i]
			if groupOf(pt) != group || (best != nil && pt.Index == best.Index) {
				continue
			}
			l, err := parallelLine(axes, bounds, pt.Index)
			if err != nil {
				return err
			}
			l.Width = vg.Points(1.2)
			if group == groupPruned {
				l.Color, l.Dashes = gray, []vg.Length{vg.Points(3), vg.Points(3)}
				pruned = l
			} else {
				l.Color = shade(scale(pt.Value, mlo, mhi), p.sw.Mode)
			}
			pl.Add(l)
		}
	}
	if best != nil {
		l, err := parallelLine(axes, bounds, best.Index)
		if err != nil {
			return err
		}
		l.Color, l.Width = colorOf(1), vg.Points(3)
		pl.Add(l)
		pl.Legend.Add(fmt.Sprintf("best: point %d, %s %s", best.Index, p.sw.Metric, formatNumber(best.Value)), l)
	}
	if pruned != nil {
		pl.Legend.Add("pruned", pruned)
	}
	return nil
}

// bounds is the lowest and highest value on the axis's scale.
func (a *axis) bounds() [2]float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range a.value {
		v, _ := a.scaled(i)
		if !math.IsNaN(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if len(a.categories) > 0 {
		lo, hi = 0, float64(len(a.categories)-1)
	}
	return [2]float64{lo, hi}
}

func scale(v, lo, hi float64) float64 {
	if hi == lo {
		return 0.5
	}
	return (v - lo) / (hi - lo)
}

func parallelLine(axes []*axis, bounds [][2]float64, idx int) (*plotter.Line, error) {
	var xys plotter.XYs
	for i, a := range axes {
		v, ok := a.scaled(idx)
		if !ok {
			continue
		}
		xys = append(xys, plotter.XY{X: float64(i), Y: scale(v, bounds[i][0], bounds[i][1])})
	}
	return plotter.NewLine(xys)
}

// shade is a line's colour by its scaled metric: pale for the worst,
// dark blue for the best.
func shade(t float64, mode string) color.Color {
	if mode == sweep.ModeMin {
		t = 1 - t
	}
	to := colorOf(0)
	mix := func(a uint8) uint8 { return uint8(200 + t*(float64(a)-200)) }
	return color.RGBA{mix(to.R), mix(to.G), mix(to.B), 255}
}

// axisLabels writes each axis's lowest and highest value (each category,
// for a categorical one) beside it.
func axisLabels(pl *plot.Plot, axes []*axis, bounds [][2]float64) error {
	var labels plotter.XYLabels
	for i, a := range axes {
		if len(a.categories) > 0 {
			for c, name := range a.categories {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: scale(float64(c), bounds[i][0], bounds[i][1])})
				labels.Labels = append(labels.Labels, " "+displayValue(name))
			}
			continue
		}
		lo, hi := bounds[i][0], bounds[i][1]
		if a.log {
			lo, hi = math.Pow(10, lo), math.Pow(10, hi)
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(i), Y: -0.06}, plotter.XY{X: float64(i), Y: 1.06})
		labels.Labels = append(labels.Labels, formatNumber(lo), formatNumber(hi))
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = -0.5, -0.5
	}
	pl.Add(l)
	for i := range axes {
		a, err := plotter.NewLine(plotter.XYs{{X: float64(i), Y: 0}, {X: float64(i), Y: 1}})
		if err != nil {
			return err
		}
		a.Color = gray
		pl.Add(a)
	}
	return nil
}
