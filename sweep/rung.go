package sweep

import (
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// RungsOf are the rungs of sweep sw for a point of epochs epochs, read
// from its experiment in the project at root when that still defines the
// same sweep; nil for a sweep of another method, or one the files have
// moved on from. `xp ls --sweep`, `xp queue` and the TUI show them.
func RungsOf(root string, sw *store.Sweep) func(epochs int) []int {
	if sw == nil || sw.Method != spec.MethodASHA || root == "" {
		return nil
	}
	exp, err := spec.Find(root, sw.Experiment)
	if err != nil || exp.Spec.Sweep == nil || exp.SweepID() != sw.ID {
		return nil
	}
	return exp.Spec.Sweep.Rungs
}

// RungLabel is where run r stands on its asha sweep's rungs: "2/3", with
// "promoted" when its point went on from it (to a rung above, or queued
// for one) and "paused" when its point stopped at it; "-" without rungs
// or a run. held is the state of the point that holds r's result.
func RungLabel(rungs func(int) []int, r *store.Run, held store.PointState) string {
	if rungs == nil || r == nil {
		return "-"
	}
	rs := rungs(r.Epochs)
	cell := fmt.Sprintf("%d/%d", RungAt(rs, r.Epoch)+1, len(rs))
	if r.Status != store.StatusPaused {
		return cell
	}
	if held == store.PointDone {
		return cell + " paused"
	}
	return cell + " promoted"
}
