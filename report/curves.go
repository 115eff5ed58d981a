package report

import (
	"fmt"

	"gonum.org/v1/plot/plotter"

	"github.com/xp-ml/xp/store"
)

// curvesPanel draws a run's train and validation curves, one figure per
// metric.
type curvesPanel struct{ r *runData }

func (curvesPanel) name() string { return "training curves" }

func (p curvesPanel) build() ([]Block, error) {
	names := p.r.metricNames()
	if len(names) == 0 {
		return nil, skip("the run recorded no train or validation points")
	}
	var blocks []Block
	for _, name := range names {
		fig, pl := newFigure(fmt.Sprintf("run-%d-curve-%s", p.r.run.ID, fileSafe(name)), name+" by epoch", "epoch", name)
		drawn := 0
		for i, split := range []string{store.SplitTrain, store.SplitValidation} {
			xys, cut := curveXYs(p.r.curve(split, name))
			if len(xys) == 0 {
				continue
			}
			if err := line(pl, xys, i, i == 1, split); err != nil {
				return nil, err
			}
			drawn++
			if cut > 0 {
				fig.Caption = fmt.Sprintf("%s downsampled from %d points to %d", split, cut, len(xys))
			}
		}
		if drawn == 0 {
			continue
		}
		blocks = append(blocks, Block{Figure: fig})
	}
	return blocks, nil
}

// curveXYs is a curve as x (the epoch, and a fraction of it for a point
// within one) and y, downsampled; cut is how many points it had when it
// was downsampled, 0 when not.
func curveXYs(pts []store.Point) (xys plotter.XYs, cut int) {
	steps := map[int]int{}
	for _, p := range pts {
		steps[p.Epoch] = max(steps[p.Epoch], p.Step+1)
	}
	for _, p := range pts {
		x := float64(p.Epoch)
		if n := steps[p.Epoch]; n > 1 {
			x = float64(p.Epoch-1) + float64(p.Step+1)/float64(n)
		}
		xys = append(xys, plotter.XY{X: x, Y: p.Value})
	}
	xys = finite(xys)
	if len(xys) > maxLinePoints {
		return downsample(xys, maxLinePoints), len(xys)
	}
	return xys, 0
}

// fileSafe is s with every byte but letters, digits, '-' and '_' made '_'.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
