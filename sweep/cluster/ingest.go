package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// ingest records how task i of sub ended, in state st: the run it left
// (with its metric points and artifacts), or a failure naming the state
// and the task's log. lr is the task's run as followed while it trained
// (nil if it was never seen training).
func (c *coordinator) ingest(ctx context.Context, sub *sweep.Submission, i int, st State, lr *liveRun) error {
	out, err := c.settle(ctx, sub, i, st, lr, "")
	if err != nil {
		return err
	}
	return c.s.Finish(ctx, sub.Points[i], out)
}

// requeue records the run of task i of sub, which its scheduler stopped
// in state st for a reason that training on cures (a time limit, a
// preemption), and queues its point to be submitted again, to continue
// from the checkpoint the task left; false, with nothing done, when st is
// no such state or the point was requeued as often as the sweep allows.
func (c *coordinator) requeue(ctx context.Context, sub *sweep.Submission, i int, st State, lr *liveRun) (bool, error) {
	idx := sub.Points[i]
	if !st.Requeue || c.requeued[idx] >= c.requeues {
		return false, nil
	}
	var tr TaskResult
	if err := readJSON(filepath.Join(c.dir(sub, i), resultFile), &tr); err == nil && tr.Run != nil && !runner.Resumable(tr.Run.Status) {
		// It ended (succeeded, say) as its time ran out, before its
		// process did: nothing to continue.
		return false, nil
	}
	c.requeued[idx]++
	note := fmt.Sprintf("requeued (%d of %d)", c.requeued[idx], c.requeues)
	out, err := c.settle(ctx, sub, i, st, lr, note)
	if err != nil {
		return true, err
	}
	from := "from the start (no checkpoint)"
	if p, ok := c.s.Point(idx); ok && runner.KeyCheckpoint(c.st, p.Job.Key) != "" && out.Run != nil {
		from = fmt.Sprintf("from its checkpoint (run %s#%d at epoch %d)", out.Run.Short(), out.Run.ID, out.Run.Epoch)
	}
	c.s.Emit(sweep.Event{Kind: sweep.Notice, Message: fmt.Sprintf("point %d: %s %s: %s; %s, to continue %s",
		idx, c.sched.Name(), st.Name, st.Killed, note, from)})
	c.again = append(c.again, idx)
	return true, nil
}

// settle records how task i of sub ended, in state st, and says how its
// point ended; note, when given, is added to the reason of a run that did
// not succeed. The checkpoint the task left becomes its key's in the
// store, naming the run recorded, when the run may be resumed (as a run
// trained here keeps it), and the key's goes when it may not.
func (c *coordinator) settle(ctx context.Context, sub *sweep.Submission, i int, st State, lr *liveRun, note string) (sweep.Outcome, error) {
	log := LogPath(sub.Dir, i)
	var tr TaskResult
	rerr := readJSON(filepath.Join(c.dir(sub, i), resultFile), &tr)
	if rerr == nil && tr.Run == nil && lr != nil {
		rerr = fmt.Errorf("result.json has no run: %s", tr.Error)
	}
	out := sweep.Outcome{Status: store.StatusFailed}
	switch {
	case rerr == nil && tr.Run != nil:
		out.Status = tr.Run.Status
	case st.Canceled:
		out.Status = store.StatusCanceled
	}
	corrected := false
	if out.Status == store.StatusCanceled && st.Killed != "" {
		// The task's xp saw the signal of a time limit or a lack of
		// memory and recorded itself canceled: it failed.
		out.Status, corrected = store.StatusFailed, true
	}
	switch {
	case out.Status == store.StatusPaused:
		// Paused at its asha rung, as it was asked: no failure.
		out.Error = tr.Run.Error
	case out.Status != store.StatusSucceeded:
		why := tr.Error
		switch {
		case rerr != nil && st.Killed != "":
			// Killed before it could write its result: the scheduler's
			// reason is the one.
			why = st.Killed
		case rerr != nil:
			why = "no result (" + rerr.Error() + ")"
		case corrected:
			why = st.Killed
		case why == "" && tr.Run != nil:
			why = tr.Run.Error
		}
		if why == "" {
			why = string(out.Status)
		}
		if note != "" {
			why += "; " + note
		}
		out.Error = fmt.Sprintf("%s %s: %s; log %s%s", c.sched.Name(), st.Name, why, log, logTail(log, 5))
	}
	var err error
	switch {
	case rerr == nil && tr.Run != nil:
		runErr := tr.Run.Error
		if corrected {
			runErr = firstLine(out.Error)
		}
		if out.Run, err = c.record(ctx, sub, i, &tr, lr, out.Status, runErr); err != nil {
			return out, err
		}
		if c.relay != nil {
			if err := c.relay.Recorded(ctx, c.st, out.Run); err != nil {
				return out, err
			}
		}
	case lr != nil:
		// Ended without a result (killed): the run keeps the curves
		// followed so far.
		if err := c.catchUp(ctx, c.dir(sub, i), lr); err != nil {
			return out, err
		}
		if err := c.st.FinishRun(ctx, lr.id, out.Status, firstLine(out.Error), "", nil); err != nil && !errors.Is(err, store.ErrStatus) {
			return out, err
		}
		if out.Run, err = c.st.Run(ctx, lr.id); err != nil {
			return out, err
		}
	}
	if out.Run != nil {
		if err := c.keepCheckpoint(c.dir(sub, i), out.Run); err != nil {
			return out, err
		}
	}
	return out, nil
}

