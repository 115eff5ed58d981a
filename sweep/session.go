package sweep

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// ErrNoPoint: the sweep has no point to claim now (all done, or claimed by
// processes that are alive).
var ErrNoPoint = store.ErrNoPoint

// Session is one process's work on a sweep, what an Executor works in:
// the plan, this process's claims on the sweep's queue, the events it
// emits and the counts of its result. Its methods may be called from
// several goroutines.
type Session struct {
	st     *store.Store
	plan   *Plan
	opts   Options
	owner  string
	pruner *pruner
	// proposer proposes a tpe sweep's points as results come; planMu
	// guards plan.Points, which it appends to.
	proposer *proposer
	planMu   sync.Mutex

	mu       sync.Mutex
	res      Result // what the session counts, under mu
	training int    // points in Train now, under mu
	noRemote bool   // the remote failed once: not asked again; under mu
	// rungs holds, for an asha sweep's claimed points, what each trains
	// to; under mu.
	rungs map[int]ashaClaim

	emitMu sync.Mutex
	done   int // points of the sweep done, as far as this process knows; under emitMu
}

// Outcome is how a point ended, for Finish.
type Outcome struct {
	// Run is the run that holds the point's result; nil when it failed
	// before a run was recorded.
	Run    *store.Run
	Status store.Status
	Error  string
	// Cached: Run is an earlier run of the point's key; Remote: one
	// that succeeded on the remote, pulled now.
	Cached, Remote bool
}

// Plan is the sweep's plan.
func (s *Session) Plan() *Plan { return s.plan }

// Store is the project's store, the one the queue is in.
func (s *Session) Store() *store.Store { return s.st }

// Parallel is how many points train at once, as Executor.Fit said (0: as
// the executor's scheduler decides).
func (s *Session) Parallel() int { return s.opts.Parallel }

// RunOptions are the options every point's run trains with: Run's, with
// the threads settled (Executor.Fit) and the sweep recorded.
func (s *Session) RunOptions() runner.Options {
	opts := s.opts.Options
	opts.SweepID = s.plan.ID
	return opts
}

// Emit tells Options.Events of e, with the sweep's plan and counts.
func (s *Session) Emit(e Event) {
	if s.opts.Events == nil {
		return
	}
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if e.Kind == PointDone {
		s.done++
	}
	s.planMu.Lock()
	total := s.plan.Total()
	s.planMu.Unlock()
	if e.Kind == PointDone && s.plan.Sweep.Method == spec.MethodASHA {
		total = s.trainings() // a point ends once per rung it reaches
	}
	e.Plan, e.Done, e.Total = s.plan, s.done, total
	s.opts.Events(e)
}

// Claim claims the next point to train and returns its index. Points
// whose key already succeeded are answered from the cache as they are
// claimed (recorded done, cached, told as PointDone) and not returned,
// unless Force. A tpe sweep proposes its next point when none is pending
// and the results it is proposed from are in. ErrNoPoint when none is
// left to claim now. A point the queue holds with another key than this
// process planned (another process enqueued the sweep since, on other
// data) is given back, and an error.
func (s *Session) Claim(ctx context.Context) (int, error) {
	for {
		if reason, err := s.stopped(ctx); err != nil {
			return 0, err
		} else if reason != "" {
			return 0, ErrNoPoint
		}
		qp, err := s.st.ClaimPoint(ctx, s.plan.ID, s.owner, s.opts.StaleAfter, OwnerGone)
		if errors.Is(err, ErrNoPoint) && s.plan.Sweep.Method == spec.MethodASHA {
			promoted, perr := s.promote(ctx)
			if perr != nil {
				return 0, perr
			}
			if promoted {
				continue
			}
		}
		if errors.Is(err, ErrNoPoint) && s.proposer != nil {
			s.planMu.Lock()
			proposed, perr := s.propose(ctx)
			s.planMu.Unlock()
			if perr != nil {
				return 0, perr
			}
			if proposed {
				continue
			}
		}
		if err != nil {
			return 0, err
		}
		rec := context.WithoutCancel(ctx)
		idx := qp.Index
		pp, ok := s.point(idx)
		if !ok && s.proposer != nil {
			// Proposed by another process since: read it from the queue.
			s.planMu.Lock()
			_, err = s.propose(ctx)
			s.planMu.Unlock()
			if err != nil {
				return 0, errors.Join(err, s.Release(rec, idx))
			}
			pp, ok = s.point(idx)
		}
		if !ok || pp.Job.Key != qp.Key {
			return 0, errors.Join(fmt.Errorf("sweep %s: point %d has key %.12s in the queue, not this "+
				"process's: another xp process runs this sweep on other data", s.plan.ID, idx, qp.Key),
				s.Release(rec, idx))
		}
		if s.plan.Sweep.Method == spec.MethodASHA {
			claim, err := s.ashaClaim(ctx, idx, qp.RunID)
			if err != nil {
				return 0, errors.Join(err, s.Release(rec, idx))
			}
			s.mu.Lock()
			s.rungs[idx] = claim
			s.mu.Unlock()
		}
		if s.opts.Force {
			return idx, nil
		}
		prev, remote, err := s.cached(ctx, qp.Key)
		switch {
		case err != nil:
			return 0, errors.Join(err, s.Release(rec, idx))
		case prev == nil:
			return idx, nil
		}
		if err := s.Finish(rec, idx, Outcome{Run: prev, Status: store.StatusSucceeded, Cached: true, Remote: remote}); err != nil {
			return 0, err
		}
		s.mu.Lock()
		s.res.Cached++
		if remote {
			s.res.RemoteHits++
		}
		s.mu.Unlock()
	}
}

