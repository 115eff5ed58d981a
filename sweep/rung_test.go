package sweep

import (
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

func TestRunRung(t *testing.T) {
	rungs := []int{20, 40, 80}
	run := func(status store.Status, epoch, resumedEpoch int) *store.Run {
		r := &store.Run{Status: status, Epoch: epoch, Epochs: 80, ResumedEpoch: resumedEpoch}
		if resumedEpoch > 0 {
			r.ResumedFrom = 1
		}
		return r
	}
	tests := []struct {
		name string
		run  *store.Run
		held store.PointState
		want string
	}{
		{"paused at the first rung, not promoted", run(store.StatusPaused, 20, 0), store.PointDone, "1/3 paused"},
		{"paused at the first rung, promoted", run(store.StatusPaused, 20, 0), store.PointPending, "1/3 promoted"},
		{"paused at the second, promoted, in training", run(store.StatusPaused, 40, 20), store.PointClaimed, "2/3 promoted"},
		{"succeeded at the last rung", run(store.StatusSucceeded, 80, 40), store.PointDone, "3/3"},
		{"in training to the second, just resumed", run(store.StatusRunning, 20, 20), store.PointClaimed, "2/3"},
		{"failed in its first rung", run(store.StatusFailed, 3, 0), store.PointDone, "1/3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RunRung(rungs, tt.run, tt.held).String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := RunRung(rungs, run(store.StatusPaused, 40, 20), store.PointDone); got != (Rung{Rung: 2, Of: 3, Epochs: 40, State: RungPaused}) {
		t.Errorf("paused at 40: %+v", got)
	}
}

func TestTrainsTo(t *testing.T) {
	rungs := []int{20, 40, 80}
	tests := []struct {
		name string
		run  *store.Run
		want Rung
	}{
		{"a new point: the first rung", nil, Rung{Rung: 1, Of: 3, Epochs: 20}},
		{"promoted from the first", &store.Run{Status: store.StatusPaused, Epoch: 20, Epochs: 80}, Rung{Rung: 2, Of: 3, Epochs: 40}},
		{"promoted from the second", &store.Run{Status: store.StatusPaused, Epoch: 40, Epochs: 80}, Rung{Rung: 3, Of: 3, Epochs: 80}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TrainsTo(rungs, tt.run); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A run's rung label says which of its point's rungs it reached, and for a
// paused run whether its point stopped there or went on.
func TestRungLabel(t *testing.T) {
	rungs := func(epochs int) []int { return []int{3, 9, epochs} }
	run := func(epoch int, st store.Status) *store.Run {
		return &store.Run{Epoch: epoch, Epochs: 27, Status: st}
	}
	for _, tc := range []struct {
		name  string
		rungs func(int) []int
		run   *store.Run
		held  store.PointState
		want  string
	}{
		{"paused at its first rung", rungs, run(3, store.StatusPaused), store.PointDone, "1/3 paused"},
		{"promoted from its second", rungs, run(9, store.StatusPaused), store.PointPending, "2/3 promoted"},
		{"training towards its second", rungs, run(5, store.StatusRunning), store.PointClaimed, "2/3"},
		{"finished at the last", rungs, run(27, store.StatusSucceeded), store.PointDone, "3/3"},
		{"no rungs", nil, run(27, store.StatusSucceeded), store.PointDone, "-"},
		{"no run", rungs, nil, store.PointPending, "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RungLabel(tc.rungs, tc.run, tc.held); got != tc.want {
				t.Errorf("RungLabel = %q, want %q", got, tc.want)
			}
		})
	}
}

// A point reads as its queue state until done, running while its run
// trains; the columns are every parameter any point names, in order.
func TestStandingAndParamPaths(t *testing.T) {
	running := &store.Run{Status: store.StatusRunning}
	for _, tc := range []struct {
		p    PointResult
		want store.Status
	}{
		{PointResult{State: store.PointPending}, "pending"},
		{PointResult{State: store.PointClaimed, Run: running}, store.StatusRunning},
		{PointResult{State: store.PointDone, Status: store.StatusPruned, Run: running}, store.StatusPruned},
	} {
		if got := tc.p.Standing(); got != tc.want {
			t.Errorf("Standing of %+v = %q, want %q", tc.p, got, tc.want)
		}
	}
	points := []PointResult{
		{Params: []spec.Param{{Path: "train.lr"}}},
		{Params: []spec.Param{{Path: "train.lr"}, {Path: "model.width"}}},
	}
	if got := ParamPaths(points); len(got) != 2 || got[0] != "train.lr" || got[1] != "model.width" {
		t.Errorf("ParamPaths = %v, want [train.lr model.width]", got)
	}
}
