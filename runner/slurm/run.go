package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// DefaultPoll is how often the coordinator asks Slurm about the array.
const DefaultPoll = 2 * time.Second

// ErrSubmit is returned when sbatch refuses the array.
var ErrSubmit = errors.New("sbatch failed")

// Options tune Run.
type Options struct {
	// Options apply to every point (Backend, Force, AllowDirty, Threads).
	runner.Options
	// Resources are the sbatch options of every task; those left unset
	// come from the sweep's resources and slurm block (SpecResources).
	Resources
	// XP is the path of the xp binary on the nodes (default: this
	// process's executable, which suits a shared filesystem).
	XP string
	// Dir is the directory on the shared filesystem under which each
	// submission gets its run directory.
	Dir string
	// Root is the project's directory; it must be visible from the nodes
	// at the same path.
	Root string
	// Poll is how often scontrol is asked (0: DefaultPoll).
	Poll time.Duration
	// OnSubmit hears of the array once sbatch accepted it; OnPoint of each
	// point that ends (cached, or ingested from its task).
	OnSubmit func(Submission)
	OnPoint  func(runner.PointResult)
}

// Submission is one job array: its Slurm job id, its run directory and
// the sweep points of its tasks, by task index.
type Submission struct {
	JobID  string
	Dir    string
	Points []int
}

// Result is the outcome of Run.
type Result struct {
	Plan *runner.SweepPlan
	// Submission is nil when no point had to train.
	Submission *Submission
	// Points is every point of the sweep, by index; Best the best
	// succeeded one (nil when none).
	Points []runner.PointResult
	Best   *runner.PointResult
	// Cached counts the points answered from earlier runs of their key,
	// Earlier those done before this Run.
	Cached, Earlier int
}

// Failed lists the points that ended without a result.
func (r *Result) Failed() []runner.PointResult {
	var out []runner.PointResult
	for _, p := range r.Points {
		if p.Failed() {
			out = append(out, p)
		}
	}
	return out
}

// Run runs the points of exp's sweep that are not done on Slurm, as one
// job array, waits for the array and ingests its results into st. Points
// whose key already succeeded are cached, as with runner.RunSweep; a point
// that failed before is submitted again. When ctx is canceled the array is
// scancel'ed and its points not yet ingested go back to the queue.
func Run(ctx context.Context, st *store.Store, exp *spec.Experiment, opts Options) (*Result, error) {
	if opts.Dir == "" {
		opts.Dir = filepath.Join(st.Dir(), "slurm")
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.XP == "" {
		xp, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the xp binary: %w", err)
		}
		opts.XP = xp
	}
	if opts.Data.CacheDir == "" {
		opts.Data.CacheDir = filepath.Join(st.Dir(), "cache")
	}
	if exp.Spec.Sweep == nil {
		return nil, fmt.Errorf("experiment %s has no sweep", exp.Name)
	}
	if opts.Threads <= 0 {
		// As runner.RunSweep: the threads are part of the run key, so the
		// tasks must train with the ones planned here.
		opts.Threads = max(exp.Spec.Sweep.Resources.CPUs, 1)
	}
	opts.Resources = opts.Resources.Or(SpecResources(exp.Spec.Sweep))
	plan, err := runner.PlanSweep(ctx, exp, opts.Options)
	if err != nil {
		return nil, err
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
		Method: plan.Sweep.Method, Metric: plan.Metric, Mode: plan.Mode}, queued, opts.Force)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	c := &coordinator{st: st, plan: plan, opts: opts, owner: owner(), host: host}
	res := &Result{Plan: plan, Earlier: len(plan.Points) - left}
	pending, cached, err := c.claimAll(ctx)
	res.Cached = cached
	if err == nil && len(pending) > 0 {
		res.Submission, err = c.submit(ctx, exp, pending)
		if err != nil {
			err = errors.Join(err, c.releaseAll(context.WithoutCancel(ctx), pending))
		} else {
			err = c.wait(ctx, res.Submission)
		}
	}
	points, rerr := runner.ReadSweep(context.WithoutCancel(ctx), st, plan.ID, plan.Metric)
	if rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	for i := range points {
		if points[i].Index < len(plan.Points) {
			points[i].Params = plan.Points[points[i].Index].Params
		}
	}
	res.Points = points
	res.Best = runner.BestPoint(points, plan.Mode)
	return res, err
}

