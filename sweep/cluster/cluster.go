package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// DefaultPoll is how often the coordinator asks the scheduler about the
// array.
const DefaultPoll = 2 * time.Second

// Scheduler is a batch scheduler whose tasks run on nodes that share a
// filesystem with this machine.
type Scheduler interface {
	// Name names the scheduler in messages and errors ("slurm"); it is
	// the executor's name too.
	Name() string
	// Submit submits an array of tasks and returns its id there. Task i
	// runs `xp slurm-task <a.Dir> <i>` on its node, its output going to
	// LogPath(a.Dir, i).
	Submit(ctx context.Context, a Array) (string, error)
	// Task is the id of task i of array id, as Cancel takes it.
	Task(id string, i int) string
	// Poll is where each of the n tasks of array id stands.
	Poll(ctx context.Context, id string, n int) ([]State, error)
	// Cancel stops arrays or tasks, by id; one that ended meanwhile is no
	// error.
	Cancel(ctx context.Context, ids ...string) error
}

// Array is one submission of tasks.
type Array struct {
	// Dir is the run directory (absolute, on the shared filesystem), Name
	// a name for the array ("xp-<sweep id>"), Tasks how many it has.
	Dir   string
	Name  string
	Tasks int
	// Threads is the CPU threads of each task's point; Sweep the sweep's
	// spec block (resources, the scheduler's own options).
	Threads int
	Sweep   *spec.Sweep
}

// State is where one task stands in its scheduler.
type State struct {
	// Name is the scheduler's word for it (Slurm's PENDING, RUNNING,
	// COMPLETED, TIMEOUT...), shown in errors.
	Name string
	// Pending: it has not started. Ended: the scheduler is done with it.
	Pending, Ended bool
	// Canceled: it ended because someone asked (scancel, xp cancel).
	Canceled bool
	// Killed says why the scheduler ended it for a reason of its own (a
	// time limit, a lack of memory); "" when it did not.
	Killed string
	// Attempt is the task's attempt, 0 for the first, for a scheduler
	// that retries a failed task (Kubernetes' backoffLimitPerIndex): each
	// attempt writes to its own directory (AttemptDir) and is followed as
	// a run of its own.
	Attempt int
	// Requeue: the scheduler stopped the task for a reason that training
	// on from its checkpoint cures (a time limit, a preemption); the
	// coordinator submits its point again, up to Options.Requeues times.
	Requeue bool
}

// Options tune an Executor.
type Options struct {
	// Dir is the directory on the shared filesystem under which each
	// submission gets its run directory (default: the store's directory
	// and the scheduler's name, .xp/slurm).
	Dir string
	// Root is the project's directory; the nodes must see it at the same
	// path.
	Root string
	// Poll is how often the scheduler is asked (0: DefaultPoll).
	Poll time.Duration
	// Relay is the relay of a sweep whose tasks do not share the
	// coordinator's filesystem, by its spec (nil, or a nil Relay: they
	// share it).
	Relay func(sw *spec.Sweep) (Relay, error)
	// Requeues is how many times a point whose task ended in a State
	// with Requeue is submitted again, by its sweep's spec (nil: never).
	Requeues func(sw *spec.Sweep) int
}

// Executor runs the points of a sweep as one array of tasks of its
// Scheduler.
type Executor struct {
	sched Scheduler
	opts  Options
}

var _ sweep.Executor = (*Executor)(nil)

// New is the executor of sched.
func New(sched Scheduler, opts Options) *Executor {
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	return &Executor{sched: sched, opts: opts}
}

// Name is the scheduler's.
func (e *Executor) Name() string { return e.sched.Name() }

// Fit keeps the threads (the tasks ask the scheduler for them); how many
// tasks run at once is the scheduler's business.
func (e *Executor) Fit(threads, parallel int) (int, int) { return threads, 0 }

