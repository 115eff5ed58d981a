package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
)

// DefaultStaleAfter is how old a heartbeat may be before its run is marked
// lost, or its claim on a sweep point is taken over. Runs beat at least
// every heartbeatEvery and claims every claimBeatEvery, so a live process
// is never taken for a dead one.
const DefaultStaleAfter = 30 * time.Second

// claimBeatEvery is how often a sweep renews its claims; pollEvery how
// often a sweep whose remaining points are all claimed by other processes
// looks again (they may finish, or die and leave their points to take).
const (
	claimBeatEvery = 2 * time.Second
	pollEvery      = 500 * time.Millisecond
)

// SweepOptions tune RunSweep.
type SweepOptions struct {
	// Options apply to every point's run. Threads is the CPU threads of
	// each run (0: the sweep's resources.cpus); Force trains every point
	// again.
	Options
	// Parallel is how many points run at once (0: the sweep's parallel).
	// It is lowered so that the threads of the points running at once
	// never add up to more than CPUs.
	Parallel int
	// CPUs is the number of CPU threads the points share (0:
	// runtime.NumCPU()).
	CPUs int
	// StaleAfter is how old a heartbeat may be before another process's
	// claim is taken over, or its run marked lost (0: DefaultStaleAfter).
	StaleAfter time.Duration
	// Progress, when set, hears about the points; it is called from the
	// points' goroutines, one call at a time.
	Progress func(SweepEvent)
}

// SweepEventKind says what a SweepEvent reports.
type SweepEventKind int

const (
	SweepStarted    SweepEventKind = iota // the sweep is queued; Plan, Done, Total, Parallel, Threads
	SweepPointStart                       // this process took a point; Point
	SweepPointDone                        // a point this process took ended; Point, Done
	SweepRunEvent                         // progress of a point's run; Point (Index, Params), Run
)

// SweepEvent is progress of a sweep.
type SweepEvent struct {
	Kind  SweepEventKind
	Plan  *SweepPlan
	Point *PointResult
	Run   Event
	// Done is how many points of the sweep are done, Total how many it has.
	Done, Total       int
	Parallel, Threads int
}

// PointResult is where one point of a sweep stands.
type PointResult struct {
	Index  int
	Params []spec.Param
	Key    string
	State  store.PointState
	// Status is how a done point ended (succeeded, failed, pruned...);
	// Cached that its result is an earlier run of its key.
	Status store.Status
	Cached bool
	// Run holds the point's result; nil when it failed before a run was
	// recorded, or has not run.
	Run   *store.Run
	Error string
	// Value is the sweep's metric of Run; NaN when it has none.
	Value float64
}

// Label is the point's values, "path=value ...".
func (p *PointResult) Label() string { return spec.ParamsLabel(p.Params) }

// Failed reports whether the point ended in an error: failed, or
// diverged. (A point canceled on its own, from the TUI, is not a failure;
// one canceled by Ctrl-C goes back to the queue.)
func (p *PointResult) Failed() bool {
	return p.State == store.PointDone && (p.Status == store.StatusFailed || p.Status == store.StatusDiverged ||
		p.Status == store.StatusLost)
}

// SweepResult is the outcome of RunSweep: every point of the sweep, by
// index, whichever process ran it.
type SweepResult struct {
	Plan   *SweepPlan
	Points []PointResult
	// Best is the succeeded point with the best Value; nil when none has
	// one.
	Best *PointResult
	// Parallel and Threads are how many points ran at once in this
	// process and the CPU threads of each; PeakThreads the most threads
	// in use at once.
	Parallel, Threads, PeakThreads int
	// Trained and Cached count the points this process trained and found
	// cached; Earlier the points that were done when it started (by an
	// earlier run of the sweep).
	Trained, Cached, Earlier int
	// Elapsed is the wall time of RunSweep; Busy the sum of the time the
	// points this process trained spent in Job.Train (reading the data,
	// training, recording metrics and artifacts). Elapsed - Busy/Parallel
	// is the scheduler's own time: planning the points, the queue, the
	// cache lookups, the summary. Planning is the part spent expanding
	// the sweep and validating its points.
	Elapsed, Busy, Planning time.Duration
}

// Failed lists the points that ended without a result.
func (r *SweepResult) Failed() []PointResult {
	var out []PointResult
	for _, p := range r.Points {
		if p.Failed() {
			out = append(out, p)
		}
	}
	return out
}

// Pending counts the points not done: left pending (Ctrl-C) or claimed by
// another process still at work.
func (r *SweepResult) Pending() int {
	n := 0
	for _, p := range r.Points {
		if p.State != store.PointDone {
			n++
		}
	}
	return n
}