// owner is the coordinator's name for its claims, in the form the runner
// uses (host/pid/start/n), so that a later xp run takes over the points of
// a coordinator that died.
func owner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s/slurm", host, os.Getpid(), strconv.FormatInt(time.Now().UnixNano(), 36))
}

type coordinator struct {
	st    *store.Store
	plan  *runner.SweepPlan
	opts  Options
	owner string
	// host is this machine's name, recorded with the runs the coordinator
	// follows: it heartbeats them, so they are lost if it dies.
	host string
}

// claimAll claims every point left, answers from the cache those whose key
// already succeeded, and returns the others, to submit.
func (c *coordinator) claimAll(ctx context.Context) (pending []int, cached int, err error) {
	for {
		qp, err := c.st.ClaimPoint(ctx, c.plan.ID, c.owner, runner.DefaultStaleAfter, runner.OwnerGone)
		if errors.Is(err, store.ErrNoPoint) {
			return pending, cached, nil
		}
		if err != nil {
			return pending, cached, errors.Join(err, c.releaseAll(context.WithoutCancel(ctx), pending))
		}
		idx := qp.Index
		if idx >= len(c.plan.Points) || c.plan.Points[idx].Job.Key != qp.Key {
			return pending, cached, errors.Join(fmt.Errorf("sweep %s: point %d has another key in the queue: another xp process runs this sweep on other data",
				c.plan.ID, idx), c.releaseAll(context.WithoutCancel(ctx), append(pending, idx)))
		}
		if !c.opts.Force {
			prev, err := c.st.LatestSucceeded(ctx, qp.Key)
			if err == nil {
				if err := c.st.FinishPoint(ctx, c.plan.ID, idx, c.owner,
					store.PointOutcome{Status: store.StatusSucceeded, RunID: prev.ID, Cached: true}); err != nil {
					return pending, cached, err
				}
				cached++
				c.tell(idx, prev, store.StatusSucceeded, "", true)
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return pending, cached, errors.Join(err, c.releaseAll(context.WithoutCancel(ctx), append(pending, idx)))
			}
		}
		pending = append(pending, idx)
	}
}

func (c *coordinator) releaseAll(ctx context.Context, points []int) error {
	var errs []error
	for _, idx := range points {
		if err := c.st.ReleasePoint(ctx, c.plan.ID, idx, c.owner); err != nil && !errors.Is(err, store.ErrStatus) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *coordinator) tell(idx int, r *store.Run, status store.Status, msg string, cached bool) {
	if c.opts.OnPoint == nil {
		return
	}
	pp := c.plan.Points[idx]
	c.opts.OnPoint(runner.PointResult{Index: idx, Params: pp.Params, Key: pp.Job.Key, State: store.PointDone,
		Status: status, Cached: cached, Run: r, Error: msg, Value: runner.MetricValue(r, c.plan.Metric)})
}

// submit writes the run directory and submits the array of points.
func (c *coordinator) submit(ctx context.Context, exp *spec.Experiment, points []int) (*Submission, error) {
	if err := os.MkdirAll(c.opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("slurm directory: %w", err)
	}
	dir, err := os.MkdirTemp(c.opts.Dir, c.plan.ID+"-")
	if err != nil {
		return nil, fmt.Errorf("slurm run directory: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	m := Manifest{Root: c.opts.Root, Experiment: exp.Name, SweepID: c.plan.ID, Backend: c.opts.Backend,
		Threads: c.opts.Threads, AllowDirty: c.opts.AllowDirty}
	for _, idx := range points {
		job := c.plan.Points[idx].Job
		m.Tasks = append(m.Tasks, TaskPoint{Point: idx, Key: job.Key, BackendVersion: job.BackendVersion})
	}
	if err := writeJSON(filepath.Join(dir, manifestFile), &m); err != nil {
		return nil, err
	}
	res := c.opts.Resources
	if res.CPUs <= 0 {
		res.CPUs = m.Threads
	}
	script := filepath.Join(dir, "array.sbatch")
	if err := os.WriteFile(script, []byte(Script(c.opts.XP, dir, "xp-"+c.plan.ID, len(points), res)), 0o755); err != nil {
		return nil, fmt.Errorf("write %s: %w", script, err)
	}
	out, err := command(ctx, "sbatch", "--parsable", script)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSubmit, err)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";") // "id;cluster" on a federation
	sub := &Submission{JobID: id, Dir: dir, Points: points}
	tasks := make(map[int]string, len(points))
	for i, idx := range points {
		tasks[idx] = sub.task(i)
	}
	// Recorded so that `xp cancel`, in any process, finds the tasks.
	if err := c.st.SetSlurmTasks(ctx, c.plan.ID, c.owner, tasks); err != nil {
		_, cerr := command(context.WithoutCancel(ctx), "scancel", id)
		return nil, errors.Join(err, cerr)
	}
	if c.opts.OnSubmit != nil {
		c.opts.OnSubmit(*sub)
	}
	return sub, nil
}

