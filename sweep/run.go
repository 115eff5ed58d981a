package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// Executor trains the points of a sweep somewhere: in this process
// (sweep/local), on a Slurm cluster (sweep/slurm), anywhere else a new
// package says. Run does everything around it: planning, the queue, the
// cache, the events, the result.
type Executor interface {
	// Name is what xp run --executor and the spec's sweep.executor call
	// it ("local", "slurm").
	Name() string
	// Fit settles where the points train, before the sweep is planned:
	// given the CPU threads a point asks for and how many points are asked
	// to train at once, it returns the threads each point gets (a part of
	// its run key, so they are fixed before the keys are computed) and how
	// many train at once (0: as the executor's scheduler decides).
	Fit(threads, parallel int) (int, int)
	// Execute trains the points left in s's queue until none is left to
	// claim and none it claimed is unfinished: it claims them
	// (Session.Claim, ClaimAll), trains them here (Session.Train) or has
	// them trained elsewhere, and records how each ended
	// (Session.Finish). When ctx is canceled it starts nothing more, gives
	// back the points it did not finish (Session.Release) and returns. It
	// returns an error only for a failure of its own or of the store: a
	// point's failure is recorded with the point.
	Execute(ctx context.Context, s *Session) error
}

// Options tune Run.
type Options struct {
	// Options apply to every point's run. Threads is the CPU threads of
	// each (0: the sweep's resources.cpus); Force trains every point
	// again.
	runner.Options
	// Parallel is how many points train at once (0: the sweep's
	// parallel); the executor may lower it (Executor.Fit).
	Parallel int
	// StaleAfter is how old a heartbeat may be before another process's
	// claim is taken over, or its run marked lost (0: DefaultStaleAfter).
	StaleAfter time.Duration
	// Events, when set, hears how the sweep goes, one call at a time
	// (from the points' goroutines).
	Events func(Event)
}

// Run runs the points of exp's sweep that are not done yet on ex, and
// returns where every point stands.
//
// The sweep's queue lives in the store under the sweep's id: points are
// claimed one at a time in a write transaction, so several processes may
// run one sweep together and no point is trained twice; a process that is
// stopped (Ctrl-C, a kill, a crash) leaves its points to be taken by the
// next `xp run` of the sweep, at once when its process is gone from this
// host, after StaleAfter otherwise. A point whose key already succeeded is
// cached. One point failing does not stop the others.
//
// When ctx is canceled, the executor stops (the points in training are
// recorded canceled and go back to the queue), and Run returns the result
// with ctx's error.
func Run(ctx context.Context, st *store.Store, exp *spec.Experiment, ex Executor, opts Options) (*Result, error) {
	start := time.Now()
	s, err := Start(ctx, st, exp, ex, opts)
	if err != nil {
		return nil, err
	}
	runErr := ex.Execute(ctx, s)
	// The summary is read back from the store even when ctx is canceled:
	// what was done is kept and shown.
	res, err := s.Result(context.WithoutCancel(ctx))
	if err != nil {
		return nil, errors.Join(runErr, err)
	}
	res.Elapsed = time.Since(start)
	if runErr == nil {
		runErr = ctx.Err()
	}
	return res, runErr
}

