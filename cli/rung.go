package cli

import (
	"context"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// runRung is where run r stands on its asha sweep's rungs (see
// sweep.RunRung); nil when rungs is (not an asha sweep, or one the
// project's files have moved on from). held is the state of the point
// that holds r's result.
func runRung(rungs func(int) []int, r *store.Run, held store.PointState) *sweep.Rung {
	if rungs == nil || r == nil {
		return nil
	}
	rung := sweep.RunRung(rungs(r.Epochs), r, held)
	return &rung
}

// trainsToRung is the rung a claimed point of an asha sweep trains to:
// the one after its paused run's, or its first; nil where it is not
// known.
func trainsToRung(ctx context.Context, st *store.Store, rungs func(int) []int, p *store.QueuedPoint) *sweep.Rung {
	if rungs == nil || p.RunEpochs == 0 {
		return nil
	}
	var paused *store.Run
	if p.RunID != 0 {
		if r, err := st.Run(ctx, p.RunID); err == nil {
			paused = r
		}
	}
	rung := sweep.TrainsTo(rungs(p.RunEpochs), paused)
	return &rung
}