// keepCheckpoint makes the checkpoint the task left in dir its key's in
// the store, naming run, when run may be resumed (runner.Resumable);
// when it may not, the key's checkpoint goes, as a run trained here
// removes it. A resumable run that left none (stopped in its first
// epoch) leaves the key's as it was.
func (c *coordinator) keepCheckpoint(dir string, run *store.Run) error {
	if !runner.Resumable(run.Status) {
		return runner.RemoveCheckpoint(c.st, run.Key)
	}
	path := filepath.Join(dir, checkpointFile)
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	return runner.AdoptCheckpoint(c.st, run, path)
}

// giveCheckpoint puts key's checkpoint in the store, if it has one, in
// the task directory dir, for the task to continue (runner.Options.Checkpoint).
func giveCheckpoint(st *store.Store, key, dir string) error {
	src := runner.KeyCheckpoint(st, key)
	if src == "" {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("give checkpoint: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("give checkpoint: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, checkpointFile), b); err != nil {
		return fmt.Errorf("give checkpoint: %w", err)
	}
	return nil
}

// resumes checks that run, as a task left it, resumes a run of its key
// in the store (the checkpoint the coordinator gave it names one): a task
// that found a checkpoint of its own making (restarted by its scheduler
// in the same directory) names a run of its node's store, which is
// dropped rather than recorded as another run's lineage.
func (c *coordinator) resumes(ctx context.Context, run *store.Run) {
	if run.ResumedFrom == 0 {
		return
	}
	if from, err := c.st.Run(ctx, run.ResumedFrom); err != nil || from.Key != run.Key {
		run.ResumedFrom, run.ResumedEpoch = 0, 0
	}
}

// carry copies the curves of the run that run resumes, up to the epoch
// it resumed after, as a resumed run here carries them.
func (c *coordinator) carry(ctx context.Context, run *store.Run) error {
	if run.ResumedFrom == 0 {
		return nil
	}
	return runner.CarryPoints(ctx, c.st, run.ResumedFrom, run.ResumedEpoch, run.ID)
}

// retried records the end of the attempt of task i that lr followed (nil:
// none was seen training) when the scheduler starts another: failed, with
// the error its result gives, its curves kept.
func (c *coordinator) retried(ctx context.Context, sub *sweep.Submission, i int, lr *liveRun) error {
	if lr == nil {
		return nil
	}
	dir := c.dir(sub, i)
	if err := c.catchUp(ctx, dir, lr); err != nil {
		return err
	}
	why := "no result"
	var tr TaskResult
	if err := readJSON(filepath.Join(dir, resultFile), &tr); err == nil && tr.Error != "" {
		why = firstLine(tr.Error)
	}
	msg := fmt.Sprintf("%s attempt %d failed (%s); retried as attempt %d", c.sched.Name(), c.attempt[i]+1, why, c.attempt[i]+2)
	if err := c.st.FinishRun(ctx, lr.id, store.StatusFailed, msg, "", nil); err != nil && !errors.Is(err, store.ErrStatus) {
		return err
	}
	return nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// record copies the run a task left into the store, with its points and
// artifacts: into lr's run when it was followed, else as a new run.
func (c *coordinator) record(ctx context.Context, sub *sweep.Submission, i int, tr *TaskResult, lr *liveRun, status store.Status, errMsg string) (*store.Run, error) {
	var id int64
	pts := fromWire(tr.Points)
	if lr != nil {
		if err := c.catchUp(ctx, c.dir(sub, i), lr); err != nil {
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
		c.resumes(ctx, &r)
		if err := c.st.CreateRun(ctx, &r); err != nil {
			return nil, err
		}
		id = r.ID
		if err := c.carry(ctx, &r); err != nil {
			return nil, err
		}
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
	src := filepath.Join(c.dir(sub, i), "artifacts")
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