// Start is Run up to the executor: it plans exp's sweep for ex, checks
// that the points to train may (committed, or AllowDirty), queues them,
// and returns the session ex.Execute works in.
func Start(ctx context.Context, st *store.Store, exp *spec.Experiment, ex Executor, opts Options) (*Session, error) {
	sw := exp.Spec.Sweep
	if sw == nil {
		return nil, fmt.Errorf("experiment %s has no sweep", exp.Name)
	}
	if opts.Data.CacheDir == "" {
		opts.Data.CacheDir = filepath.Join(st.Dir(), "cache")
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = DefaultStaleAfter
	}
	if _, err := ReapLost(ctx, st, opts.StaleAfter); err != nil {
		return nil, err
	}
	if opts.Threads <= 0 {
		opts.Threads = max(sw.Resources.CPUs, 1)
	}
	if opts.Parallel <= 0 {
		opts.Parallel = max(sw.Parallel, 1)
	}
	if sw.Method == spec.MethodASHA && ex.Name() != spec.ExecutorLocal && ex.Name() != spec.ExecutorSlurm {
		// A promoted point continues its paused run's checkpoint, which
		// the local executor keeps in the store and the Slurm one puts in
		// the task's directory on the shared filesystem; a pod that
		// reports through a remote would not find it.
		return nil, fmt.Errorf("sweep of %s: method asha runs with the local and slurm executors (a promoted point continues its paused run's checkpoint, which %s tasks are not given), not %s", exp.Name, ex.Name(), ex.Name())
	}
	opts.Threads, opts.Parallel = ex.Fit(opts.Threads, opts.Parallel)

	t0 := time.Now()
	plan, err := NewPlan(ctx, exp, opts.Options)
	if err != nil {
		return nil, err
	}
	if sw.Method == spec.MethodTPE {
		// The points proposed before, by this process or another: read
		// back, never proposed again.
		queued, err := ReadPoints(ctx, st, plan.ID, plan.Metric)
		if err != nil {
			return nil, err
		}
		if len(queued) > len(plan.Points) {
			if err := plan.adopt(ctx, queued[len(plan.Points):]); err != nil {
				return nil, err
			}
		}
	}
	planning := time.Since(t0)
	if len(plan.Points) == 0 {
		return nil, fmt.Errorf("sweep %s has no points", plan.ID)
	}
	if err := inspectSources(ctx, st, plan, opts.Options); err != nil {
		return nil, err
	}
	left, err := enqueue(ctx, st, plan, opts.Force)
	if err != nil {
		return nil, err
	}
	s := &Session{st: st, plan: plan, opts: opts, owner: newOwner(), done: len(plan.Points) - left,
		res: Result{Plan: plan, Executor: ex.Name(), Parallel: opts.Parallel, Threads: opts.Threads,
			Earlier: len(plan.Points) - left, Planning: planning}}
	if sw.Prune != nil {
		s.pruner = newPruner(st, plan)
	}
	if sw.Method == spec.MethodASHA {
		s.rungs = map[int]ashaClaim{}
	}
	if sw.Method == spec.MethodTPE {
		if s.proposer, err = newProposer(plan); err != nil {
			return nil, err
		}
	}
	s.Emit(Event{Kind: Started, Parallel: opts.Parallel, Threads: opts.Threads})
	if sw.Method == spec.MethodTPE && opts.Parallel > max(sw.Parallel, 1) {
		s.Emit(Event{Kind: Notice, Message: fmt.Sprintf("method tpe proposes point i from the results of points 0..i-%d (sweep.parallel): past its startup points, at most %d train at once; a higher sweep.parallel is another sweep",
			max(sw.Parallel, 1), max(sw.Parallel, 1))})
	}
	return s, nil
}

// inspectSources looks at git once for all the points (they share the
// experiment's files and, unless the sweep changes them, the data files),
// and refuses uncommitted files unless opts.AllowDirty, or unless every
// point is cached: a cached point needs no commit.
func inspectSources(ctx context.Context, st *store.Store, plan *Plan, opts runner.Options) error {
	sources := map[string]*provenance.Source{}
	for _, p := range plan.Points {
		data := p.Job.DataFiles()
		id := fmt.Sprint(data)
		src, ok := sources[id]
		if !ok {
			var err error
			if src, err = provenance.Inspect(plan.Exp, data...); err != nil {
				return err
			}
			sources[id] = src
		}
		p.Job.Source = src
	}
	if opts.AllowDirty {
		return nil
	}
	err := plan.Points[0].Job.Source.Check(plan.Exp)
	if err == nil {
		return nil
	}
	must, cerr := mustTrain(ctx, st, plan, opts.Force)
	if cerr != nil || must {
		return errors.Join(err, cerr)
	}
	return nil
}

// mustTrain reports whether some point of plan has no succeeded run.
func mustTrain(ctx context.Context, st *store.Store, plan *Plan, force bool) (bool, error) {
	if force || len(plan.Points) < plan.Total() {
		return true, nil // a tpe sweep has points to propose, and train
	}
	// An asha sweep's points that stopped at a rung are done, not to
	// train: what its queue recorded of them stands.
	stopped := map[string]bool{}
	if plan.Sweep.Method == spec.MethodASHA {
		queued, err := st.SweepPoints(ctx, plan.ID)
		if err != nil {
			return false, err
		}
		for _, q := range queued {
			if q.State == store.PointDone && q.Status == store.StatusPaused {
				stopped[q.Key] = true
			}
		}
	}
	for _, p := range plan.Points {
		if stopped[p.Job.Key] {
			continue
		}
		_, err := st.LatestSucceeded(ctx, p.Job.Key)
		if errors.Is(err, store.ErrNotFound) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
	}
	return false, nil
}

// enqueue records plan's points in the sweep's queue (keeping the state
// of those already there) and returns how many are left to do.
func enqueue(ctx context.Context, st *store.Store, plan *Plan, retrain bool) (int, error) {
	queued := make([]store.QueuedPoint, len(plan.Points))
	for i, p := range plan.Points {
		params, err := json.Marshal(p.Params)
		if err != nil {
			return 0, fmt.Errorf("queue sweep %s: %w", plan.ID, err)
		}
		queued[i] = store.QueuedPoint{Index: p.Index, Key: p.Job.Key, Params: params}
	}
	return st.Enqueue(ctx, &store.Sweep{ID: plan.ID, Experiment: plan.Exp.Name, SpecHash: plan.Exp.Hash,
		Method: plan.Sweep.Method, Metric: plan.Metric, Mode: plan.Mode, Points: plan.Total()}, queued, retrain)
}
