package report

import (
	"fmt"

	"github.com/xp-ml/xp/sweep"
)

// rungsPanel is an asha sweep's successive halving as a table: for each
// rung, its epochs, how many points reached it, how many stopped there
// (paused) and how many were promoted from it to the next.
type rungsPanel struct{ sw *Sweep }

func (rungsPanel) name() string { return "sweep rungs" }

func (p rungsPanel) build() ([]Block, error) {
	var (
		epochs  []int
		reached []int // by point: the highest rung trained to, queued or in training for, from 1
		paused  = map[int]int{}
	)
	for i := range p.sw.Points {
		pt := &p.sw.Points[i]
		if pt.Run == nil {
			reached = append(reached, 1)
			continue
		}
		r := p.sw.rungOf(pt)
		if epochs == nil {
			epochs = p.sw.Rungs(pt.Run.Epochs)
		}
		top := r.Rung
		switch r.State {
		case sweep.RungPromoted:
			top++
		case sweep.RungPaused:
			paused[r.Rung]++
		}
		reached = append(reached, top)
	}
	if epochs == nil {
		return nil, skip("no point of the sweep has trained yet")
	}
	var rows [][]string
	for k := 1; k <= len(epochs); k++ {
		at, above := 0, 0
		for _, r := range reached {
			if r >= k {
				at++
			}
			if r > k {
				above++
			}
		}
		promoted := fmt.Sprint(above)
		if k == len(epochs) {
			promoted = "-"
		}
		rows = append(rows, []string{fmt.Sprintf("%d/%d", k, len(epochs)), fmt.Sprint(epochs[k-1]), fmt.Sprint(at),
			fmt.Sprint(paused[k]), promoted})
	}
	caption := fmt.Sprintf("successive halving: %d points; at each rung the points that reached it (trained to its epochs, or queued or in training for it), "+
		"those paused there, and those promoted from it, by %s (%s)", len(p.sw.Points), p.sw.Metric, p.sw.Mode)
	return []Block{{Table: &Table{Caption: caption, Header: []string{"rung", "epochs", "points", "paused", "promoted"}, Rows: rows}}}, nil
}

// rungOf is where point pt's run stands on its rungs (pt.Run set).
func (sw *Sweep) rungOf(pt *sweep.PointResult) sweep.Rung {
	return sweep.RunRung(sw.Rungs(pt.Run.Epochs), pt.Run, pt.State)
}
