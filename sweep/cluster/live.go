package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// While a task trains it keeps two files in its directory up to date, after
// every epoch: liveRunFile, its run as its own store has it (status,
// epoch), and livePointsFile, its metric points so far, one JSON object a
// line, appended. The coordinator follows them into the project's store,
// so `xp ls` and the TUI show the run and its curves while it trains.
const (
	liveRunFile    = "run.json"
	livePointsFile = "points.jsonl"
)

// MetricPoint is a store.Point as the run directory holds it: JSON has no
// NaN or infinity, and a diverged run's loss is one.
type MetricPoint struct {
	Split string      `json:"split"`
	Name  string      `json:"name"`
	Epoch int         `json:"epoch"`
	Step  int         `json:"step"`
	Value metricValue `json:"value"`
	Time  time.Time   `json:"time"`
}

// metricValue writes a float as a JSON number, or as the string "NaN",
// "+Inf" or "-Inf".
type metricValue float64

func (v metricValue) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendQuote(nil, strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (v *metricValue) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return fmt.Errorf("metric value %s: %w", b, err)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("metric value %s: %w", b, err)
	}
	*v = metricValue(f)
	return nil
}

func toWire(pts []store.Point) []MetricPoint {
	out := make([]MetricPoint, len(pts))
	for i, p := range pts {
		out[i] = MetricPoint{Split: p.Split, Name: p.Name, Epoch: p.Epoch, Step: p.Step, Value: metricValue(p.Value), Time: p.Time}
	}
	return out
}

func fromWire(pts []MetricPoint) []store.Point {
	out := make([]store.Point, len(pts))
	for i, p := range pts {
		out[i] = store.Point{Split: p.Split, Name: p.Name, Epoch: p.Epoch, Step: p.Step, Value: float64(p.Value), Time: p.Time}
	}
	return out
}

// liveWriter is the task's side: it copies its store's run and new points
// into the task directory at the start and after every epoch.
type liveWriter struct {
	ctx   context.Context
	st    *store.Store
	dir   string
	after int64 // the PointsSince cursor
	err   error // the first failure: live progress stops, training goes on
	// events hears a Notice of that failure (nil: nobody listens).
	events func(sweep.Event)
	// progress is told after each flush (nil: nobody).
	progress func(ctx context.Context)
	// resumedFrom and resumedEpoch are the run of the coordinator's store
	// and its epoch that the task's run continues (the checkpoint it was
	// given), which the task's own store cannot record.
	resumedFrom  int64
	resumedEpoch int
}

func (w *liveWriter) event(e runner.Event) {
	if e.Kind == runner.EventStarted && e.ResumedRun != 0 {
		w.resumedFrom, w.resumedEpoch = e.ResumedRun, e.FromEpoch
	}
	if e.Kind == runner.EventBatch || e.RunID == 0 || w.err != nil {
		return
	}
	if w.err = w.flush(e.RunID); w.err != nil && w.events != nil {
		w.events(sweep.Event{Kind: sweep.Notice, Message: fmt.Sprintf("live progress stopped: %v", w.err)})
	}
	if w.err == nil && w.progress != nil {
		w.progress(w.ctx)
	}
}

func (w *liveWriter) flush(id int64) error {
	pts, after, err := w.st.PointsSince(w.ctx, id, w.after)
	if err != nil {
		return err
	}
	if len(pts) > 0 {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, p := range toWire(pts) {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		// One write of whole lines, after which the file is closed: a
		// reader on another node sees whole lines (it reads up to the
		// last newline in any case).
		path := filepath.Join(w.dir, livePointsFile)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		_, werr := f.Write(b.Bytes())
		if err := errors.Join(werr, f.Close()); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	w.after = after
	run, err := w.st.Run(w.ctx, id)
	if err != nil {
		return err
	}
	run.Summary = nil // the coordinator's store makes its own
	w.resumed(run)
	return writeJSON(filepath.Join(w.dir, liveRunFile), run)
}

// resumed marks run, as the task's store has it, with the run it resumes.
func (w *liveWriter) resumed(run *store.Run) {
	if w.resumedFrom != 0 {
		run.ResumedFrom, run.ResumedEpoch = w.resumedFrom, w.resumedEpoch
	}
}

// liveRun is the coordinator's side: the run a task is training, as
// recorded in the project's store, and how much of its points file is in.
type liveRun struct {
	id       int64
	offset   int64 // bytes of livePointsFile ingested
	points   int   // points ingested
	canceled bool  // the task was canceled for a cancel request
}

// follow brings the run of task i of sub into the store: it creates it
// (running, heartbeating from this process) when the task has written its
// run, then adds the points written since the last call and heartbeats it
// with its epoch. A cancel request on the run (xp cancel, the TUI)
// cancels the task in its scheduler. lr is nil until the task has a run, and stays nil
// while it has none.
func (c *coordinator) follow(ctx context.Context, sub *sweep.Submission, i int, lr *liveRun) (*liveRun, error) {
	dir := c.dir(sub, i)
	var node store.Run
	if err := readJSON(filepath.Join(dir, liveRunFile), &node); err != nil {
		// Not written yet (or, on a filesystem slow to show a rename, not
		// visible yet): the next poll looks again.
		return lr, nil
	}
	if lr == nil {
		r := node
		r.ID, r.Summary, r.SweepID, r.Status = 0, nil, c.plan.ID, store.StatusRunning
		r.PID, r.Host, r.HeartbeatAt, r.CancelRequested = os.Getpid(), c.host, time.Now(), false
		// At epoch 0 until its points are in: the heartbeat below sets the
		// epoch, so a reader never sees an epoch whose points are missing.
		r.Epoch = 0
		c.resumes(ctx, &r)
		if err := c.st.CreateRun(ctx, &r); err != nil {
			return nil, err
		}
		lr = &liveRun{id: r.ID}
		if err := c.carry(ctx, &r); err != nil {
			return lr, err
		}
	}
	if err := c.catchUp(ctx, dir, lr); err != nil {
		return lr, err
	}
	cancel, err := c.st.Heartbeat(ctx, lr.id, node.Epoch)
	if errors.Is(err, store.ErrStatus) {
		return lr, nil // finished already: nothing more to follow
	}
	if err != nil {
		return lr, err
	}
	if cancel && !lr.canceled {
		lr.canceled = true
		// An error is not fatal: xp cancel may have canceled the task
		// already, and its state tells at the next poll in any case.
		c.sched.Cancel(ctx, sub.Tasks[i])
	}
	return lr, nil
}

// catchUp adds to lr's run the whole lines of the task's points file that
// are not in yet.
func (c *coordinator) catchUp(ctx context.Context, dir string, lr *liveRun) error {
	path := filepath.Join(dir, livePointsFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(lr.offset, io.SeekStart); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	if len(b) == 0 {
		return nil
	}
	var pts []MetricPoint
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var p MetricPoint
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("read %s at byte %d: %w", path, lr.offset+dec.InputOffset(), err)
		}
		pts = append(pts, p)
	}
	if err := c.st.AddPoints(ctx, lr.id, fromWire(pts)); err != nil {
		return err
	}
	lr.offset += int64(len(b))
	lr.points += len(pts)
	return nil
}