// Execute claims every point left, submits them as one array, follows the
// tasks while they train and ingests each as it ends; then again, while
// claiming finds points (a tpe sweep proposes its next ones once the
// results they depend on are in: one array per batch of sweep.parallel).
// When ctx is canceled the array is canceled, the runs in training are
// recorded canceled and their points go back to the queue.
func (e *Executor) Execute(ctx context.Context, s *sweep.Session) error {
	host, _ := os.Hostname()
	c := &coordinator{s: s, st: s.Store(), plan: s.Plan(), sched: e.sched, opts: e.opts, host: host, attempt: map[int]int{},
		requeued: map[int]int{}}
	if e.opts.Requeues != nil {
		c.requeues = e.opts.Requeues(&c.plan.Sweep)
	}
	if c.opts.Dir == "" {
		c.opts.Dir = filepath.Join(c.st.Dir(), e.sched.Name())
	}
	if e.opts.Relay != nil {
		var err error
		if c.relay, err = e.opts.Relay(&c.plan.Sweep); err != nil {
			return err
		}
	}
	for {
		pending, err := s.ClaimAll(ctx)
		if err != nil {
			return errors.Join(err, s.ReleaseAll(context.WithoutCancel(ctx), c.again))
		}
		// A requeued point goes with the next array: its own task, in a
		// run directory of its own, continuing its checkpoint.
		pending = append(c.again, pending...)
		if len(pending) == 0 {
			return nil
		}
		sub, err := c.submit(ctx, pending)
		c.again = nil
		if err != nil {
			return errors.Join(err, s.ReleaseAll(context.WithoutCancel(ctx), pending))
		}
		if err := c.wait(ctx, sub); err != nil {
			return err
		}
	}
}

// coordinator is one Execute.
type coordinator struct {
	s     *sweep.Session
	st    *store.Store
	plan  *sweep.Plan
	sched Scheduler
	opts  Options
	// host is this machine's name, recorded with the runs the coordinator
	// follows: it heartbeats them, so they are lost if it dies.
	host string
	// attempt is the attempt of each task that is followed (by task
	// index; absent: 0).
	attempt map[int]int
	// relay brings the tasks' files into the run directory when they do
	// not share it (nil: they do); relayErrs counts its failures in a row,
	// by task.
	relay     Relay
	relayErrs map[int]int
	// requeues is how many times a point may be requeued (Options.Requeues),
	// requeued how many times each was, by point; again the points
	// requeued since the last submission, held by this process.
	requeues int
	requeued map[int]int
	again    []int
}

// dir is the directory of task i's current attempt.
func (c *coordinator) dir(sub *sweep.Submission, i int) string {
	return AttemptDir(sub.Dir, i, c.attempt[i])
}

