package report

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// calibrationBins is how many equal-width bins of predicted probability a
// calibration curve has.
const calibrationBins = 10

// calibrationPanel draws a binary classifier's calibration curve on the
// test split: the share of positives against the mean predicted
// probability of each bin, beside the diagonal of a calibrated model.
type calibrationPanel struct{ r *runData }

func (calibrationPanel) name() string { return "calibration curve" }

func (p calibrationPanel) build() ([]Block, error) {
	pr, err := classifierPredictions(p.r)
	if err != nil {
		return nil, err
	}
	if len(pr.Classes) != 2 {
		return nil, errNotApplicable
	}
	var sum, hits [calibrationBins]float64
	var count [calibrationBins]int
	for i, probs := range pr.Probs {
		b := min(int(probs[1]*calibrationBins), calibrationBins-1)
		b = max(b, 0)
		sum[b] += probs[1]
		count[b]++
		if pr.Label[i] == 1 {
			hits[b]++
		}
	}
	var xys plotter.XYs
	for b := range count {
		if count[b] > 0 {
			xys = append(xys, plotter.XY{X: sum[b] / float64(count[b]), Y: hits[b] / float64(count[b])})
		}
	}
	fig, pl := newFigure(fmt.Sprintf("run-%d-calibration", p.r.run.ID), "Calibration (test)",
		"mean predicted probability of "+pr.Classes[1], "share of "+pr.Classes[1])
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = 0, 1, 0, 1
	if err := referenceLine(pl, plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}}, "calibrated"); err != nil {
		return nil, err
	}
	if err := line(pl, xys, 0, false, "model"); err != nil {
		return nil, err
	}
	sc, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	sc.Color, sc.Shape, sc.Radius = colorOf(0), draw.CircleGlyph{}, vg.Points(3)
	pl.Add(sc)
	pl.Legend.Top, pl.Legend.Left = true, true
	fig.Caption = fmt.Sprintf("%d bins of width 0.1; %d test rows", calibrationBins, len(pr.Label))
	return []Block{{Figure: fig}}, nil
}
