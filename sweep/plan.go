package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// Modes: which way the sweep's metric is better.
const (
	ModeMin = "min"
	ModeMax = "max"
)

// Plan is a sweep expanded into one job per point, with their run keys:
// everything an executor needs, found without training. A tpe sweep's
// plan holds the points proposed so far; its Session adds the others as
// results come.
type Plan struct {
	// ID is the sweep's stable id (spec.Experiment.SweepID).
	ID string
	// Exp is the experiment with the sweep; Sweep its sweep block.
	Exp   *spec.Experiment
	Sweep spec.Sweep
	// Metric ("<split>.<name>") and Mode (ModeMin, ModeMax) pick the best
	// point; Mode follows the metric when the spec leaves it out (min for
	// losses and errors).
	Metric, Mode string
	Points       []Point

	opts    runner.Options
	jobs    map[string]*runner.Job // the first job of each set of data sources and device
	builder *spec.PointBuilder     // tpe: builds the points it proposes
	hashes  map[string]bool        // the points' spec hashes
}

// Point is one point of a sweep and its job.
type Point struct {
	Index  int
	Params []spec.Param
	Job    *runner.Job
}

// Label is the point's values, "path=value ...".
func (p *Point) Label() string { return spec.ParamsLabel(p.Params) }

// Total is how many points the sweep has: its trials for tpe, whose
// points are not all proposed yet.
func (p *Plan) Total() int {
	if p.Sweep.Method == spec.MethodTPE {
		return max(p.Sweep.Trials, len(p.Points))
	}
	return len(p.Points)
}

// NewPlan expands exp's sweep into its points (each validated against the
// schema) and plans a job for each: backend, data hashes and run key.
// Points with the same data sources share one resolution, so a file is
// hashed once however many points read it.
func NewPlan(ctx context.Context, exp *spec.Experiment, opts runner.Options) (*Plan, error) {
	sw := exp.Spec.Sweep
	if sw == nil {
		return nil, fmt.Errorf("experiment %s has no sweep", exp.Name)
	}
	points, err := exp.Points()
	if err != nil {
		return nil, err
	}
	plan := &Plan{ID: exp.SweepID(), Exp: exp, Sweep: *sw, Metric: sw.Metric, Mode: sweepMode(sw),
		opts: opts, jobs: map[string]*runner.Job{}, hashes: map[string]bool{}}
	if sw.Method == spec.MethodTPE {
		if plan.builder, err = exp.PointBuilder(); err != nil {
			return nil, err
		}
	}
	for i := range points {
		if err := plan.add(ctx, &points[i]); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

// add plans point sp's job and appends the point.
func (p *Plan) add(ctx context.Context, sp *spec.Point) error {
	job, err := p.job(ctx, sp)
	if err != nil {
		return err
	}
	p.push(sp, job)
	return nil
}

// job plans point sp's job, sharing the data resolution of an earlier
// point that reads the same sources.
func (p *Plan) job(ctx context.Context, sp *spec.Point) (*runner.Job, error) {
	shared, err := json.Marshal([]any{sp.Exp.Dir, sp.Exp.Spec.Data.Source, sp.Exp.Spec.Data.TestSource, sp.Exp.Spec.Device})
	if err != nil {
		return nil, fmt.Errorf("plan sweep %s: %w", p.ID, err)
	}
	if first, ok := p.jobs[string(shared)]; ok {
		job := first.For(sp.Exp)
		job.Source = first.Source
		return job, nil
	}
	job, err := runner.Plan(ctx, sp.Exp, p.opts)
	if err != nil {
		return nil, fmt.Errorf("point %d (%s): %w", sp.Index, sp.Label(), err)
	}
	p.jobs[string(shared)] = job
	return job, nil
}

// push appends point sp with its job.
func (p *Plan) push(sp *spec.Point, job *runner.Job) {
	p.Points = append(p.Points, Point{Index: sp.Index, Params: sp.Params, Job: job})
	p.hashes[sp.Exp.Hash] = true
}

// sweepMode is the sweep's mode, or the one its metric implies.
func sweepMode(sw *spec.Sweep) string {
	if sw.Mode != "" {
		return sw.Mode
	}
	_, name, _ := strings.Cut(sw.Metric, ".")
	if metric.Lower(name) {
		return ModeMin
	}
	return ModeMax
}

// MetricValue is the final value of metric ("<split>.<name>") of run r:
// the last one recorded; NaN when r has none.
func MetricValue(r *store.Run, metric string) float64 {
	if r == nil {
		return math.NaN()
	}
	split, name, _ := strings.Cut(metric, ".")
	s, ok := r.Summary[split][name]
	if !ok {
		return math.NaN()
	}
	return s.Last
}

// better reports whether a beats b in mode; NaN never beats anything.
func better(a, b float64, mode string) bool {
	switch {
	case math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	case mode == ModeMax:
		return a > b
	}
	return a < b
}