// submit writes the run directory of points and submits their array.
func (c *coordinator) submit(ctx context.Context, points []int) (*sweep.Submission, error) {
	if err := os.MkdirAll(c.opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("%s directory: %w", c.sched.Name(), err)
	}
	dir, err := os.MkdirTemp(c.opts.Dir, c.plan.ID+"-")
	if err != nil {
		return nil, fmt.Errorf("%s run directory: %w", c.sched.Name(), err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	ro := c.s.RunOptions()
	m := Manifest{Root: c.opts.Root, Experiment: c.plan.Exp.Name, SweepID: c.plan.ID, Backend: ro.Backend,
		Threads: ro.Threads, AllowDirty: ro.AllowDirty}
	for _, idx := range points {
		p, ok := c.s.Point(idx)
		if !ok {
			return nil, fmt.Errorf("sweep %s has no point %d", c.plan.ID, idx)
		}
		tp := TaskPoint{Point: idx, Key: p.Job.Key, BackendVersion: p.Job.BackendVersion}
		if c.plan.Sweep.Method == spec.MethodTPE {
			tp.Params = p.Params
		}
		var promoted bool
		tp.PauseAfter, promoted = c.s.Rung(idx)
		// The task continues the key's checkpoint as a run here would:
		// unless --force sets it aside, which a requeued point (its own
		// checkpoint, of this xp run) and a promoted one (its rung's) do not.
		if !ro.Force || promoted || slices.Contains(c.again, idx) {
			if err := giveCheckpoint(c.st, p.Job.Key, taskDir(dir, len(m.Tasks))); err != nil {
				return nil, err
			}
		}
		m.Tasks = append(m.Tasks, tp)
	}
	if err := writeJSON(filepath.Join(dir, manifestFile), &m); err != nil {
		return nil, err
	}
	if c.relay != nil {
		if err := c.relay.Publish(ctx, dir); err != nil {
			return nil, err
		}
	}
	id, err := c.sched.Submit(ctx, Array{Dir: dir, Name: "xp-" + c.plan.ID, Tasks: len(points), Threads: m.Threads,
		Sweep: &c.plan.Sweep})
	if err != nil {
		return nil, err
	}
	sub := &sweep.Submission{ID: id, Dir: dir, Points: points}
	for i := range points {
		sub.Tasks = append(sub.Tasks, c.sched.Task(id, i))
	}
	// Recorded so that `xp cancel`, in any process, finds the tasks.
	if err := c.s.Submitted(ctx, sub); err != nil {
		return nil, errors.Join(err, c.sched.Cancel(context.WithoutCancel(ctx), id))
	}
	return sub, nil
}

// wait polls the scheduler until every task of sub has ended, following
// the runs of those that train and ingesting each as it ends.
func (c *coordinator) wait(ctx context.Context, sub *sweep.Submission) error {
	n := len(sub.Points)
	done := make([]bool, n)
	live := make([]*liveRun, n)
	left := n
	tick := time.NewTicker(c.opts.Poll)
	defer tick.Stop()
	for left > 0 {
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), c.stop(context.WithoutCancel(ctx), sub, done, live))
		case <-tick.C:
		}
		if _, err := c.s.Beat(ctx); err != nil {
			return err
		}
		states, err := c.sched.Poll(ctx, sub.ID, n)
		if err != nil {
			return err
		}
		for i, st := range states {
			if done[i] {
				continue
			}
			if ok, err := c.relayed(ctx, sub, i, st); err != nil || !ok {
				if err != nil {
					return err
				}
				continue // the next poll asks again
			}
			if st.Attempt > c.attempt[i] {
				// The scheduler retries the task: the attempt followed so
				// far failed, and the next one is a run of its own.
				if err := c.retried(ctx, sub, i, live[i]); err != nil {
					return err
				}
				live[i] = nil
				c.attempt[i] = st.Attempt
				if ok, err := c.relayed(ctx, sub, i, st); err != nil || !ok {
					if err != nil {
						return err
					}
					continue
				}
			}
			if !st.Ended {
				if !st.Pending {
					if live[i], err = c.follow(ctx, sub, i, live[i]); err != nil {
						return err
					}
				}
				continue
			}
			if again, err := c.requeue(ctx, sub, i, st, live[i]); err != nil || !again {
				if err == nil {
					err = c.ingest(ctx, sub, i, st, live[i])
				}
				if err != nil {
					return err
				}
			}
			done[i] = true
			left--
		}
	}
	return nil
}

// relayFailures is how many polls in a row the relay may fail to bring
// a task's files in (a remote that does not answer for a while) before
// the coordinator gives up.
const relayFailures = 5

// relayed brings in, through the relay, what the attempt of task i that
// is followed has sent: while it trains, when it has ended, and when the
// scheduler starts another (the last of the one before). ok false: the
// relay failed this time, and the task waits for the next poll (a task
// that ended is not judged without its files); after relayFailures in a
// row, the error.
func (c *coordinator) relayed(ctx context.Context, sub *sweep.Submission, i int, st State) (ok bool, err error) {
	if c.relay == nil || st.Pending && st.Attempt <= c.attempt[i] {
		return true, nil
	}
	if err := c.relay.Fetch(ctx, sub.Dir, i, c.attempt[i]); err != nil {
		if c.relayErrs == nil {
			c.relayErrs = map[int]int{}
		}
		if c.relayErrs[i]++; c.relayErrs[i] >= relayFailures || ctx.Err() != nil {
			return false, err
		}
		c.s.Emit(sweep.Event{Kind: sweep.Notice, Message: fmt.Sprintf("task %d: %v; asking again", i, err)})
		return false, nil
	}
	delete(c.relayErrs, i)
	return true, nil
}

// stop ends what wait left when the coordinator is stopped (Ctrl-C): it
// cancels the array, records the runs in training canceled (their curves
// kept) and puts their points back in the queue.
func (c *coordinator) stop(ctx context.Context, sub *sweep.Submission, done []bool, live []*liveRun) error {
	errs := []error{c.sched.Cancel(ctx, sub.ID)}
	back := c.again
	c.again = nil
	for i, d := range done {
		if d {
			continue
		}
		back = append(back, sub.Points[i])
		if lr := live[i]; lr != nil {
			why := fmt.Sprintf("canceled: xp run was stopped and canceled its %s task", c.sched.Name())
			err := c.st.FinishRun(ctx, lr.id, store.StatusCanceled, why, "", nil)
			if !errors.Is(err, store.ErrStatus) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(append(errs, c.s.ReleaseAll(ctx, back))...)
}
