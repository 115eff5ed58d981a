package report

import (
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"

	"github.com/xp-ml/xp/cue/spec"
)

// maxScatterPoints is the most points a scatter draws; beyond, every
// k-th row is drawn, and the caption says so.
const maxScatterPoints = 4000

// regressionPanel draws a regression's predictions against the targets of
// the test split, and its residuals against the predictions.
type regressionPanel struct{ r *runData }

func (regressionPanel) name() string { return "predicted vs actual" }

func (p regressionPanel) build() ([]Block, error) {
	switch {
	case p.r.kind() == kindClassification:
		return nil, errNotApplicable
	case p.r.preds == nil:
		return nil, p.r.predsErr
	case len(p.r.preds.Target) == 0:
		return nil, skip("the test split has no rows")
	}
	pr := p.r.preds
	step := (len(pr.Target) + maxScatterPoints - 1) / maxScatterPoints
	var fit, res plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < len(pr.Target); i += step {
		t, y := pr.Target[i], pr.Predicted[i]
		fit = append(fit, plotter.XY{X: t, Y: y})
		res = append(res, plotter.XY{X: y, Y: y - t})
		lo, hi = min(lo, t, y), max(hi, t, y)
	}
	caption := fmt.Sprintf("%d test rows", len(pr.Target))
	if step > 1 {
		caption += fmt.Sprintf(", every %d-th drawn", step)
	}
	target := targetName(p.r)
	figFit, pl := newFigure(fmt.Sprintf("run-%d-predicted", p.r.run.ID), "Predicted vs actual (test)",
		"actual "+target, "predicted "+target)
	if err := referenceLine(pl, plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}}, "predicted = actual"); err != nil {
		return nil, err
	}
	if err := scatter(pl, fit, 0); err != nil {
		return nil, err
	}
	figFit.Caption = caption
	figRes, pl := newFigure(fmt.Sprintf("run-%d-residuals", p.r.run.ID), "Residuals (test)",
		"predicted "+target, "predicted - actual "+target)
	if err := referenceLine(pl, plotter.XYs{{X: lo, Y: 0}, {X: hi, Y: 0}}, "zero"); err != nil {
		return nil, err
	}
	if err := scatter(pl, res, 1); err != nil {
		return nil, err
	}
	figRes.Caption = caption
	return []Block{{Figure: figFit}, {Figure: figRes}}, nil
}

// targetName is the column a run predicts, from its spec ("target" when
// the spec does not say): the unit of a regression's axes.
func targetName(r *runData) string {
	if flat, err := spec.Flatten(r.run.Spec); err == nil {
		var name string
		if json.Unmarshal(flat["data.target"], &name) == nil && name != "" {
			return name
		}
	}
	return "target"
}
