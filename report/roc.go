package report

import (
	"fmt"
	"sort"
	"strings"

	"gonum.org/v1/plot/plotter"
)

// maxClassCurves is the most classes a multiclass ROC or PR figure draws
// one-vs-rest curves for.
const maxClassCurves = 8

// rocPanel draws a classifier's ROC curve on the test split: the positive
// class's for a binary one, one-vs-rest per class otherwise, with AUCs.
type rocPanel struct{ r *runData }

func (rocPanel) name() string { return "ROC curve" }

func (p rocPanel) build() ([]Block, error) {
	return scoreCurves(p.r, "roc", "ROC curve (test)", "false positive rate", "true positive rate", "AUC", rocCurve)
}

// prPanel draws a classifier's precision-recall curve on the test split,
// with average precision.
type prPanel struct{ r *runData }

func (prPanel) name() string { return "precision-recall curve" }

func (p prPanel) build() ([]Block, error) {
	return scoreCurves(p.r, "pr", "Precision-recall curve (test)", "recall", "precision", "average precision", prCurve)
}

// curveFunc makes a curve and its area from scores and whether each row
// is positive.
type curveFunc func(scores []float64, pos []bool) (plotter.XYs, float64)

func scoreCurves(r *runData, id, title, x, y, area string, curve curveFunc) ([]Block, error) {
	pr, err := classifierPredictions(r)
	if err != nil {
		return nil, err
	}
	fig, pl := newFigure(fmt.Sprintf("run-%d-%s", r.run.ID, id), title, x, y)
	pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = 0, 1, 0, 1.02
	classes := positiveClasses(pr)
	var areas []string
	for i, c := range classes {
		scores, pos := oneVsRest(pr, c)
		xys, a := curve(scores, pos)
		label := pr.Classes[c]
		if len(classes) == 1 {
			label = "positive: " + label
		}
		if err := line(pl, downsample(xys, maxLinePoints), i, false, fmt.Sprintf("%s (%s %.3f)", label, area, a)); err != nil {
			return nil, err
		}
		areas = append(areas, fmt.Sprintf("%s %s %.4f", pr.Classes[c], area, a))
	}
	fig.Caption = strings.Join(areas, ", ")
	if len(pr.Classes) > len(classes) && len(classes) > 1 {
		fig.Caption += fmt.Sprintf(" (the first %d of %d classes)", len(classes), len(pr.Classes))
	}
	// The curves leave the bottom right (ROC) or bottom left (PR) empty.
	pl.Legend.Top, pl.Legend.Left = false, id == "pr"
	return []Block{{Figure: fig}}, nil
}

// classifierPredictions is a run's test predictions when it is a
// classifier that saved them, or why a classifier's panel is skipped.
func classifierPredictions(r *runData) (*predictions, error) {
	switch {
	case r.kind() == kindRegression:
		return nil, errNotApplicable
	case r.preds == nil:
		return nil, r.predsErr
	case len(r.preds.Label) == 0:
		return nil, skip("the test split has no rows")
	}
	return r.preds, nil
}

// positiveClasses are the classes to draw: the second of a binary
// classifier's (its positive class), else up to maxClassCurves.
func positiveClasses(p *predictions) []int {
	if len(p.Classes) == 2 {
		return []int{1}
	}
	n := min(len(p.Classes), maxClassCurves)
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func oneVsRest(p *predictions, class int) (scores []float64, pos []bool) {
	scores, pos = make([]float64, len(p.Label)), make([]bool, len(p.Label))
	for i, probs := range p.Probs {
		scores[i], pos[i] = probs[class], p.Label[i] == class
	}
	return scores, pos
}

// ranked is the rows by score, highest first, walked one distinct score
// at a time: fn gets the true and false positives counted so far.
func ranked(scores []float64, pos []bool, fn func(tp, fp int)) (npos, nneg int) {
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
		if pos[i] {
			npos++
		} else {
			nneg++
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	tp, fp := 0, 0
	for i, o := range order {
		if pos[o] {
			tp++
		} else {
			fp++
		}
		if i+1 == len(order) || scores[order[i+1]] != scores[o] {
			fn(tp, fp)
		}
	}
	return npos, nneg
}

// rocCurve is the ROC curve (false positive rate, true positive rate) at
// every distinct score, and the area under it by trapezoids.
func rocCurve(scores []float64, pos []bool) (plotter.XYs, float64) {
	var counts [][2]int
	npos, nneg := ranked(scores, pos, func(tp, fp int) { counts = append(counts, [2]int{tp, fp}) })
	xys := plotter.XYs{{X: 0, Y: 0}}
	area := 0.0
	for _, c := range counts {
		pt := plotter.XY{X: ratio(c[1], nneg), Y: ratio(c[0], npos)}
		prev := xys[len(xys)-1]
		area += (pt.X - prev.X) * (pt.Y + prev.Y) / 2
		xys = append(xys, pt)
	}
	return xys, area
}

// prCurve is the precision-recall curve at every distinct score, and the
// average precision: the precision at each threshold weighted by the
// recall it adds (scikit-learn's average_precision_score).
func prCurve(scores []float64, pos []bool) (plotter.XYs, float64) {
	var xys plotter.XYs
	ap, lastRecall := 0.0, 0.0
	npos := 0
	for _, p := range pos {
		if p {
			npos++
		}
	}
	ranked(scores, pos, func(tp, fp int) {
		recall, precision := ratio(tp, npos), ratio(tp, tp+fp)
		ap += (recall - lastRecall) * precision
		lastRecall = recall
		xys = append(xys, plotter.XY{X: recall, Y: precision})
	})
	if len(xys) > 0 {
		xys = append(plotter.XYs{{X: 0, Y: xys[0].Y}}, xys...)
	}
	return xys, ap
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
