package sweep

import (
	"testing"

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
