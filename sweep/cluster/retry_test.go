package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
)

// scripted is a Scheduler whose task 0 goes through the states of a list,
// one a poll, staying at the last.
type scripted struct {
	batch
	states []State
	polls  int
}

func (s *scripted) Poll(context.Context, string, int) ([]State, error) {
	st := s.states[min(s.polls, len(s.states)-1)]
	s.polls++
	return []State{st}, nil
}

// A scheduler that retries a task (Kubernetes' backoffLimitPerIndex) tells
// its attempt: the attempt followed so far is recorded failed, its curves
// kept, and the next is followed from its own directory as a run of its
// own, which is the point's.
func TestLiveRetry(t *testing.T) {
	ctx := context.Background()
	c, sub := testCoordinator(t)
	c.opts.Poll = 10 * time.Millisecond
	// Attempt 1 trained 2 epochs' points, then its pod was killed; attempt
	// 2 trained the point to the end.
	lines := runTask(t, sub)
	set(t, sub, livePointsFile, []byte(strings.Join([]string{string(lines[0]), string(lines[1])}, "")))
	setRun(t, sub, 1)
	if err := os.Remove(filepath.Join(taskDir(sub.Dir, 0), resultFile)); err != nil {
		t.Fatal(err)
	}
	if err := RunAttempt(ctx, sub.Dir, 0, 1, nil); err != nil {
		t.Fatalf("RunAttempt: %v", err)
	}
	c.sched = &scripted{states: []State{
		{Name: "Running"},
		{Name: "Running", Attempt: 1},
		{Name: "Succeeded", Ended: true, Attempt: 1},
	}}
	if err := c.wait(ctx, sub); err != nil {
		t.Fatal(err)
	}
	runs, err := c.st.ListRuns(ctx, store.ListOptions{Experiment: "iris"})
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %v, %v; want 2, one per attempt", runs, err)
	}
	first, second := runs[1], runs[0] // newest first
	if first.ID > second.ID {
		first, second = second, first
	}
	if first.Status != store.StatusFailed || first.Error != "batch attempt 1 failed (no result); retried as attempt 2" {
		t.Errorf("attempt 1: %s %q, want failed, retried as attempt 2", first.Status, first.Error)
	}
	if n := sweeptest.CountPoints(t, c.st, first.ID); n != 2 {
		t.Errorf("attempt 1 kept %d points, want the 2 it wrote", n)
	}
	if second.Status != store.StatusSucceeded || len(second.Summary["test"]) == 0 {
		t.Errorf("attempt 2: %s with test metrics %v, want succeeded with them", second.Status, second.Summary["test"])
	}
	var tr TaskResult
	if err := readJSON(filepath.Join(AttemptDir(sub.Dir, 0, 1), resultFile), &tr); err != nil {
		t.Fatal(err)
	}
	if n := sweeptest.CountPoints(t, c.st, second.ID); n != len(tr.Points) {
		t.Errorf("attempt 2 has %d points, want its result's %d, each once", n, len(tr.Points))
	}
	points, err := c.st.SweepPoints(ctx, c.plan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := points[0]; p.Status != store.StatusSucceeded || p.RunID != second.ID {
		t.Errorf("point 0: %s, run %d; want succeeded by attempt 2's run %d", p.Status, p.RunID, second.ID)
	}
}
