package cli

import (
	"context"
	"fmt"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

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
