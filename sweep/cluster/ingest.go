package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// ingest records how task i of sub ended, in state st: the run it left
// (with its metric points and artifacts), or a failure naming the state
// and the task's log. lr is the task's run as followed while it trained
// (nil if it was never seen training).
func (c *coordinator) ingest(ctx context.Context, sub *sweep.Submission, i int, st State, lr *liveRun) error {
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
	if out.Status != store.StatusSucceeded {
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
			return err
		}
		if c.relay != nil {
			if err := c.relay.Recorded(ctx, c.st, out.Run); err != nil {
				return err
			}
		}
	case lr != nil:
		// Ended without a result (killed): the run keeps the curves
		// followed so far.
		if err := c.catchUp(ctx, c.dir(sub, i), lr); err != nil {
			return err
		}
		if err := c.st.FinishRun(ctx, lr.id, out.Status, firstLine(out.Error), "", nil); err != nil && !errors.Is(err, store.ErrStatus) {
			return err
		}
		if out.Run, err = c.st.Run(ctx, lr.id); err != nil {
			return err
		}
	}
	return c.s.Finish(ctx, sub.Points[i], out)
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