// cached is the run that answers for key: its newest succeeded run here,
// else one from the remote (runner.AskRemote), pulled now (remote true);
// nil when the key must be trained.
func (s *Session) cached(ctx context.Context, key string) (run *store.Run, remote bool, err error) {
	prev, err := s.st.LatestSucceeded(ctx, key)
	if err == nil {
		if err := runner.CheckCached(s.st, prev); err != nil {
			return nil, false, err
		}
		return prev, false, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	opts := s.RunOptions()
	s.mu.Lock()
	if s.noRemote {
		opts.Remote = nil
	}
	s.mu.Unlock()
	opts.Events = func(e runner.Event) {
		if e.Kind == runner.EventRemoteFailed {
			s.remoteFailed(e.Err)
		}
	}
	hit, err := runner.AskRemote(ctx, s.st, s.plan.Exp.Name, key, opts)
	return hit, hit != nil, err
}

// remoteFailed tells once that the remote could not be asked, and asks
// it no more in this sweep: one warning, not one per point.
func (s *Session) remoteFailed(err error) {
	s.mu.Lock()
	first := !s.noRemote
	s.noRemote = true
	s.mu.Unlock()
	if first {
		s.Emit(Event{Kind: Notice, Message: fmt.Sprintf("warning: remote not asked: %v; training here", err)})
	}
}

// ClaimAll claims every point left to train (Claim), for an executor that
// hands them over in one go. On an error it gives back what it claimed.
func (s *Session) ClaimAll(ctx context.Context) ([]int, error) {
	var claimed []int
	for {
		idx, err := s.Claim(ctx)
		if errors.Is(err, ErrNoPoint) {
			return claimed, nil
		}
		if err != nil {
			return nil, errors.Join(err, s.ReleaseAll(context.WithoutCancel(ctx), claimed))
		}
		claimed = append(claimed, idx)
	}
}

// Release gives point idx back to the queue, pending, for the next run of
// the sweep. A point taken over by another process is no longer this
// one's to give back: not an error.
func (s *Session) Release(ctx context.Context, idx int) error {
	err := s.st.ReleasePoint(ctx, s.plan.ID, idx, s.owner)
	if errors.Is(err, store.ErrStatus) {
		return nil
	}
	return err
}

// ReleaseAll releases points.
func (s *Session) ReleaseAll(ctx context.Context, points []int) error {
	var errs []error
	for _, idx := range points {
		errs = append(errs, s.Release(ctx, idx))
	}
	return errors.Join(errs...)
}

// Finish records in the queue how point idx ended and tells it as
// PointDone. A point taken over by another process is recorded by that
// one: not an error.
func (s *Session) Finish(ctx context.Context, idx int, out Outcome) error {
	po := store.PointOutcome{Status: out.Status, Error: out.Error, Cached: out.Cached}
	if out.Run != nil {
		po.RunID = out.Run.ID
	}
	err := s.st.FinishPoint(ctx, s.plan.ID, idx, s.owner, po)
	if errors.Is(err, store.ErrStatus) {
		err = nil
	}
	if s.pruner != nil && out.Status == store.StatusSucceeded {
		s.pruner.completed()
	}
	pr := s.pointResult(idx)
	pr.State, pr.Status, pr.Error, pr.Cached, pr.Remote = store.PointDone, out.Status, out.Error, out.Cached, out.Remote
	pr.Run, pr.Value = out.Run, MetricValue(out.Run, s.plan.Metric)
	s.Emit(Event{Kind: PointDone, Point: pr})
	return err
}

// Beat renews this process's claims and returns the points of the sweep
// it still holds: a point missing from them was taken over by another
// process (this one's heartbeat went stale), and must not be trained on.
func (s *Session) Beat(ctx context.Context) ([]int, error) {
	held, err := s.st.BeatPoints(ctx, s.owner)
	if err != nil {
		return nil, err
	}
	return held[s.plan.ID], nil
}

// Train trains claimed point idx in this process, as a point of the sweep:
// its run records the sweep, the median rule may stop it (prune), and its
// progress is told as Progress events. It returns how the point ended, for
// Finish, and false when it did not end but stopped because ctx was
// canceled (Ctrl-C, or the point was taken over): its run, if any, is
// recorded canceled, and the point is to be released. A point no longer
// held (its sweep was canceled since it was claimed), or claimed before
// the sweep's stop rule held, is not trained: false too.
func (s *Session) Train(ctx context.Context, idx int) (Outcome, bool) {
	return s.TrainOn(ctx, idx, -1)
}

// GPUs lists the GPU ordinals the sweep's points may train on with the
// bits they were planned with, for an executor to spread them over: the
// GPUs like the planned one, when the points train on an unpinned "cuda"
// device; nil otherwise (the CPU, or a device the spec names).
func (s *Session) GPUs() []int {
	p, ok := s.point(0)
	if !ok {
		return nil
	}
	j := p.Job
	if j.Device != "cuda" {
		return nil
	}
	gpus, err := backends.Interchangeable(j.Backend, backends.Config{GPU: 0})
	if err != nil || len(gpus) < 2 {
		return nil
	}
	return gpus
}

// TrainOn is Train on GPU ordinal gpu, one of GPUs (-1: the planned
// device). The run key is the planned one: the GPUs are interchangeable.
func (s *Session) TrainOn(ctx context.Context, idx, gpu int) (Outcome, bool) {
	pp, _ := s.point(idx)
	job := pp.Job
	if gpu >= 0 {
		job = job.On(fmt.Sprintf("cuda:%d", gpu))
	}
	// A point claimed ahead may have been taken from this process since:
	// its sweep canceled (xp cancel), or its claim taken over. Not
	// trained, it is not this process's to finish.
	if held, err := s.st.PointHeldBy(ctx, s.plan.ID, idx, s.owner); err != nil || !held {
		return Outcome{}, false
	}
	// Claimed ahead, before the sweep's stop rule held: not started.
	if reason, err := s.stopped(ctx); err != nil || reason != "" {
		return Outcome{}, false
	}
	pr := s.pointResult(idx)
	s.Emit(Event{Kind: PointStarted, Point: pr})
	opts := s.RunOptions()
	s.mu.Lock()
	if s.noRemote {
		opts.Remote = nil
	}
	s.mu.Unlock()
	opts.Events = func(e runner.Event) { s.Emit(Event{Kind: Progress, Point: pr, Run: e}) }
	if s.pruner != nil {
		opts.Prune = s.pruner.rule(ctx)
	}
	s.mu.Lock()
	if claim, ok := s.rungs[idx]; ok {
		// A promoted point continues its paused run's checkpoint, which
		// --force would set aside: only a first rung trains anew.
		opts.PauseAfter = claim.pauseAfter
		opts.Force = opts.Force && !claim.promoted
	}
	s.training++
	s.res.PeakThreads = max(s.res.PeakThreads, s.training*s.opts.Threads)
	s.mu.Unlock()
	t0 := time.Now()
	res, err := job.Train(ctx, s.st, opts)
	took := time.Since(t0)
	s.mu.Lock()
	s.training--
	s.mu.Unlock()
	if ctx.Err() != nil && (res == nil || res.Run == nil || res.Run.Status == store.StatusCanceled) {
		return Outcome{}, false
	}
	s.mu.Lock()
	if res != nil && res.Cached {
		s.res.Cached++
	} else {
		s.res.Trained++
		s.res.Busy += took
	}
	s.mu.Unlock()
	out := Outcome{Status: store.StatusFailed}
	if res != nil && res.Run != nil {
		// Cached: another process trained the key while this one waited.
		out.Run, out.Status, out.Error, out.Cached = res.Run, res.Run.Status, res.Run.Error, res.Cached
	}
	if err != nil && out.Error == "" {
		out.Error = err.Error()
	}
	return out, true
}

// Submitted records that the executor handed sub's points to an outside
// scheduler: the queue keeps each point's task (xp cancel, in any process,
// stops it there), the points count as trained by this process, and sub
// is told as Submitted.
func (s *Session) Submitted(ctx context.Context, sub *Submission) error {
	if len(sub.Tasks) != len(sub.Points) {
		return fmt.Errorf("sweep %s: submission %s has %d tasks for %d points", s.plan.ID, sub.ID, len(sub.Tasks), len(sub.Points))
	}
	tasks := make(map[int]string, len(sub.Points))
	for i, idx := range sub.Points {
		tasks[idx] = sub.Tasks[i]
	}
	if err := s.st.SetSlurmTasks(ctx, s.plan.ID, s.owner, tasks); err != nil {
		return err
	}
	s.mu.Lock()
	s.res.Submission = sub
	s.res.Trained += len(sub.Points)
	s.mu.Unlock()
	s.Emit(Event{Kind: Submitted, Submission: sub})
	return nil
}

// Left counts the sweep's points that are not done, whoever holds them,
// those a tpe sweep has yet to propose, and those an asha sweep promotes
// now; none once the sweep's stop rule has stopped it.
func (s *Session) Left(ctx context.Context) (int, error) {
	if reason, err := s.stopped(ctx); err != nil || reason != "" {
		return 0, err
	}
	if s.plan.Sweep.Method == spec.MethodASHA {
		// A complete rung's promotions are points left.
		if _, err := s.promote(ctx); err != nil {
			return 0, err
		}
	}
	points, err := s.st.SweepPoints(ctx, s.plan.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range points {
		if p.State != store.PointDone {
			n++
		}
	}
	s.planMu.Lock()
	defer s.planMu.Unlock()
	return n + max(s.plan.Total()-len(points), 0), nil // a tpe sweep's points to propose
}

// Result reads where every point of the sweep stands, with this
// session's counts.
func (s *Session) Result(ctx context.Context) (*Result, error) {
	points, err := ReadPoints(ctx, s.st, s.plan.ID, s.plan.Metric)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	res := s.res
	s.mu.Unlock()
	s.planMu.Lock()
	planned := slices.Clone(s.plan.Points)
	s.planMu.Unlock()
	res.Points = make([]PointResult, len(planned))
	for i, pp := range planned {
		res.Points[i] = PointResult{Index: i, Params: pp.Params, Key: pp.Job.Key, State: store.PointPending, Value: math.NaN()}
	}
	for _, p := range points {
		if p.Index < len(res.Points) {
			p.Params = res.Points[p.Index].Params
			res.Points[p.Index] = p
		}
	}
	res.Best = Best(res.Points, s.plan.Mode)
	res.Ties = Tied(res.Points, res.Best)
	return &res, nil
}

// Rung is what claimed point idx of an asha sweep trains to, for an
// executor that trains it elsewhere: pauseAfter, the epochs of its rung
// (0: to the end, and for any other method), and promoted, whether it
// continues its paused run's checkpoint.
func (s *Session) Rung(idx int) (pauseAfter int, promoted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.rungs[idx]
	return c.pauseAfter, c.promoted
}

// Point is point idx of the plan; false when the plan has no such point
// (yet: a tpe sweep's plan grows as it proposes). Executors read points
// through it, not Plan().Points, which a tpe sweep appends to.
func (s *Session) Point(idx int) (Point, bool) { return s.point(idx) }

func (s *Session) point(idx int) (Point, bool) {
	s.planMu.Lock()
	defer s.planMu.Unlock()
	if idx < 0 || idx >= len(s.plan.Points) {
		return Point{}, false
	}
	return s.plan.Points[idx], true
}

func (s *Session) pointResult(idx int) *PointResult {
	pp, _ := s.point(idx)
	return &PointResult{Index: idx, Params: pp.Params, Key: pp.Job.Key, State: store.PointClaimed, Value: math.NaN()}
}
