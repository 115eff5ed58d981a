package sweep

import (
	"context"
	"fmt"
	"math"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// stopReason says why a sweep with rule stop ends early, "" while it goes
// on. It decides over the points in their order, as if they had trained
// one at a time: the sweep stops after point k, the first point such that
// points 0..k are all done and, among them, one reached MetricAtLeast, or
// the best one came more than NoImprovementIn points before k. So where
// it stops does not depend on how many points trained at once (those
// already training past k finish, and count for the best).
func stopReason(stop *spec.Stop, points []PointResult, metric, mode string) string {
	best, bestAt := math.NaN(), -1
	for k, p := range points {
		if p.Index != k || p.State != store.PointDone {
			return ""
		}
		v := math.NaN()
		if p.Status == store.StatusSucceeded {
			v = p.Value
		}
		if better(v, best, mode) {
			best, bestAt = v, k
		}
		if at := stop.MetricAtLeast; at != nil && !math.IsNaN(v) && (v == *at || better(v, *at, mode)) {
			return fmt.Sprintf("point %d reached %s %.4g (stop.metric_at_least: %g)", k, metric, v, *at)
		}
		if n := stop.NoImprovementIn; n > 0 && k-bestAt >= n {
			if bestAt < 0 {
				return fmt.Sprintf("none of the first %d points has a value of %s (stop.no_improvement_in: %d)", k+1, metric, n)
			}
			return fmt.Sprintf("%s has not improved in the %d points after point %d (stop.no_improvement_in: %d)", metric, k-bestAt, bestAt, n)
		}
	}
	return ""
}

// stopped checks the sweep's stop rule, and records and tells the first
// time it holds. The reason, "" while the sweep goes on.
func (s *Session) stopped(ctx context.Context) (string, error) {
	stop := s.plan.Sweep.Stop
	if stop == nil {
		return "", nil
	}
	s.mu.Lock()
	reason := s.res.Stopped
	s.mu.Unlock()
	if reason != "" {
		return reason, nil
	}
	points, err := ReadPoints(ctx, s.st, s.plan.ID, s.plan.Metric)
	if err != nil {
		return "", err
	}
	if reason = stopReason(stop, points, s.plan.Metric, s.plan.Mode); reason == "" {
		return "", nil
	}
	s.mu.Lock()
	s.res.Stopped = reason
	s.mu.Unlock()
	s.Emit(Event{Kind: Notice, Message: "stopping early: " + reason})
	return reason, nil
}
