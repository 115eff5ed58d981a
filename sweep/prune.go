package sweep

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
)

// pruner applies the median stopping rule to a sweep's points: after grace
// epochs, a point whose best value so far is worse than the median of the
// completed points' best values up to the same epoch stops. The completed
// points are the sweep's succeeded ones, whichever process ran them, read
// from the store.
type pruner struct {
	st                *store.Store
	sweepID           string
	split, name, mode string
	grace, minPoints  int

	mu        sync.Mutex
	curves    map[int64][]float64 // completed run -> best so far, by epoch-1
	refreshed time.Time
}

// pruneRefreshEvery bounds how often the pruner looks for points completed
// by other processes (its own it hears of at once).
const pruneRefreshEvery = time.Second

func newPruner(st *store.Store, plan *Plan) *pruner {
	pr := plan.Sweep.Prune
	watched := pr.Metric
	if watched == "" {
		_, name, _ := strings.Cut(plan.Metric, ".")
		watched = "validation." + name
	}
	split, name, _ := strings.Cut(watched, ".")
	mode := plan.Mode
	if watched != plan.Metric || plan.Sweep.Mode == "" {
		mode = ModeMax
		if metric.Lower(name) {
			mode = ModeMin
		}
	}
	return &pruner{st: st, sweepID: plan.ID, split: split, name: name, mode: mode,
		grace: pr.Grace, minPoints: max(pr.MinPoints, 1), curves: map[int64][]float64{}}
}

// rule returns the Prune function of one point's run.
func (p *pruner) rule(ctx context.Context) func(int, map[string]float64) string {
	best := math.NaN()
	return func(epoch int, val map[string]float64) string {
		if v, ok := val[p.name]; ok && better(v, best, p.mode) {
			best = v
		}
		if epoch <= p.grace || math.IsNaN(best) {
			return ""
		}
		values := p.completedAt(ctx, epoch)
		if len(values) < p.minPoints {
			return ""
		}
		med := median(values)
		if better(med, best, p.mode) {
			return fmt.Sprintf("best %s.%s so far %.4g is worse than the median %.4g of %d completed points at epoch %d",
				p.split, p.name, best, med, len(values), epoch)
		}
		return ""
	}
}

// completedAt is the best value up to epoch of every completed point that
// reached it.
func (p *pruner) completedAt(ctx context.Context, epoch int) []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.refreshed) >= pruneRefreshEvery {
		p.refreshed = time.Now()
		p.refresh(ctx)
	}
	var out []float64
	for _, c := range p.curves {
		if len(c) >= epoch && !math.IsNaN(c[epoch-1]) {
			out = append(out, c[epoch-1])
		}
	}
	return out
}

// refresh reads the curves of points completed since the last refresh. A
// store error leaves the pruner with what it has: pruning is an
// optimisation, never a reason to fail a point.
func (p *pruner) refresh(ctx context.Context) {
	points, err := p.st.SweepPoints(ctx, p.sweepID)
	if err != nil {
		return
	}
	for _, q := range points {
		if q.State != store.PointDone || q.Status != store.StatusSucceeded || q.RunID == 0 {
			continue
		}
		if _, ok := p.curves[q.RunID]; ok {
			continue
		}
		pts, err := p.st.Points(ctx, q.RunID, p.split, p.name)
		if err != nil {
			return
		}
		var curve []float64
		best := math.NaN()
		for _, pt := range pts {
			for len(curve) < pt.Epoch-1 {
				curve = append(curve, best)
			}
			if better(pt.Value, best, p.mode) {
				best = pt.Value
			}
			if len(curve) == pt.Epoch-1 {
				curve = append(curve, best)
			} else if pt.Epoch >= 1 {
				curve[pt.Epoch-1] = best
			}
		}
		p.curves[q.RunID] = curve
	}
}

// completed tells the pruner that a point of this process completed, so
// its curve counts from the next check on.
func (p *pruner) completed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refreshed = time.Time{}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
