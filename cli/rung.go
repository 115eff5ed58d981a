package cli

import (
	"context"
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// ashaRungs are the rungs of sweep sw for a point of epochs epochs, read
// from its experiment in the project when that still defines the same
// sweep; nil for a sweep of another method, or one the files have moved
// on from.
func ashaRungs(root string, sw *store.Sweep) func(epochs int) []int {
	if sw.Method != spec.MethodASHA {
		return nil
	}
	exp, err := spec.Find(root, sw.Experiment)
	if err != nil || exp.Spec.Sweep == nil || exp.SweepID() != sw.ID {
		return nil
	}
	return exp.Spec.Sweep.Rungs
}

// rungCell is where run r stands on its asha sweep's rungs: "2/3", with
// "promoted" when its point went on from it (to a rung above, or queued
// for one) and "paused" when its point stopped at it. held is the state
// of the point that holds r's result.
func rungCell(rungs func(int) []int, r *store.Run, held store.PointState) string {
	if rungs == nil {
		return "-"
	}
	rs := rungs(r.Epochs)
	cell := fmt.Sprintf("%d/%d", sweep.RungAt(rs, r.Epoch)+1, len(rs))
	if r.Status != store.StatusPaused {
		return cell
	}
	if held == store.PointDone {
		return cell + " paused"
	}
	return cell + " promoted"
}

// trainsToRung is the rung a claimed point of an asha sweep trains to,
// "2/3": the one after its paused run's, or its first.
func trainsToRung(ctx context.Context, st *store.Store, rungs func(int) []int, p *store.QueuedPoint) string {
	if rungs == nil || p.RunEpochs == 0 {
		return ""
	}
	rs := rungs(p.RunEpochs)
	k := 0
	if p.RunID != 0 {
		if r, err := st.Run(ctx, p.RunID); err == nil && r.Status == store.StatusPaused {
			k = min(sweep.RungAt(rs, r.Epoch)+1, len(rs)-1)
		}
	}
	return fmt.Sprintf("%d/%d", k+1, len(rs))
}