// wait polls Slurm until every task of sub has ended, following the runs
// of those that train and ingesting each as it ends.
func (c *coordinator) wait(ctx context.Context, sub *Submission) error {
	done := make([]bool, len(sub.Points))
	live := make([]*liveRun, len(sub.Points))
	left := len(sub.Points)
	tick := time.NewTicker(c.opts.Poll)
	defer tick.Stop()
	for left > 0 {
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), c.stop(context.WithoutCancel(ctx), sub, done, live))
		case <-tick.C:
		}
		if _, err := c.st.BeatPoints(ctx, c.owner); err != nil {
			return err
		}
		out, err := command(ctx, "scontrol", "-o", "show", "job", sub.JobID)
		var states []TaskState
		gone := false
		switch {
		case err != nil && strings.Contains(err.Error(), "Invalid job id"):
			// The controller forgot the job (MinJobAge): what is left
			// is judged by its files alone.
			gone = true
		case err != nil:
			return err
		default:
			states = ParseScontrol(out)
		}
		byTask := map[int]string{}
		for _, s := range states {
			byTask[s.Task] = s.State
		}
		for i := range sub.Points {
			if done[i] {
				continue
			}
			state, ok := byTask[i]
			switch {
			case gone || (!ok && len(states) > 0):
				state = "UNKNOWN"
			case !(TaskState{Task: i, State: state}).Finished():
				if state != "PENDING" {
					if live[i], err = c.follow(ctx, sub, i, live[i]); err != nil {
						return err
					}
				}
				continue
			}
			if err := c.ingest(ctx, sub, i, state, live[i]); err != nil {
				return err
			}
			done[i] = true
			left--
		}
	}
	return nil
}

