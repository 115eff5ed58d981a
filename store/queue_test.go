package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func testPoints(n int) []QueuedPoint {
	out := make([]QueuedPoint, n)
	for i := range out {
		out[i] = QueuedPoint{Index: i, Key: testKey("5eed", i), Params: json.RawMessage(fmt.Sprintf(`[{"path":"x","value":%d}]`, i))}
	}
	return out
}

func enqueueTest(t *testing.T, s *Store, id string, points []QueuedPoint, retrain bool) int {
	t.Helper()
	left, err := s.Enqueue(context.Background(), &Sweep{ID: id, Experiment: "iris", Metric: "validation.loss", Mode: "min"}, points, retrain)
	if err != nil {
		t.Fatal(err)
	}
	return left
}

func TestQueueClaimOrderAndTakeOver(t *testing.T) {
	ctx := context.Background()
	s, clock := openTest(t)
	if left := enqueueTest(t, s, "iris-1", testPoints(3), false); left != 3 {
		t.Fatalf("%d left, want 3", left)
	}
	const stale = 30 * time.Second
	for i := range 3 {
		p, err := s.ClaimPoint(ctx, "iris-1", "a", stale, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.Index != i || p.State != PointClaimed || p.Owner != "a" || p.Attempts != 1 || p.Key != testKey("5eed", i) {
			t.Errorf("claim %d: %+v", i, p)
		}
	}
	if _, err := s.ClaimPoint(ctx, "iris-1", "b", stale, nil); !errors.Is(err, ErrNoPoint) {
		t.Fatalf("claim with every point held by a live owner: %v, want ErrNoPoint", err)
	}

	// An owner reported dead loses its claims at once.
	p, err := s.ClaimPoint(ctx, "iris-1", "b", stale, func(owner string) bool { return owner == "a" })
	if err != nil || p.Index != 0 || p.Attempts != 2 {
		t.Fatalf("claim over a dead owner: %+v, %v; want point 0, second attempt", p, err)
	}
	// A stale heartbeat loses them after staleAfter; b beats, a does not.
	clock.advance(20 * time.Second)
	held, err := s.BeatPoints(ctx, "b")
	if err != nil || len(held["iris-1"]) != 1 {
		t.Fatalf("b holds %v, %v", held, err)
	}
	clock.advance(15 * time.Second)
	p, err = s.ClaimPoint(ctx, "iris-1", "c", stale, nil)
	if err != nil || p.Index != 1 {
		t.Fatalf("claim over a stale owner: %+v, %v; want point 1", p, err)
	}
	held, err = s.BeatPoints(ctx, "a")
	if err != nil || fmt.Sprint(held["iris-1"]) != "[2]" {
		t.Errorf("a still holds %v, %v; want only point 2", held, err)
	}

	// Only the owner finishes or releases a point.
	if err := s.FinishPoint(ctx, "iris-1", 1, "a", PointOutcome{Status: StatusSucceeded}); !errors.Is(err, ErrStatus) {
		t.Errorf("a finished the point c took over: %v", err)
	}
	if err := s.FinishPoint(ctx, "iris-1", 1, "c", PointOutcome{Status: StatusFailed, Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleasePoint(ctx, "iris-1", 0, "b"); err != nil {
		t.Fatal(err)
	}
	points, err := s.SweepPoints(ctx, "iris-1")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(points[0].State, points[1].State, points[1].Status, points[1].Error, points[2].State, points[2].Owner)
	if want := "pendingdonefailedboomclaimeda"; got != want {
		t.Errorf("states %s, want %s", got, want)
	}
	if p, err := s.ClaimPoint(ctx, "iris-1", "d", stale, nil); err != nil || p.Index != 0 {
		t.Errorf("a released point is claimed again: %+v, %v", p, err)
	}
}

func TestQueueEnqueueKeepsWhatIsDone(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	enqueueTest(t, s, "iris-1", testPoints(5), false)
	run := createTest(t, s, testKey("5eed", 0), "iris")
	outcomes := []PointOutcome{
		{Status: StatusSucceeded, RunID: run.ID},
		{Status: StatusFailed, Error: "no such column"},
		{Status: StatusPruned, RunID: run.ID},
		{Status: StatusSucceeded}, // its run was deleted
	}
	for i, out := range outcomes {
		if _, err := s.ClaimPoint(ctx, "iris-1", "a", time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishPoint(ctx, "iris-1", i, "a", out); err != nil {
			t.Fatal(err)
		}
	}
	// Again, with point 4's key changed (its data changed): the
	// succeeded and pruned points stay done; the failed one, the one
	// whose run is gone and the changed one are to do, with 4 never done.
	points := testPoints(5)
	points[4].Key = testKey("beef", 4)
	if left := enqueueTest(t, s, "iris-1", points, false); left != 3 {
		t.Errorf("%d left, want 3", left)
	}
	got, _ := s.SweepPoints(ctx, "iris-1")
	for i, want := range []PointState{PointDone, PointPending, PointDone, PointPending, PointPending} {
		if got[i].State != want {
			t.Errorf("point %d is %s, want %s", i, got[i].State, want)
		}
	}
	if got[4].Key != testKey("beef", 4) || got[0].RunID != run.ID {
		t.Errorf("point 4 key %s, point 0 run %d", got[4].Key, got[0].RunID)
	}
	// Fewer points: the rest go. Retrain: every point is to do.
	if left := enqueueTest(t, s, "iris-1", testPoints(2), true); left != 2 {
		t.Errorf("retrain: %d left, want 2", left)
	}
	if got, _ := s.SweepPoints(ctx, "iris-1"); len(got) != 2 {
		t.Errorf("%d points after shrinking to 2", len(got))
	}
}

// Points appended one at a time keep their order; the first of two
// processes appending one index wins, and the second is told its point.
func TestQueueAppendPoint(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	enqueueTest(t, s, "iris-1", testPoints(2), false)
	p := testPoints(4)[2]
	got, err := s.AppendPoint(ctx, "iris-1", p)
	if err != nil || got.Index != 2 || got.Key != p.Key || got.State != PointPending {
		t.Fatalf("append point 2: %+v, %v", got, err)
	}
	other := QueuedPoint{Index: 2, Key: testKey("beef", 2), Params: json.RawMessage(`[]`)}
	if got, err := s.AppendPoint(ctx, "iris-1", other); err != nil || got.Key != p.Key {
		t.Errorf("second append of point 2 gave %+v, %v; want the first one's", got, err)
	}
	if _, err := s.AppendPoint(ctx, "iris-1", testPoints(5)[4]); !errors.Is(err, ErrInvalid) {
		t.Errorf("append point 4 to 3 points: %v, want ErrInvalid", err)
	}
	if qp, err := s.ClaimPoint(ctx, "iris-1", "a", time.Minute, nil); err != nil || qp.Index != 0 {
		t.Fatalf("claim: %+v, %v", qp, err)
	}
	sweeps, err := s.Sweeps(ctx, SweepQuery{})
	if err != nil || len(sweeps) != 1 || sweeps[0].Points != 3 || sweeps[0].Pending != 2 {
		t.Errorf("sweeps after appending: %+v, %v", sweeps, err)
	}
	// A sweep that will have more points than its queue holds is active,
	// even with every queued point done.
	sw := &Sweep{ID: "tpe-1", Experiment: "iris", Metric: "validation.loss", Mode: "min", Points: 8}
	if _, err := s.Enqueue(ctx, sw, testPoints(1), false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimPoint(ctx, "tpe-1", "a", time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishPoint(ctx, "tpe-1", 0, "a", PointOutcome{Status: StatusFailed}); err != nil {
		t.Fatal(err)
	}
	active, err := s.Sweeps(ctx, SweepQuery{Active: true})
	if err != nil || len(active) != 2 || active[0].ID != "tpe-1" || active[0].Points != 8 || active[0].Done != 1 {
		t.Errorf("active sweeps: %+v, %v; want tpe-1 with 1 of 8 done, and iris-1", active, err)
	}
}

func TestQueueConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	const n = 40
	enqueueTest(t, s, "iris-1", testPoints(n), false)
	var (
		mu     sync.Mutex
		claims = map[int]string{}
		wg     sync.WaitGroup
	)
	for w := range 8 {
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				p, err := s.ClaimPoint(ctx, "iris-1", owner, time.Minute, nil)
				if errors.Is(err, ErrNoPoint) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if prev, ok := claims[p.Index]; ok {
					t.Errorf("point %d claimed by %s and %s", p.Index, prev, owner)
				}
				claims[p.Index] = owner
				mu.Unlock()
				if err := s.FinishPoint(ctx, "iris-1", p.Index, owner, PointOutcome{Status: StatusSucceeded}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(claims) != n {
		t.Errorf("%d points claimed, want %d", len(claims), n)
	}
}

func TestSweepsAndFindSweep(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	enqueueTest(t, s, "iris-aaaa11", testPoints(3), false)
	enqueueTest(t, s, "iris-aaaa22", testPoints(2), false)
	if _, err := s.Enqueue(ctx, &Sweep{ID: "credit-bbbb", Experiment: "credit"}, testPoints(1), false); err != nil {
		t.Fatal(err)
	}
	// Finish iris-aaaa22 entirely and one point of iris-aaaa11.
	for _, id := range []string{"iris-aaaa22", "iris-aaaa22", "iris-aaaa11"} {
		p, err := s.ClaimPoint(ctx, id, "a", time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishPoint(ctx, id, p.Index, "a", PointOutcome{Status: StatusFailed}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ClaimPoint(ctx, "iris-aaaa11", "a", time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	active, err := s.Sweeps(ctx, SweepQuery{Active: true, Experiment: "iris"})
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].ID != "iris-aaaa11" || active[0].Done != 1 || active[0].Claimed != 1 ||
		active[0].Pending != 1 || active[0].ByStatus[StatusFailed] != 1 || active[0].Points != 3 {
		t.Errorf("active iris sweeps: %+v", active)
	}
	all, _ := s.Sweeps(ctx, SweepQuery{})
	if len(all) != 3 || all[0].ID != "credit-bbbb" {
		t.Errorf("all sweeps, latest first: %+v", all)
	}

	// churn has runs and no sweep; churn_sweep has a sweep, whose id
	// starts with "churn".
	createTest(t, s, testKey("c4", 1), "churn")
	if _, err := s.Enqueue(ctx, &Sweep{ID: "churn_sweep-cccc", Experiment: "churn_sweep"}, testPoints(1), false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, want string
		err       error
	}{
		{"churn", "", ErrNotFound}, // the experiment, which has no sweep
		{"churn_sweep", "churn_sweep-cccc", nil},
		{"churn_s", "churn_sweep-cccc", nil},
		{"iris-aaaa22", "iris-aaaa22", nil},
		{"iris-aaaa1", "iris-aaaa11", nil},
		{"credit", "credit-bbbb", nil},
		{"iris", "iris-aaaa22", nil}, // the latest sweep of the experiment
		{"iris-aaaa", "", ErrAmbiguous},
		{"wine", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			sw, err := s.FindSweep(ctx, tt.ref)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("err = %v, want %v", err, tt.err)
				}
				if tt.err == ErrAmbiguous && (err == nil || !strings.Contains(err.Error(), "sweep id prefix") || strings.Contains(err.Error(), "run key")) {
					t.Errorf("ambiguous sweep: %v", err)
				}
				return
			}
			if err != nil || sw.ID != tt.want {
				t.Errorf("FindSweep = %v, %v; want %s", sw, err, tt.want)
			}
		})
	}
}

func TestSweepRuns(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	// Point 0 is cached from a run of another sweep; point 1 trained here
	// after a lost attempt, which is listed last.
	other := &Run{Key: testKey("5eed", 0), Experiment: "iris", SweepID: "iris-old"}
	lost := &Run{Key: testKey("5eed", 1), Experiment: "iris", SweepID: "iris-new"}
	mine := &Run{Key: testKey("5eed", 1), Experiment: "iris", SweepID: "iris-new"}
	for _, r := range []*Run{other, lost, mine} {
		if err := s.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	enqueueTest(t, s, "iris-new", testPoints(2), false)
	for i, out := range []PointOutcome{{Status: StatusSucceeded, RunID: other.ID, Cached: true}, {Status: StatusSucceeded, RunID: mine.ID}} {
		if _, err := s.ClaimPoint(ctx, "iris-new", "a", time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishPoint(ctx, "iris-new", i, "a", out); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.SweepRuns(ctx, "iris-new")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint([]int64{other.ID, mine.ID, lost.ID}) {
		t.Errorf("sweep runs %v, want %v", ids, []int64{other.ID, mine.ID, lost.ID})
	}
	// Deleting a point's run clears it from the point, which is then to
	// do again.
	if err := s.DeleteRun(ctx, mine.ID); err != nil {
		t.Fatal(err)
	}
	if left := enqueueTest(t, s, "iris-new", testPoints(2), false); left != 1 {
		t.Errorf("%d left after deleting a point's run, want 1", left)
	}
}

func TestMarkLostProcesses(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	alive, dead, elsewhere := createTest(t, s, testKey("aa", 1), "x"), createTest(t, s, testKey("aa", 2), "x"), createTest(t, s, testKey("aa", 3), "x")
	// Created by a process that died before it started the run.
	unstarted := &Run{Key: testKey("aa", 4), Experiment: "x", PID: 300, Host: "here"}
	if err := s.CreateRun(ctx, unstarted); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		run  *Run
		pid  int
		host string
	}{{alive, 100, "here"}, {dead, 200, "here"}, {elsewhere, 200, "there"}} {
		if err := s.StartRun(ctx, r.run.ID, r.pid, r.host); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.MarkLostProcesses(ctx, "here", func(pid int) bool { return pid == 100 })
	if err != nil || n != 2 {
		t.Fatalf("marked %d, %v; want 2", n, err)
	}
	for _, c := range []struct {
		run  *Run
		want Status
	}{{alive, StatusRunning}, {dead, StatusLost}, {elsewhere, StatusRunning}, {unstarted, StatusLost}} {
		got, _ := s.Run(ctx, c.run.ID)
		if got.Status != c.want {
			t.Errorf("run %d is %s, want %s", c.run.ID, got.Status, c.want)
		}
	}
}

// The Slurm task of a point is recorded by its owner only, read back with
// the point (by SweepPoints and ClaimedPoints), and cleared when the point
// is claimed again.
func TestSetSlurmTasks(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	enqueueTest(t, s, "iris-1", testPoints(3), false)
	for range 2 {
		if _, err := s.ClaimPoint(ctx, "iris-1", "coord", time.Minute, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetSlurmTasks(ctx, "iris-1", "coord", map[int]string{0: "41_0", 1: "41_1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSlurmTasks(ctx, "iris-1", "other", map[int]string{0: "42_0"}); !errors.Is(err, ErrStatus) {
		t.Errorf("another owner set a task: %v, want ErrStatus", err)
	}
	if err := s.SetSlurmTasks(ctx, "iris-1", "coord", map[int]string{2: "41_2"}); !errors.Is(err, ErrStatus) {
		t.Errorf("a pending point got a task: %v, want ErrStatus", err)
	}
	claimed, err := s.ClaimedPoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(claimed[0].SlurmTask, " ", claimed[1].SlurmTask); len(claimed) != 2 || got != "41_0 41_1" {
		t.Errorf("claimed points' tasks %q, want 41_0 41_1", got)
	}
	if err := s.ReleasePoint(ctx, "iris-1", 0, "coord"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimPoint(ctx, "iris-1", "local", time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	points, err := s.SweepPoints(ctx, "iris-1")
	if err != nil {
		t.Fatal(err)
	}
	if points[0].Owner != "local" || points[0].SlurmTask != "" || points[1].SlurmTask != "41_1" {
		t.Errorf("points %+v, %+v: want point 0 claimed by local without a task, point 1 on 41_1", points[0], points[1])
	}
}

// Canceling a sweep marks done, never started, its pending points and the
// claimed ones not in training yet; the point in training is left to its
// run's cancel; the next enqueue makes the canceled points pending again.
func TestCancelSweep(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	enqueueTest(t, s, "iris-c", testPoints(5), false)
	// Point 0 trains (its run is running); point 1 is claimed ahead, not
	// started; points 2 to 4 are pending.
	for range 2 {
		if _, err := s.ClaimPoint(ctx, "iris-c", "me", time.Minute, nil); err != nil {
			t.Fatal(err)
		}
	}
	r := &Run{Key: testKey("5eed", 0), Experiment: "iris", SweepID: "iris-c"}
	if err := s.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.StartRun(ctx, r.ID, 1, "h"); err != nil {
		t.Fatal(err)
	}
	n, err := s.CancelSweep(ctx, "iris-c")
	if err != nil || n != 4 {
		t.Fatalf("CancelSweep = %d, %v; want 4 points", n, err)
	}
	points, err := s.SweepPoints(ctx, "iris-c")
	if err != nil {
		t.Fatal(err)
	}
	if points[0].State != PointClaimed {
		t.Errorf("the point in training is %s", points[0].State)
	}
	for _, p := range points[1:] {
		if p.State != PointDone || p.Status != StatusCanceled || p.Error != NeverStarted {
			t.Errorf("point %d: %s %s %q", p.Index, p.State, p.Status, p.Error)
		}
	}
	for idx, want := range []bool{true, false} {
		if held, err := s.PointHeldBy(ctx, "iris-c", idx, "me"); err != nil || held != want {
			t.Errorf("point %d held = %v, %v; want %v", idx, held, err, want)
		}
	}
	if _, err := s.ClaimPoint(ctx, "iris-c", "other", time.Minute, nil); !errors.Is(err, ErrNoPoint) {
		t.Errorf("claim after the cancel = %v, want ErrNoPoint", err)
	}
	if left := enqueueTest(t, s, "iris-c", testPoints(5), false); left != 5 {
		t.Errorf("after enqueueing again, %d points left, want 5", left)
	}
}
