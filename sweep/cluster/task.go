package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// InvalidError is a task's error that training the point again would
// give again: the point does not fit the schema where the task runs, or
// its run key there is not the one planned. A scheduler that retries failed
// tasks need not retry it.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// ErrPointFailed is returned by RunTask when the point was trained and
// recorded but did not succeed: the task exits non-zero, so its scheduler
// shows it failed, and its result.json says why.
var ErrPointFailed = errors.New("point did not succeed")

// RunTask is one array task on its node: it trains the point of task index
// of the run directory dir against a store of its own in a node-local
// temporary directory, and leaves the outcome in the task's directory under
// dir (result.json, artifacts/). It never opens the project's store, and
// prints nothing: events hears what the user should know (nil: nobody).
func RunTask(ctx context.Context, dir string, index int, events func(sweep.Event)) error {
	return RunAttempt(ctx, dir, index, 0, events)
}

// RunAttempt is RunTask for attempt a of the task (0 for the first), for a
// scheduler that retries a failed task: it leaves its files in
// AttemptDir(dir, index, a).
func RunAttempt(ctx context.Context, dir string, index, a int, events func(sweep.Event)) error {
	return runAttempt(ctx, dir, index, a, taskOptions{events: events})
}

// taskOptions are what a task that reports elsewhere than the run
// directory changes (RunRelayed).
type taskOptions struct {
	events func(sweep.Event)
	// root is the project's directory where the task runs ("": the
	// manifest's, the coordinator's, seen through the shared filesystem).
	root string
	// progress is told after the task's live files changed (every epoch).
	progress func(ctx context.Context)
	// trained is given the task's store and its finished run, before the
	// store goes: an error fails the task, the run unreported.
	trained func(ctx context.Context, st *store.Store, run *store.Run) error
}

func runAttempt(ctx context.Context, dir string, index, a int, o taskOptions) error {
	var m Manifest
	if err := readJSON(filepath.Join(dir, manifestFile), &m); err != nil {
		return err
	}
	if index < 0 || index >= len(m.Tasks) {
		return fmt.Errorf("task %d: the array of %s has %d tasks", index, dir, len(m.Tasks))
	}
	if o.root != "" {
		m.Root = o.root
	}
	tp := m.Tasks[index]
	out := AttemptDir(dir, index, a)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("task %d: %w", index, err)
	}
	res := &TaskResult{Point: tp.Point}
	err := trainPoint(ctx, &m, tp, out, res, o)
	if err != nil && res.Error == "" {
		res.Error = err.Error()
	}
	if werr := writeJSON(filepath.Join(out, resultFile), res); werr != nil {
		return errors.Join(err, werr)
	}
	if err == nil && (res.Run == nil || res.Run.Status != store.StatusSucceeded && res.Run.Status != store.StatusPaused) {
		err = ErrPointFailed
	}
	return err
}

func trainPoint(ctx context.Context, m *Manifest, tp TaskPoint, out string, res *TaskResult, o taskOptions) error {
	exp, err := spec.Find(m.Root, m.Experiment)
	if err != nil {
		return &InvalidError{err}
	}
	point, err := taskPoint(exp, m, tp)
	if err != nil {
		return &InvalidError{err}
	}
	opts := runner.Options{Backend: m.Backend, Threads: m.Threads, AllowDirty: m.AllowDirty, SweepID: m.SweepID}
	job, err := runner.Plan(ctx, point.Exp, opts)
	if err != nil {
		return err
	}
	if job.Key != tp.Key {
		if tp.BackendVersion != "" && job.BackendVersion != tp.BackendVersion {
			// The key includes the backend's numerics (the CPU kind and
			// GEMM, or the GPU, driver and cuBLAS): a run trained here
			// would not be the run that was planned.
			return &InvalidError{fmt.Errorf("point %d: this node trains with %s %q, the submitting machine planned %q: plan the sweep on a machine like the nodes (for GPUs, on a node of the partition)",
				tp.Point, job.Backend.Name(), job.BackendVersion, tp.BackendVersion)}
		}
		return &InvalidError{fmt.Errorf("point %d has key %.12s on this node, %.12s where it was submitted: the project or its data differ",
			tp.Point, job.Key, tp.Key)}
	}
	// The task's own store: node-local, written by this process only.
	tmp, err := os.MkdirTemp("", "xp-task-")
	if err != nil {
		return fmt.Errorf("task store: %w", err)
	}
	defer os.RemoveAll(tmp)
	st, err := store.Open(ctx, tmp)
	if err != nil {
		return err
	}
	defer st.Close()
	opts.Data.CacheDir = filepath.Join(tmp, "cache")
	// The checkpoint lives in the task's directory, on the shared
	// filesystem: a task stopped at its time limit leaves it for the next.
	opts.Checkpoint, opts.PauseAfter = filepath.Join(out, checkpointFile), tp.PauseAfter
	live := &liveWriter{ctx: ctx, st: st, dir: out, events: o.events, progress: o.progress}
	opts.Events = live.event
	r, trainErr := job.Train(ctx, st, opts)
	if r == nil || r.Run == nil {
		return trainErr
	}
	// Read back: the final status, summary and metric points as recorded,
	// also when the task was stopped (canceled, a time limit: SIGTERM
	// cancels ctx) and the run recorded canceled.
	ctx = context.WithoutCancel(ctx)
	run, err := st.Run(ctx, r.Run.ID)
	if err != nil {
		return errors.Join(trainErr, err)
	}
	pts, _, err := st.PointsSince(ctx, run.ID, 0)
	if err != nil {
		return errors.Join(trainErr, err)
	}
	srcs, err := st.Sources(ctx, run.ID)
	if err != nil {
		return errors.Join(trainErr, err)
	}
	if o.trained != nil && run.Status.Finished() {
		if err := o.trained(ctx, st, run); err != nil {
			return errors.Join(trainErr, err)
		}
	}
	run.Summary = nil // the coordinator's store makes its own
	live.resumed(run)
	res.Run, res.Points = run, toWire(pts)
	for _, f := range srcs {
		res.Sources = append(res.Sources, Source{Path: f.Path, Content: f.Content})
	}
	if run.Error != "" {
		res.Error = run.Error
	}
	if err := os.CopyFS(filepath.Join(out, "artifacts"), os.DirFS(st.ArtifactDir(run))); err != nil &&
		!errors.Is(err, os.ErrNotExist) {
		return errors.Join(trainErr, fmt.Errorf("copy artifacts: %w", err))
	}
	if trainErr != nil && run.Status == store.StatusSucceeded {
		return trainErr
	}
	return nil
}

// taskPoint is the point task tp trains: rebuilt from its values when the
// manifest has them (a point chosen from results), else the sweep's
// listing's.
func taskPoint(exp *spec.Experiment, m *Manifest, tp TaskPoint) (*spec.Point, error) {
	if len(tp.Params) > 0 {
		b, err := exp.PointBuilder()
		if err != nil {
			return nil, err
		}
		return b.PointOf(tp.Point, tp.Params)
	}
	points, err := exp.Points()
	if err != nil {
		return nil, err
	}
	if tp.Point >= len(points) {
		return nil, fmt.Errorf("sweep %s has %d points, not point %d", m.SweepID, len(points), tp.Point)
	}
	return &points[tp.Point], nil
}
