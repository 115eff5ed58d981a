package sweep

import (
	"context"
	"slices"

	"github.com/xp-ml/xp/store"
)

// An asha sweep (successive halving) trains every point to its first
// rung's epochs, paused there (runner.Options.PauseAfter: status paused,
// the key's checkpoint kept), then promotes the best 1/reduction_factor
// of the rung to the next, where each continues from its checkpoint, and
// so on to the last rung, the point's train.epochs, where it succeeds.
//
// The queue holds no rung: a point's rung is read from the run that holds
// its result, whose epochs say which rung it ended at, and a pending or
// claimed point that holds a paused run (promoted) trains to the rung
// after that run's. A rung's promotion waits until every point that
// trains at or below it is done, so that it ranks the same results at any
// parallelism and after any restart; it promotes in one write, and a rung
// with a point above it was promoted already (store.PromotePoints changes
// a point once, so two processes that rank one rung agree).

// ashaRung is where a point stands on its rungs: the rung of its result,
// or the rung it trains to when it is pending or claimed.
func ashaRung(rungs []int, p *PointResult) int {
	r := p.Run
	switch {
	case r == nil:
		return 0
	case p.State != store.PointDone && r.Status == store.StatusPaused:
		return min(RungAt(rungs, r.Epoch)+1, len(rungs)-1)
	case r.Status == store.StatusPaused, r.Status == store.StatusSucceeded:
		return RungAt(rungs, r.Epoch)
	case r.ResumedFrom != 0:
		// It ended (failed, lost) before its first epoch's heartbeat,
		// perhaps: past the rung it was resumed from.
		return RungAt(rungs, max(r.Epoch, r.ResumedEpoch+1))
	}
	return RungAt(rungs, r.Epoch)
}

// RungAt is the rung (from 0) of rungs whose epochs first reach epoch:
// where a run that ended at epoch stands.
func RungAt(rungs []int, epoch int) int {
	for k, b := range rungs {
		if epoch <= b {
			return k
		}
	}
	return len(rungs) - 1
}

// ashaClaim is what a claimed point of an asha sweep trains to.
type ashaClaim struct {
	// pauseAfter is the epochs of the point's rung; 0 at its last rung
	// (to the end).
	pauseAfter int
	// promoted: the point continues a paused run.
	promoted bool
}

// ashaClaim is what claimed point idx, holding run runID (0: none),
// trains to: the rung after its paused run's, or its first rung.
func (s *Session) ashaClaim(ctx context.Context, idx int, runID int64) (ashaClaim, error) {
	p := PointResult{Index: idx, State: store.PointClaimed}
	if runID != 0 {
		r, err := s.st.Run(ctx, runID)
		if err != nil {
			return ashaClaim{}, err
		}
		p.Run = r
	}
	rungs := s.rungsOf(idx)
	k := ashaRung(rungs, &p)
	c := ashaClaim{promoted: p.Run != nil && p.Run.Status == store.StatusPaused}
	if k < len(rungs)-1 {
		c.pauseAfter = rungs[k]
	}
	return c, nil
}

// promote promotes the points of the lowest rung that is complete and
// not yet promoted, and reports whether it made any pending.
func (s *Session) promote(ctx context.Context) (bool, error) {
	points, err := ReadPoints(ctx, s.st, s.plan.ID, s.plan.Metric)
	if err != nil {
		return false, err
	}
	rung := make([]int, len(points))
	top := 0
	for i := range points {
		rung[i] = ashaRung(s.rungsOf(points[i].Index), &points[i])
		top = max(top, rung[i])
	}
	for r := 0; r <= top; r++ {
		var members []*PointResult
		above := false
		for i := range points {
			p := &points[i]
			switch {
			case rung[i] <= r && p.State != store.PointDone:
				return false, nil // rung r is not complete
			case rung[i] > r:
				above = true
			case rung[i] == r:
				members = append(members, p)
			}
		}
		if above {
			continue
		}
		ps := s.promotions(members)
		if len(ps) == 0 {
			return false, nil
		}
		n, err := s.st.PromotePoints(ctx, s.plan.ID, ps)
		return n > 0, err
	}
	return false, nil
}

// promotions are the best 1/reduction_factor of a rung's members (at
// least one) among those paused there, by the sweep's metric; a tie goes
// to the lower index, a point without a value ranks last.
func (s *Session) promotions(members []*PointResult) []store.Promotion {
	var paused []*PointResult
	for _, p := range members {
		if p.Status == store.StatusPaused && p.Run != nil {
			paused = append(paused, p)
		}
	}
	slices.SortStableFunc(paused, func(a, b *PointResult) int {
		switch {
		case better(a.Value, b.Value, s.plan.Mode):
			return -1
		case better(b.Value, a.Value, s.plan.Mode):
			return 1
		}
		return a.Index - b.Index
	})
	k := min(max(len(members)/s.plan.Sweep.ReductionFactor, 1), len(paused))
	out := make([]store.Promotion, k)
	for i, p := range paused[:k] {
		out[i] = store.Promotion{Index: p.Index, RunID: p.Run.ID}
	}
	return out
}

// rungsOf are the rungs of point idx.
func (s *Session) rungsOf(idx int) []int {
	pp, ok := s.point(idx)
	if !ok {
		return []int{0}
	}
	return s.plan.Sweep.Rungs(pp.Job.Exp.Spec.Train.Epochs)
}

// trainings is how many times an asha sweep's points end, once per rung
// each reaches: n points at the first rung, n/reduction_factor (at least
// one) at the next, and so on; counted with the first point's rungs.
func (s *Session) trainings() int {
	rungs := s.rungsOf(0)
	n := len(s.plan.Points)
	total := n
	for range rungs[1:] {
		n = max(n/s.plan.Sweep.ReductionFactor, 1)
		total += n
	}
	return total
}