// stop ends what wait left when the coordinator is stopped (Ctrl-C): it
// scancels the array, records the runs in training canceled (their curves
// kept) and puts their points back in the queue.
func (c *coordinator) stop(ctx context.Context, sub *Submission, done []bool, live []*liveRun) error {
	_, err := command(ctx, "scancel", sub.JobID)
	errs := []error{err}
	var back []int
	for i, d := range done {
		if d {
			continue
		}
		back = append(back, sub.Points[i])
		if lr := live[i]; lr != nil {
			err := c.st.FinishRun(ctx, lr.id, store.StatusCanceled, "canceled: xp run was stopped and scancel'ed its task", "", nil)
			if !errors.Is(err, store.ErrStatus) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(append(errs, c.releaseAll(ctx, back))...)
}

// ingest records in the store how task i of sub ended, in Slurm state
// state: the run it left (with its metric points and artifacts), or a
// failure naming the state and the task's log. lr is the task's run as
// followed while it trained (nil if it was never seen training).
func (c *coordinator) ingest(ctx context.Context, sub *Submission, i int, state string, lr *liveRun) error {
	idx := sub.Points[i]
	log := logPath(sub.Dir, i)
	var tr TaskResult
	rerr := readJSON(filepath.Join(taskDir(sub.Dir, i), "result.json"), &tr)
	if rerr == nil && tr.Run == nil && lr != nil {
		rerr = fmt.Errorf("result.json has no run: %s", tr.Error)
	}
	out := store.PointOutcome{Status: store.StatusFailed}
	switch {
	case rerr == nil && tr.Run != nil:
		out.Status = tr.Run.Status
	case state == "CANCELLED":
		out.Status = store.StatusCanceled
	}
	corrected := false
	if out.Status == store.StatusCanceled && killedBySlurm(state) {
		// The task's xp saw the signal of a time limit or a lack of
		// memory and recorded itself canceled: it failed.
		out.Status, corrected = store.StatusFailed, true
	}
	if out.Status != store.StatusSucceeded {
		why := tr.Error
		switch {
		case rerr != nil:
			why = "no result (" + rerr.Error() + ")"
		case corrected:
			why = slurmEnded(state)
		case why == "" && tr.Run != nil:
			why = tr.Run.Error
		}
		if why == "" {
			why = string(out.Status)
		}
		out.Error = fmt.Sprintf("slurm %s: %s; log %s%s", state, why, log, logTail(log, 5))
	}
	var run *store.Run
	var err error
	switch {
	case rerr == nil && tr.Run != nil:
		runErr := tr.Run.Error
		if corrected {
			runErr = firstLine(out.Error)
		}
		if run, err = c.record(ctx, sub, i, &tr, lr, out.Status, runErr); err != nil {
			return err
		}
		out.RunID = run.ID
	case lr != nil:
		// Ended without a result (killed): the run keeps the curves
		// followed so far.
		if err := c.catchUp(ctx, taskDir(sub.Dir, i), lr); err != nil {
			return err
		}
		if err := c.st.FinishRun(ctx, lr.id, out.Status, firstLine(out.Error), "", nil); err != nil && !errors.Is(err, store.ErrStatus) {
			return err
		}
		if run, err = c.st.Run(ctx, lr.id); err != nil {
			return err
		}
		out.RunID = run.ID
	}
	if err := c.st.FinishPoint(ctx, c.plan.ID, idx, c.owner, out); err != nil {
		return err
	}
	c.tell(idx, run, out.Status, out.Error, false)
	return nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// slurmEnded says why Slurm ended a task in state (killedBySlurm).
func slurmEnded(state string) string {
	switch state {
	case "TIMEOUT":
		return "stopped at its time limit"
	case "OUT_OF_MEMORY":
		return "stopped out of memory"
	}
	return "stopped by Slurm"
}

// killedBySlurm reports whether Slurm state is Slurm ending a task for a
// reason of its own, not at someone's request.
func killedBySlurm(state string) bool {
	switch state {
	case "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "DEADLINE", "BOOT_FAIL":
		return true
	}
	return false
}

// record copies the run a task left into the store, with its points and
// artifacts: into lr's run when it was followed, else as a new run.
func (c *coordinator) record(ctx context.Context, sub *Submission, i int, tr *TaskResult, lr *liveRun, status store.Status, errMsg string) (*store.Run, error) {
	var id int64
	pts := fromWire(tr.Points)
	if lr != nil {
		if err := c.catchUp(ctx, taskDir(sub.Dir, i), lr); err != nil {
			return nil, err
		}
		id = lr.id
		// The points file holds the first points of result.json, in its
		// order; the rest (the test split's) come from the result.
		pts = pts[min(lr.points, len(pts)):]
		if err := c.st.AddPoints(ctx, id, pts); err != nil {
			return nil, err
		}
		if _, err := c.st.Heartbeat(ctx, id, tr.Run.Epoch); err != nil && !errors.Is(err, store.ErrStatus) {
			return nil, err
		}
		if status.Finished() {
			if err := c.st.FinishRun(ctx, id, status, errMsg, tr.Run.WeightsSHA256, tr.Run.Timing); err != nil &&
				!errors.Is(err, store.ErrStatus) {
				return nil, err
			}
		}
	} else {
		r := *tr.Run
		r.ID, r.Summary, r.SweepID, r.Status, r.Error = 0, nil, c.plan.ID, status, errMsg
		if err := c.st.CreateRun(ctx, &r); err != nil {
			return nil, err
		}
		id = r.ID
		if err := c.st.AddPoints(ctx, id, pts); err != nil {
			return nil, err
		}
	}
	if len(tr.Sources) > 0 {
		srcs := make([]store.Source, len(tr.Sources))
		for i, f := range tr.Sources {
			srcs[i] = store.Source{Path: f.Path, Content: f.Content}
		}
		if err := c.st.SaveSources(ctx, id, srcs); err != nil {
			return nil, err
		}
	}
	run, err := c.st.Run(ctx, id)
	if err != nil {
		return nil, err
	}
	src := filepath.Join(taskDir(sub.Dir, i), "artifacts")
	if _, err := os.Stat(src); err == nil {
		if err := os.CopyFS(c.st.ArtifactDir(run), os.DirFS(src)); err != nil {
			return nil, fmt.Errorf("ingest artifacts of task %d: %w", i, err)
		}
	}
	return run, nil
}

// logTail is the last n lines of the log at path, indented, or "" when
// it cannot be read.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n    " + strings.Join(lines, "\n    ")
}

// command runs a Slurm client and returns its output; an error carries its
// standard error.
func command(ctx context.Context, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
