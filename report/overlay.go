package report

import (
	"github.com/xp-ml/xp/store"
)

// overlayPanel draws each metric's validation curve (the train curve when
// there is none) of several runs in one figure.
type overlayPanel struct{ runs []*runData }

func (overlayPanel) name() string { return "overlaid curves" }

func (p overlayPanel) build() ([]Block, error) {
	var names []string
	seen := map[string]bool{}
	for _, r := range p.runs {
		for _, n := range r.metricNames() {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return nil, skip("none of the runs recorded train or validation points")
	}
	var blocks []Block
	for _, name := range names {
		fig, pl := newFigure("compare-curve-"+fileSafe(name), name+" by epoch, every run", "epoch", name)
		fig.Caption = "each run's validation curve (its train curve when it has none)"
		for i, r := range p.runs {
			// The validation curve, else the train curve.
			for _, split := range []string{store.SplitValidation, store.SplitTrain} {
				xys, _ := curveXYs(r.curve(split, name))
				if len(xys) == 0 {
					continue
				}
				if err := line(pl, xys, i, false, r.label()); err != nil {
					return nil, err
				}
				break
			}
		}
		blocks = append(blocks, Block{Figure: fig})
	}
	return blocks, nil
}
