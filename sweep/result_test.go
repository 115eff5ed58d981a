package sweep

import (
	"math"
	"testing"

	"github.com/xp-ml/xp/store"
)

// A tie for the best goes to the first point in the sweep's order; the
// others are its ties. Points not succeeded never tie.
func TestBestTies(t *testing.T) {
	done := func(i int, v float64, st store.Status) PointResult {
		return PointResult{Index: i, State: store.PointDone, Status: st, Value: v}
	}
	points := []PointResult{
		done(0, 0.5, store.StatusSucceeded),
		done(1, 0.2, store.StatusFailed),
		done(2, 0.3, store.StatusSucceeded),
		done(3, math.NaN(), store.StatusSucceeded),
		done(4, 0.3, store.StatusSucceeded),
		done(5, 0.3, store.StatusPruned),
		done(6, 0.3, store.StatusSucceeded),
	}
	best := Best(points, ModeMin)
	if best == nil || best.Index != 2 {
		t.Fatalf("best = %+v, want point 2", best)
	}
	ties := Tied(points, best)
	if len(ties) != 2 || ties[0].Index != 4 || ties[1].Index != 6 {
		t.Errorf("ties = %+v, want points 4 and 6", ties)
	}
	if got := Tied(points, Best(points, ModeMax)); len(got) != 0 {
		t.Errorf("the max, 0.5, has ties %+v", got)
	}
	if Tied(points, nil) != nil {
		t.Error("no best has ties")
	}
}
