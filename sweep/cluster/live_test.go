package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
)

// batch is a Scheduler for the tests that never submit: the coordinator
// only names it, and asks it to cancel tasks, which it counts.
type batch struct{ canceled []string }

func (*batch) Name() string { return "batch" }
func (*batch) Submit(context.Context, Array) (string, error) {
	return "", errors.New("not in this test")
}
func (*batch) Task(id string, i int) string { return fmt.Sprintf("%s.%d", id, i) }
func (*batch) Poll(context.Context, string, int) ([]State, error) {
	return nil, errors.New("not in this test")
}
func (b *batch) Cancel(_ context.Context, ids ...string) error {
	b.canceled = append(b.canceled, ids...)
	return nil
}

// The states of ended tasks, as a scheduler would tell them.
var (
	completed = State{Name: "COMPLETED", Ended: true}
	cancelled = State{Name: "CANCELLED", Ended: true, Canceled: true}
	timeout   = State{Name: "TIMEOUT", Ended: true, Killed: "stopped at its time limit"}
	outOfMem  = State{Name: "OUT_OF_MEMORY", Ended: true, Killed: "stopped out of memory"}
)

// claimedCoordinator is a coordinator over a fresh store of
// sweeptest.Project's sweep that holds every point, with the sweep and
// the points it queued (to queue them again).
func claimedCoordinator(t *testing.T) (*coordinator, *store.Sweep, []store.QueuedPoint) {
	t.Helper()
	ctx := context.Background()
	root := sweeptest.Project(t)
	st := sweeptest.Open(t, filepath.Join(root, ".xp"))
	exp, err := spec.Find(root, "iris")
	if err != nil {
		t.Fatal(err)
	}
	ex := New(&batch{}, Options{Root: root})
	s, err := sweep.Start(ctx, st, exp, ex, sweep.Options{Options: runner.Options{AllowDirty: true, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	plan := s.Plan()
	var queued []store.QueuedPoint
	for _, p := range plan.Points {
		queued = append(queued, store.QueuedPoint{Index: p.Index, Key: p.Job.Key, Params: []byte("[]")})
	}
	sw := &store.Sweep{ID: plan.ID, Experiment: exp.Name, Metric: plan.Metric, Mode: plan.Mode}
	c := &coordinator{s: s, st: st, plan: plan, sched: ex.sched, opts: ex.opts, host: "coordinator", attempt: map[int]int{}}
	if pending, err := s.ClaimAll(ctx); err != nil || len(pending) != 6 {
		t.Fatalf("ClaimAll = %v, %v; want 6 points", pending, err)
	}
	return c, sw, queued
}

// testCoordinator is claimedCoordinator with a run directory whose
// manifest makes task 0 train point 0, as a submission would.
func testCoordinator(t *testing.T) (*coordinator, *sweep.Submission) {
	t.Helper()
	c, _, _ := claimedCoordinator(t)
	sub := &sweep.Submission{ID: "7", Dir: t.TempDir(), Points: []int{0}, Tasks: []string{"7.0"}}
	m := Manifest{Root: c.opts.Root, Experiment: "iris", SweepID: c.plan.ID, Threads: 1, AllowDirty: true,
		Tasks: []TaskPoint{{Point: 0, Key: c.plan.Points[0].Job.Key}}}
	if err := writeJSON(filepath.Join(sub.Dir, manifestFile), &m); err != nil {
		t.Fatal(err)
	}
	return c, sub
}

// runTask trains task 0 of sub here, as its node would, and returns the
// lines of the points file it wrote.
func runTask(t *testing.T, sub *sweep.Submission) [][]byte {
	t.Helper()
	if err := RunTask(context.Background(), sub.Dir, 0, nil); err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(taskDir(sub.Dir, 0), livePointsFile))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(b, []byte("\n"))
}

// set replaces the task's file name with content; setRun its run.json's
// epoch and status.
func set(t *testing.T, sub *sweep.Submission, name string, content []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(taskDir(sub.Dir, 0), name), content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func setRun(t *testing.T, sub *sweep.Submission, epoch int) {
	t.Helper()
	var r store.Run
	path := filepath.Join(taskDir(sub.Dir, 0), liveRunFile)
	if err := readJSON(path, &r); err != nil {
		t.Fatal(err)
	}
	r.Epoch, r.Status = epoch, store.StatusRunning
	if err := writeJSON(path, &r); err != nil {
		t.Fatal(err)
	}
}

// A task's run is in the store, running, with the epochs its files hold,
// before the task ends; when it ends the same run is finished with every
// point once.
func TestLiveProgress(t *testing.T) {
	ctx := context.Background()
	c, sub := testCoordinator(t)
	lines := runTask(t, sub)
	dir := taskDir(sub.Dir, 0)
	result, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr TaskResult
	if err := json.Unmarshal(result, &tr); err != nil {
		t.Fatal(err)
	}
	// The task as it stood in the middle of epoch 2: epoch 1's points
	// written, half a line of epoch 2's, no result.
	var epoch1 []byte
	n1 := 0
	for _, l := range lines {
		var p MetricPoint
		if json.Unmarshal(l, &p) == nil && p.Epoch == 1 {
			epoch1 = append(epoch1, l...)
			n1++
		}
	}
	half := lines[n1][:len(lines[n1])/2]
	if err := os.Remove(filepath.Join(dir, "result.json")); err != nil {
		t.Fatal(err)
	}
	set(t, sub, livePointsFile, append(bytes.Clone(epoch1), half...))
	setRun(t, sub, 1)

	lr, err := c.follow(ctx, sub, 0, nil)
	if err != nil || lr == nil {
		t.Fatalf("follow = %v, %v", lr, err)
	}
	check := func(t *testing.T, status store.Status, epoch, points int) *store.Run {
		t.Helper()
		runs, err := c.st.ListRuns(ctx, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 1 {
			t.Fatalf("%d runs in the store, want 1", len(runs))
		}
		r := runs[0]
		if r.Status != status || r.Epoch != epoch || r.SweepID != c.plan.ID || r.Key != c.plan.Points[0].Job.Key {
			t.Errorf("run: status %s epoch %d sweep %s key %.12s; want %s, epoch %d, the point's", r.Status, r.Epoch, r.SweepID, r.Key, status, epoch)
		}
		got := 0
		for _, m := range []string{"loss", "accuracy"} {
			for _, split := range []string{"train", "validation", "test"} {
				pts, err := c.st.Points(ctx, r.ID, split, m)
				if err != nil {
					t.Fatal(err)
				}
				got += len(pts)
			}
		}
		if total := sweeptest.CountPoints(t, c.st, r.ID); total != points {
			t.Errorf("%d points in the store (%d loss and accuracy), want %d", total, got, points)
		}
		return &r
	}
	t.Run("mid-way", func(t *testing.T) {
		r := check(t, store.StatusRunning, 1, n1)
		if r.PID != os.Getpid() || r.Host != "coordinator" {
			t.Errorf("the run is held by pid %d on %q, want the coordinator's", r.PID, r.Host)
		}
	})
	t.Run("next epoch", func(t *testing.T) {
		set(t, sub, livePointsFile, bytes.Join(lines, nil))
		setRun(t, sub, 2)
		if lr, err = c.follow(ctx, sub, 0, lr); err != nil {
			t.Fatal(err)
		}
		check(t, store.StatusRunning, 2, len(bytes.Join(lines, nil))-len(bytes.ReplaceAll(bytes.Join(lines, nil), []byte("\n"), nil)))
	})
	t.Run("ended", func(t *testing.T) {
		set(t, sub, "result.json", result)
		if err := c.ingest(ctx, sub, 0, completed, lr); err != nil {
			t.Fatal(err)
		}
		r := check(t, store.StatusSucceeded, 2, len(tr.Points))
		if len(r.Summary["test"]) == 0 {
			t.Error("no test metrics")
		}
		points, err := c.st.SweepPoints(ctx, c.plan.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p := points[0]; p.State != store.PointDone || p.Status != store.StatusSucceeded || p.RunID != r.ID {
			t.Errorf("point 0: %s %s run %d, want done, succeeded, run %d", p.State, p.Status, p.RunID, r.ID)
		}
	})
}

// A task Slurm ended before it wrote its result keeps the curves followed
// so far; one whose xp recorded itself canceled on the signal of a time
// limit is failed with Slurm's state.
func TestLiveEndings(t *testing.T) {
	tests := []struct {
		name   string
		state  State
		result bool // the task wrote result.json, its run canceled
		want   store.Status
		says   string
	}{
		{name: "scancel'ed", state: cancelled, want: store.StatusCanceled, says: "batch CANCELLED: no result"},
		{name: "killed for memory", state: outOfMem, want: store.StatusFailed, says: "batch OUT_OF_MEMORY: stopped out of memory"},
		{name: "time limit", state: timeout, result: true, want: store.StatusFailed, says: "batch TIMEOUT: stopped at its time limit"},
		{name: "canceled on request", state: cancelled, result: true, want: store.StatusCanceled, says: "batch CANCELLED: canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, sub := testCoordinator(t)
			lines := runTask(t, sub)
			dir := taskDir(sub.Dir, 0)
			var tr TaskResult
			if err := readJSON(filepath.Join(dir, "result.json"), &tr); err != nil {
				t.Fatal(err)
			}
			if tt.result {
				tr.Run.Status, tr.Run.Error, tr.Points = store.StatusCanceled, "canceled", tr.Points[:2]
				if err := writeJSON(filepath.Join(dir, "result.json"), &tr); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Remove(filepath.Join(dir, "result.json")); err != nil {
				t.Fatal(err)
			}
			set(t, sub, livePointsFile, bytes.Join(lines[:2], nil))
			setRun(t, sub, 1)
			lr, err := c.follow(ctx, sub, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.ingest(ctx, sub, 0, tt.state, lr); err != nil {
				t.Fatal(err)
			}
			r, err := c.st.Run(ctx, lr.id)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.want || r.Error == "" {
				t.Errorf("run %s %q, want %s with an error", r.Status, r.Error, tt.want)
			}
			if n := sweeptest.CountPoints(t, c.st, r.ID); n != 2 {
				t.Errorf("%d points kept, want the 2 followed", n)
			}
			points, err := c.st.SweepPoints(ctx, c.plan.ID)
			if err != nil {
				t.Fatal(err)
			}
			if p := points[0]; p.Status != tt.want || p.RunID != r.ID || !strings.Contains(p.Error, tt.says) ||
				!strings.Contains(p.Error, "task-0.log") {
				t.Errorf("point 0: %s run %d %q; want %s, run %d, saying %q and naming the log", p.Status, p.RunID, p.Error, tt.want, r.ID, tt.says)
			}
		})
	}
}

// Values JSON cannot hold (a diverged run's loss) cross the run directory.
func TestMetricValueJSON(t *testing.T) {
	for _, v := range []float64{0, -1.5, 1e-300, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b, err := json.Marshal(MetricPoint{Value: metricValue(v)})
		if err != nil {
			t.Fatalf("marshal %v: %v", v, err)
		}
		var p MetricPoint
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if got := float64(p.Value); !(got == v || math.IsNaN(got) && math.IsNaN(v)) {
			t.Errorf("%v came back %v (%s)", v, got, b)
		}
	}
}

// A cancel request on a followed run (xp cancel, the TUI) cancels its task
// in the scheduler, once.
func TestFollowCancelRequest(t *testing.T) {
	ctx := context.Background()
	c, sub := testCoordinator(t)
	runTask(t, sub)
	setRun(t, sub, 1)
	lr, err := c.follow(ctx, sub, 0, nil)
	if err != nil || lr == nil {
		t.Fatalf("follow = %v, %v", lr, err)
	}
	if err := c.st.RequestCancel(ctx, lr.id); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if lr, err = c.follow(ctx, sub, 0, lr); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.sched.(*batch).canceled; len(got) != 1 || got[0] != "7.0" {
		t.Errorf("canceled %v, want task 7.0 once", got)
	}
}

// The task side prints nothing: a failure of its live progress is told
// once, as a Notice, and training goes on.
func TestLiveWriterNotice(t *testing.T) {
	st := sweeptest.Open(t, filepath.Join(t.TempDir(), ".xp"))
	var got []sweep.Event
	w := &liveWriter{ctx: context.Background(), st: st, dir: filepath.Join(t.TempDir(), "gone"),
		events: func(e sweep.Event) { got = append(got, e) }}
	for range 2 {
		w.event(runner.Event{Kind: runner.EventEpoch, RunID: 42})
	}
	if len(got) != 1 || got[0].Kind != sweep.Notice || !strings.HasPrefix(got[0].Message, "live progress stopped: ") {
		t.Fatalf("events %+v, want one notice that live progress stopped", got)
	}
}
