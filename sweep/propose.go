package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep/tpe"
)

// proposer chooses the points of a tpe sweep after its startup points,
// by the batch rule that makes them the same at any parallelism and after
// any restart: point i is proposed from the results of points 0..i-P
// only, P the sweep's parallel, once all of them are done, with an RNG
// seeded with (seed, i). A point once queued is read back, never proposed
// again.
type proposer struct {
	sampler tpe.Sampler
	params  []spec.SweepParam // in the order of the builder's paths
	seed    uint64
	batch   int // P
}

// Streams of the RNGs of a proposal, apart from those of random draws
// (spec seeds draw i with stream i).
const (
	tpeStream      = 0x74706500 << 32 // "tpe"
	fallbackStream = 0x72616e64 << 32 // "rand"
	// proposeAttempts is how many proposals a point gets before random
	// draws take over, when each proposal repeats an earlier point.
	proposeAttempts = 16
)

func newProposer(plan *Plan) (*proposer, error) {
	sw := plan.Sweep
	pr := &proposer{seed: uint64(sw.Seed), batch: max(sw.Parallel, 1)}
	for _, path := range plan.builder.Paths() {
		p := sw.Params[path]
		pr.params = append(pr.params, p)
		switch p.Dist {
		case spec.DistChoice:
			pr.sampler.Space = append(pr.sampler.Space, tpe.Param{Kind: tpe.Categorical, N: len(p.Choices)})
		case spec.DistUniform:
			pr.sampler.Space = append(pr.sampler.Space, tpe.Param{Kind: tpe.Float, Low: p.Low, High: p.High})
		case spec.DistLogUniform:
			pr.sampler.Space = append(pr.sampler.Space, tpe.Param{Kind: tpe.Float, Low: p.Low, High: p.High, Log: true})
		case spec.DistIntUniform:
			pr.sampler.Space = append(pr.sampler.Space, tpe.Param{Kind: tpe.Int, Low: p.Low, High: p.High})
		default:
			return nil, fmt.Errorf("sweep %s: params[%q]: no distribution", plan.ID, path)
		}
	}
	return pr, pr.sampler.Validate()
}

// history is what point i is proposed from: the trials of points
// 0..i-P, false while one of them is not done. A point without a value
// of the metric (failed, diverged, pruned, lost) counts as the worst.
func (pr *proposer) history(i int, points []PointResult, mode string) ([]tpe.Trial, bool, error) {
	n := max(i-pr.batch+1, 0)
	if len(points) < n {
		return nil, false, nil
	}
	trials := make([]tpe.Trial, n)
	for k, p := range points[:n] {
		if p.State != store.PointDone {
			return nil, false, nil
		}
		if len(p.Params) != len(pr.params) {
			return nil, false, fmt.Errorf("point %d has %d params, the sweep %d", k, len(p.Params), len(pr.params))
		}
		x := make([]float64, len(pr.params))
		for j, param := range p.Params {
			c, ok := pr.params[j].Coord(param.Value)
			if !ok {
				return nil, false, fmt.Errorf("point %d: %s=%s is not a value of the sweep", k, param.Path, param.Value)
			}
			x[j] = c
		}
		loss := math.Inf(1)
		if p.Status == store.StatusSucceeded && !math.IsNaN(p.Value) {
			loss = p.Value
			if mode == ModeMax {
				loss = -loss
			}
		}
		trials[k] = tpe.Trial{X: x, Loss: loss}
	}
	return trials, true, nil
}

// values is the attempt-th proposal of point i from trials: the sampler's
// for the first proposeAttempts, random draws after.
func (pr *proposer) values(i, attempt int, trials []tpe.Trial) []json.RawMessage {
	out := make([]json.RawMessage, len(pr.params))
	if attempt < proposeAttempts {
		rng := rand.New(rand.NewPCG(pr.seed, tpeStream+uint64(i)*proposeAttempts+uint64(attempt)))
		for j, x := range pr.sampler.Propose(trials, rng) {
			out[j] = pr.params[j].ValueAt(x)
		}
		return out
	}
	rng := rand.New(rand.NewPCG(pr.seed, fallbackStream+uint64(i)<<20+uint64(attempt)))
	for j, p := range pr.params {
		out[j] = p.Draw(rng)
	}
	return out
}

// errSpaceExhausted: no new point was found for a tpe sweep.
var errSpaceExhausted = errors.New("no new point found: every proposal and random draw repeats an earlier point")

// propose adds the next point of a tpe sweep to the plan and the queue,
// or the points another process added since; false when the sweep has
// all its points, or the next one waits for results. The caller holds
// s.planMu.
func (s *Session) propose(ctx context.Context) (bool, error) {
	plan := s.plan
	points, err := ReadPoints(ctx, s.st, plan.ID, plan.Metric)
	if err != nil {
		return false, err
	}
	n := len(plan.Points)
	if len(points) > n {
		return true, plan.adopt(ctx, points[n:])
	}
	if n >= plan.Sweep.Trials {
		return false, nil
	}
	trials, ready, err := s.proposer.history(n, points, plan.Mode)
	if err != nil || !ready {
		return false, err
	}
	for attempt := 0; attempt < proposeAttempts+maxFallbackDraws; attempt++ {
		sp, err := plan.builder.Point(n, s.proposer.values(n, attempt, trials))
		if err != nil {
			return false, err
		}
		if plan.hashes[sp.Exp.Hash] {
			continue
		}
		job, err := plan.job(ctx, sp)
		if err != nil {
			return false, err
		}
		params, err := json.Marshal(sp.Params)
		if err != nil {
			return false, err
		}
		// Queued first, then planned: the plan never holds a point the
		// queue does not.
		qp, err := s.st.AppendPoint(ctx, plan.ID, store.QueuedPoint{Index: n, Key: job.Key, Params: params})
		if err != nil {
			return false, err
		}
		if qp.Key != job.Key {
			return false, fmt.Errorf("sweep %s: point %d has key %.12s in the queue, %.12s proposed here: another xp process runs this sweep on other data",
				plan.ID, n, qp.Key, job.Key)
		}
		plan.push(sp, job)
		return true, nil
	}
	return false, fmt.Errorf("sweep %s: point %d: %w", plan.ID, n, errSpaceExhausted)
}

// maxFallbackDraws bounds the random draws of a point after its
// proposals repeated earlier points.
const maxFallbackDraws = 1000

// adopt adds to the plan the points the queue holds beyond it, with the
// values they were queued with: proposed by another process, or before a
// restart.
func (p *Plan) adopt(ctx context.Context, queued []PointResult) error {
	for _, q := range queued {
		if q.Index != len(p.Points) {
			return fmt.Errorf("sweep %s: point %d queued after %d points", p.ID, q.Index, len(p.Points))
		}
		sp, err := p.builder.PointOf(q.Index, q.Params)
		if err != nil {
			return err
		}
		if err := p.add(ctx, sp); err != nil {
			return err
		}
	}
	return nil
}