// RunSweep runs the points of exp's sweep that are not done yet, parallel
// at a time, and returns where every point stands.
//
// The sweep's queue lives in the store under the sweep's id: points are
// claimed one at a time in a write transaction, so several processes may
// run one sweep together and no point is trained twice; a process that is
// stopped (Ctrl-C, a kill, a crash) leaves its points to be taken by the
// next `xp run` of the sweep, at once when its process is gone from this
// host, after StaleAfter otherwise. A point whose key already succeeded is
// cached. One point failing does not stop the others.
//
// When ctx is canceled, no new point starts, the running ones stop at
// their next batch (recorded canceled, their points back in the queue),
// and RunSweep returns the result with ctx's error.
func RunSweep(ctx context.Context, st *store.Store, exp *spec.Experiment, opts SweepOptions) (*SweepResult, error) {
	start := time.Now()
	if opts.Data.CacheDir == "" {
		opts.Data.CacheDir = filepath.Join(st.Dir(), "cache")
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = DefaultStaleAfter
	}
	if _, err := ReapLost(ctx, st, opts.StaleAfter); err != nil {
		return nil, err
	}
	sw := exp.Spec.Sweep
	if sw == nil {
		return nil, fmt.Errorf("experiment %s has no sweep", exp.Name)
	}
	cpus := opts.CPUs
	if cpus <= 0 {
		cpus = runtime.NumCPU()
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = max(sw.Resources.CPUs, 1)
	}
	threads = min(threads, cpus)
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = max(sw.Parallel, 1)
	}
	parallel = max(1, min(parallel, cpus/threads))
	opts.Threads = threads

	t0 := time.Now()
	plan, err := PlanSweep(ctx, exp, opts.Options)
	if err != nil {
		return nil, err
	}
	planning := time.Since(t0)
	if len(plan.Points) == 0 {
		return nil, fmt.Errorf("sweep %s has no points", plan.ID)
	}
	// One look at git for all the points: they share the experiment's
	// files (and, unless the sweep changes it, the data file).
	sources := map[string]*Source{}
	for _, p := range plan.Points {
		src, ok := sources[p.Job.DataPath]
		if !ok {
			if src, err = InspectGit(exp, p.Job.DataPath); err != nil {
				return nil, err
			}
			sources[p.Job.DataPath] = src
		}
		p.Job.Source = src
	}
	if !opts.AllowDirty {
		if err := plan.Points[0].Job.Source.Check(); err != nil {
			// Cached points need no commit; refuse only if some must train.
			if must, cerr := mustTrain(ctx, st, plan, opts.Force); cerr != nil || must {
				return nil, errors.Join(err, cerr)
			}
		}
	}
	queued := make([]store.QueuedPoint, len(plan.Points))
	for i, p := range plan.Points {
		params, err := json.Marshal(p.Params)
		if err != nil {
			return nil, err
		}
		queued[i] = store.QueuedPoint{Index: p.Index, Key: p.Job.Key, Params: params}
	}
	left, err := st.Enqueue(ctx, &store.Sweep{ID: plan.ID, Experiment: exp.Name, SpecHash: exp.Hash,
		Method: sw.Method, Metric: plan.Metric, Mode: plan.Mode}, queued, opts.Force)
	if err != nil {
		return nil, err
	}

	s := &sweepRun{st: st, plan: plan, opts: opts, owner: newOwner(), threads: threads,
		done: len(plan.Points) - left}
	if sw.Prune != nil {
		s.pruner = newPruner(st, plan)
	}
	s.emit(SweepEvent{Kind: SweepStarted, Plan: plan, Parallel: parallel, Threads: threads})
	res := &SweepResult{Plan: plan, Parallel: parallel, Threads: threads, Earlier: len(plan.Points) - left,
		Planning: planning}
	runErr := s.loop(ctx, parallel, cpus, res)

	// The summary is read back from the store even when ctx is canceled:
	// what was done is kept and shown.
	if err := s.summarize(context.WithoutCancel(ctx), res); err != nil {
		return nil, errors.Join(runErr, err)
	}
	res.Elapsed = time.Since(start)
	if runErr == nil {
		runErr = ctx.Err()
	}
	return res, runErr
}

