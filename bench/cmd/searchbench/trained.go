package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	_ "github.com/xp-ml/xp/backends/engine" // registers "cpu", as xp does
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// trainer is an objective that is a real xp experiment: a point is the
// experiment's sweep point with the values asked for, trained as a sweep
// point is (spec.PointBuilder, the job of the sweep's plan, Job.Train),
// into one store, which answers a point trained before from its cache
// (its key succeeded: the same values, whichever search asked). The value
// is the sweep's metric, negated for mode max; a point that did not
// succeed is +Inf, as a tpe sweep counts it.
type trainer struct {
	ctx     context.Context
	st      *store.Store
	plan    *sweep.Plan
	builder *spec.PointBuilder
	opts    runner.Options
	memo    map[string]float64 // by run key: a failed point is not trained twice either
}

// loadProject makes an objective of every experiment with a sweep in
// dir/experiments, trained into the store dir/.xp with one thread per
// point. The experiment's sweep gives the space (its params) and the
// value (its metric and mode); its method and trials are not used.
func loadProject(ctx context.Context, dir string) (map[string]objective, *store.Store, error) {
	files, err := filepath.Glob(filepath.Join(dir, "experiments", "*.cue"))
	if err != nil || len(files) == 0 {
		return nil, nil, fmt.Errorf("project %s: no experiments/*.cue", dir)
	}
	exps, err := spec.Load(files...)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, filepath.Join(dir, ".xp"))
	if err != nil {
		return nil, nil, err
	}
	opts := runner.Options{AllowDirty: true, Threads: 1}
	out := map[string]objective{}
	for _, exp := range exps {
		if exp.Spec.Sweep == nil {
			continue
		}
		t := &trainer{ctx: ctx, st: st, opts: opts, memo: map[string]float64{}}
		if t.plan, err = sweep.NewPlan(ctx, exp, opts); err != nil {
			return nil, nil, errors.Join(err, st.Close())
		}
		if t.builder, err = exp.PointBuilder(); err != nil {
			return nil, nil, errors.Join(err, st.Close())
		}
		t.opts.SweepID = t.plan.ID
		out[exp.Name] = objective{name: exp.Name, space: exp.Spec.Sweep.Params, eval: t.eval}
	}
	if len(out) == 0 {
		return nil, nil, errors.Join(fmt.Errorf("project %s: no experiment has a sweep", dir), st.Close())
	}
	return out, st, nil
}

// eval trains the point with values p (one per path of the sweep) and
// returns its value.
func (t *trainer) eval(p map[string]any) (float64, error) {
	paths := t.builder.Paths()
	values := make([]json.RawMessage, len(paths))
	for j, path := range paths {
		v, ok := p[path]
		if !ok {
			return 0, fmt.Errorf("%s: no value for %s", t.plan.Exp.Name, path)
		}
		js, err := json.Marshal(v)
		if err != nil {
			return 0, err
		}
		values[j] = js
	}
	sp, err := t.builder.Point(0, values)
	if err != nil {
		return 0, err
	}
	// The plan's first point resolved and hashed the data: every other
	// point shares it, as the points of a sweep do.
	first := t.plan.Points[0].Job
	job := first.For(sp.Exp)
	job.Source = first.Source
	if v, ok := t.memo[job.Key]; ok {
		return v, nil
	}
	run, err := t.st.LatestSucceeded(t.ctx, job.Key)
	if errors.Is(err, store.ErrNotFound) {
		var res *runner.Result
		res, err = job.Train(t.ctx, t.st, t.opts)
		if res != nil {
			run = res.Run
		}
	}
	if err := t.ctx.Err(); err != nil {
		return 0, err
	}
	if err != nil && run == nil {
		// Not the point's doing (the store, the data): the search stops.
		return 0, fmt.Errorf("%s: %s: %w", t.plan.Exp.Name, sp.Label(), err)
	}
	v := math.Inf(1)
	if run.Status == store.StatusSucceeded {
		if v = sweep.MetricValue(run, t.plan.Metric); t.plan.Mode == sweep.ModeMax {
			v = -v
		}
		if math.IsNaN(v) {
			v = math.Inf(1)
		}
	}
	t.memo[job.Key] = v
	return v, nil
}

// spaceJSON is an objective's space in search_reference.py's terms
// (SPACES): {"path": {"log_uniform": [lo, hi]}, "path": {"choice": [...]}}.
func spaceJSON(o objective) map[string]any {
	out := map[string]any{}
	for _, n := range o.names() {
		p := o.space[n]
		if p.Dist == spec.DistChoice {
			out[n] = map[string]any{"choice": slices.Clone(p.Choices)}
			continue
		}
		out[n] = map[string]any{p.Dist: [2]float64{p.Low, p.High}}
	}
	return out
}