// mustTrain reports whether some point of plan has no succeeded run.
func mustTrain(ctx context.Context, st *store.Store, plan *SweepPlan, force bool) (bool, error) {
	if force {
		return true, nil
	}
	for _, p := range plan.Points {
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

// sweepRun is one process's work on a sweep.
type sweepRun struct {
	st      *store.Store
	plan    *SweepPlan
	opts    SweepOptions
	owner   string
	threads int
	pruner  *pruner

	emitMu sync.Mutex
	done   int // points of the sweep done, as far as this process knows; under emitMu
}

func (s *sweepRun) emit(e SweepEvent) {
	if s.opts.Progress == nil {
		return
	}
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	if e.Kind == SweepPointDone {
		s.done++
	}
	e.Done, e.Total = s.done, len(s.plan.Points)
	s.opts.Progress(e)
}

// errTakenOver cancels a point that another process took over because this
// one's claim went stale (the machine slept, say): only one may train it.
var errTakenOver = errors.New("point taken over by another process")

// pointDone is a point's goroutine reporting back to loop, twice when the
// point trained: once its training ended (its slot is free), then once its
// outcome is in the queue (recorded).
type pointDone struct {
	idx      int
	out      pointOutcome
	recorded bool
}

// loop claims and runs points until none is left to claim and none runs,
// or ctx is canceled and the running ones have stopped.
//
// It claims one point ahead of the free slots, and answers cached points
// as it claims them, while the running points train: when a point ends,
// the next starts at once, without waiting for the queue.
func (s *sweepRun) loop(ctx context.Context, parallel, cpus int, res *SweepResult) error {
	results := make(chan pointDone)
	running := map[int]context.CancelCauseFunc{}
	var ready []int // claimed, not cached, not started
	beat := time.NewTicker(claimBeatEvery)
	defer beat.Stop()
	canceled := ctx.Done()
	inUse := 0
	recording := 0 // points whose outcome is being written to the queue
	var fatal error
	idle := false // the last claim found nothing to claim
	stop := func() bool { return fatal != nil || ctx.Err() != nil }
	start := func() {
		for !stop() && len(ready) > 0 && len(running) < parallel && inUse+s.threads <= cpus {
			idx := ready[0]
			ready = ready[1:]
			pctx, cancel := context.WithCancelCause(ctx)
			running[idx] = cancel
			inUse += s.threads
			res.PeakThreads = max(res.PeakThreads, inUse)
			go func() {
				// The outcome is written while the next point starts.
				out, record := s.runPoint(pctx, idx)
				results <- pointDone{idx: idx, out: out}
				if record != nil {
					results <- pointDone{idx: idx, out: pointOutcome{err: record()}, recorded: true}
				}
			}()
		}
	}
	for {
		// Start what is claimed first, then claim ahead: a claim costs a
		// write transaction, which the next point need not wait for.
		start()
		for !stop() && !idle && len(running)+len(ready) <= parallel {
			idx, cached, err := s.claim(ctx)
			switch {
			case errors.Is(err, store.ErrNoPoint):
				idle = true
			case err != nil:
				if ctx.Err() == nil {
					fatal = err
				}
			case cached:
				res.Cached++
			default:
				ready = append(ready, idx)
			}
		}
		start()
		if stop() && len(ready) > 0 {
			// Claimed, never started: back to the queue.
			for _, idx := range ready {
				if o := s.release(context.WithoutCancel(ctx), idx); o.err != nil && fatal == nil {
					fatal = o.err
				}
			}
			ready = nil
		}
		if len(running) == 0 && recording == 0 {
			if stop() {
				return fatal
			}
			if idle && len(ready) == 0 {
				left, err := s.left(ctx)
				if err != nil {
					return err
				}
				if left == 0 {
					return nil
				}
				// The rest is claimed by other processes: wait for them
				// to finish, or to die and leave their points.
				select {
				case <-ctx.Done():
				case <-time.After(pollEvery):
				}
				idle = false
			}
			continue
		}
		select {
		case f := <-results:
			switch {
			case f.recorded:
				recording--
			default:
				running[f.idx](nil)
				delete(running, f.idx)
				inUse -= s.threads
				if f.out.trained {
					res.Trained++
					res.Busy += f.out.training
					recording++
				}
			}
			if f.out.err != nil && fatal == nil && ctx.Err() == nil {
				fatal = f.out.err
			}
			idle = false // another process may have left points since
		case <-beat.C:
			held, err := s.st.BeatPoints(ctx, s.owner)
			if err != nil {
				if ctx.Err() == nil && fatal == nil {
					fatal = err
				}
				continue
			}
			mine := held[s.plan.ID]
			for idx, cancel := range running {
				if !slices.Contains(mine, idx) {
					cancel(errTakenOver)
				}
			}
			ready = slices.DeleteFunc(ready, func(idx int) bool { return !slices.Contains(mine, idx) })
		case <-canceled:
			// The points' contexts are children of ctx: they stop at
			// their next batch and report back, and no new one starts.
			canceled = nil
		}
	}
}

// claim claims the next point and answers it from the cache when its key
// already succeeded (cached true). A point the queue holds with another
// key than this process planned (another process enqueued the sweep since,
// on other data) is released, and an error.
func (s *sweepRun) claim(ctx context.Context) (idx int, cached bool, err error) {
	qp, err := s.st.ClaimPoint(ctx, s.plan.ID, s.owner, s.opts.StaleAfter, deadOwner)
	if err != nil {
		return 0, false, err
	}
	rec := context.WithoutCancel(ctx)
	idx = qp.Index
	if idx >= len(s.plan.Points) || s.plan.Points[idx].Job.Key != qp.Key {
		return 0, false, errors.Join(fmt.Errorf("sweep %s: point %d has key %.12s in the queue, not this "+
			"process's: another xp process runs this sweep on other data", s.plan.ID, idx, qp.Key),
			s.release(rec, idx).err)
	}
	if s.opts.Force {
		return idx, false, nil
	}
	prev, err := s.st.LatestSucceeded(ctx, qp.Key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return idx, false, nil
	case err != nil:
		return 0, false, errors.Join(err, s.release(rec, idx).err)
	}
	pr := s.pointResult(idx)
	pr.Run, pr.Value = prev, MetricValue(prev, s.plan.Metric)
	return idx, true, s.finish(rec, pr, store.PointOutcome{Status: store.StatusSucceeded, RunID: prev.ID, Cached: true})
}

func (s *sweepRun) pointResult(idx int) *PointResult {
	pp := &s.plan.Points[idx]
	return &PointResult{Index: idx, Params: pp.Params, Key: pp.Job.Key, State: store.PointClaimed, Value: math.NaN()}
}

// finish records how point pr ended in the queue and tells Progress.
func (s *sweepRun) finish(ctx context.Context, pr *PointResult, out store.PointOutcome) error {
	err := s.st.FinishPoint(ctx, s.plan.ID, pr.Index, s.owner, out)
	if errors.Is(err, store.ErrStatus) {
		err = nil // taken over: the other process records it
	}
	pr.State, pr.Status, pr.Error, pr.Cached = store.PointDone, out.Status, out.Error, out.Cached
	if s.pruner != nil && out.Status == store.StatusSucceeded {
		s.pruner.completed()
	}
	s.emit(SweepEvent{Kind: SweepPointDone, Point: pr})
	return err
}

// left counts the sweep's points that are not done.
func (s *sweepRun) left(ctx context.Context) (int, error) {
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
	return n, nil
}

// pointOutcome is what runPoint did.
type pointOutcome struct {
	trained bool
	// training is the time spent in Job.Train.
	training time.Duration
	// err is a failure of the queue itself (the store), which stops the
	// sweep; a point's own failure is recorded with the point instead.
	err error
}

// runPoint trains point idx, and returns the function that records how it
// ended in the queue (nil when the point went back to the queue instead).
func (s *sweepRun) runPoint(ctx context.Context, idx int) (pointOutcome, func() error) {
	pp := &s.plan.Points[idx]
	pr := s.pointResult(idx)
	rec := context.WithoutCancel(ctx)
	s.emit(SweepEvent{Kind: SweepPointStart, Point: pr})
	opts := s.opts.Options
	opts.SweepID = s.plan.ID
	opts.Events = func(e Event) {
		s.emit(SweepEvent{Kind: SweepRunEvent, Point: pr, Run: e})
	}
	if s.pruner != nil {
		opts.Prune = s.pruner.rule(ctx)
	}
	t0 := time.Now()
	res, err := pp.Job.Train(ctx, s.st, opts)
	training := time.Since(t0)
	if ctx.Err() != nil && (res == nil || res.Run == nil || res.Run.Status == store.StatusCanceled) {
		// Ctrl-C, or taken over: back to the queue, for the next run of
		// the sweep (a taken-over point is no longer ours to release).
		return s.release(rec, idx), nil
	}
	out := store.PointOutcome{Status: store.StatusFailed}
	if res != nil && res.Run != nil {
		pr.Run = res.Run
		pr.Value = MetricValue(res.Run, s.plan.Metric)
		out.RunID, out.Status, out.Error = res.Run.ID, res.Run.Status, res.Run.Error
	}
	if err != nil && out.Error == "" {
		out.Error = err.Error()
	}
	return pointOutcome{trained: true, training: training}, func() error { return s.finish(rec, pr, out) }
}

// release gives point idx back to the queue, pending.
func (s *sweepRun) release(ctx context.Context, idx int) pointOutcome {
	err := s.st.ReleasePoint(ctx, s.plan.ID, idx, s.owner)
	if errors.Is(err, store.ErrStatus) {
		err = nil
	}
	return pointOutcome{err: err}
}

// summarize reads where every point of the sweep stands into res.
func (s *sweepRun) summarize(ctx context.Context, res *SweepResult) error {
	points, err := ReadSweep(ctx, s.st, s.plan.ID, s.plan.Metric)
	if err != nil {
		return err
	}
	res.Points = make([]PointResult, len(s.plan.Points))
	for i, pp := range s.plan.Points {
		res.Points[i] = PointResult{Index: i, Params: pp.Params, Key: pp.Job.Key, State: store.PointPending, Value: math.NaN()}
	}
	for _, p := range points {
		if p.Index < len(res.Points) {
			p.Params = res.Points[p.Index].Params
			res.Points[p.Index] = p
		}
	}
	res.Best = BestPoint(res.Points, s.plan.Mode)
	return nil
}

// ReadSweep reads where every point of sweep sweepID stands from the
// queue in st, with the run that holds each one's result and its value of
// metric ("<split>.<name>").
func ReadSweep(ctx context.Context, st *store.Store, sweepID, metric string) ([]PointResult, error) {
	queued, err := st.SweepPoints(ctx, sweepID)
	if err != nil {
		return nil, err
	}
	runs, err := st.SweepRuns(ctx, sweepID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*store.Run, len(runs))
	for i := range runs {
		byID[runs[i].ID] = &runs[i]
	}
	out := make([]PointResult, len(queued))
	for i, q := range queued {
		p := PointResult{Index: q.Index, Key: q.Key, State: q.State, Status: q.Status, Cached: q.Cached,
			Error: q.Error, Value: math.NaN()}
		if err := json.Unmarshal(q.Params, &p.Params); err != nil {
			return nil, fmt.Errorf("sweep %s point %d: params: %w", sweepID, q.Index, err)
		}
		if r := byID[q.RunID]; r != nil {
			p.Run = r
			if q.State == store.PointDone {
				p.Value = MetricValue(r, metric)
				if p.Error == "" {
					p.Error = r.Error
				}
			}
		}
		out[i] = p
	}
	return out, nil
}

// BestPoint is the succeeded point with the best Value in mode (ModeMin,
// ModeMax), the first of equals; nil when none has a value.
func BestPoint(points []PointResult, mode string) *PointResult {
	var best *PointResult
	for i := range points {
		p := &points[i]
		if p.State != store.PointDone || p.Status != store.StatusSucceeded || math.IsNaN(p.Value) {
			continue
		}
		if best == nil || better(p.Value, best.Value, mode) {
			best = p
		}
	}
	return best
}

// ReapLost marks as lost the runs whose process is gone: at once those of
// this host whose process has exited, and anywhere those whose heartbeat
// is older than staleAfter. Every xp command that reads or runs calls it,
// so a killed run does not stay "running".
func ReapLost(ctx context.Context, st *store.Store, staleAfter time.Duration) (int, error) {
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	host, _ := os.Hostname()
	n, err := st.MarkLostProcesses(ctx, host, processAlive)
	if err != nil {
		return 0, err
	}
	m, err := st.MarkLost(ctx, staleAfter)
	return n + m, err
}

// processAlive reports whether process pid exists on this machine. When it
// cannot tell, it says alive: the heartbeat then decides, later.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if runtime.GOOS == "windows" {
		return true // FindProcess found it; Signal(0) is not supported there
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// The owner of a process's claims: host/pid/start/n. The start time tells
// this process from an earlier one that had the same pid; n tells the
// sweeps of one process apart.
var (
	processStart = strconv.FormatInt(time.Now().UnixNano(), 36)
	ownerSeq     atomic.Int64
)

func newOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s/%d", host, os.Getpid(), processStart, ownerSeq.Add(1))
}

// OwnerGone reports whether the process that holds a claim on a sweep
// point (store.QueuedPoint.Owner) is known to be gone: on this host, a pid
// that no longer runs, or that now runs another process (this one, started
// later). Owners on other hosts are never known gone; their heartbeat
// decides.
func OwnerGone(owner string) bool { return deadOwner(owner) }

func deadOwner(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 4 {
		return false
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(parts[1])
	if parts[0] != host || err != nil {
		return false
	}
	if pid == os.Getpid() {
		return parts[2] != processStart
	}
	return !processAlive(pid)
}

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

func newPruner(st *store.Store, plan *SweepPlan) *pruner {
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
