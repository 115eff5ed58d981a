package runner

import (
	"math"
	"strings"
	"testing"

	"github.com/xp-ml/xp/model"
)

func TestEarlyStopConfig(t *testing.T) {
	tests := []struct {
		name, stop string
		hasVal     bool
		wantErr    string
		lower      bool
	}{
		{"val alias, loss is min", `{metric: "val.loss"}`, true, "", true},
		{"auc is max", `{metric: "validation.auc"}`, true, "", false},
		{"mode overrides", `{metric: "validation.accuracy", mode: "min"}`, true, "", true},
		{"train loss", `{metric: "train.loss"}`, false, "", true},
		{"not computed", `{metric: "validation.f1"}`, true, `"f1" is not computed`, false},
		{"no validation rows", `{metric: "val.auc"}`, false, "needs a validation split", false},
		{"train has only loss", `{metric: "train.auc"}`, true, `only "loss"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadSpec(t, "model: logreg: {}\n\tmetrics: [\"accuracy\", \"auc\"]\n\ttrain: early_stopping: "+tt.stop)
			e, err := newEarlyStop(s, tt.hasVal)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.lower != tt.lower || e.patience != 5 {
				t.Errorf("lower %v patience %d, want %v and the default 5", e.lower, e.patience, tt.lower)
			}
		})
	}
}

func TestEarlyStopObserve(t *testing.T) {
	e := &earlyStop{split: "validation", name: "auc", patience: 2, minDelta: 0.01}
	copies := 0
	params := func() *model.Params { copies++; return &model.Params{} }
	steps := []struct {
		auc  float64
		stop bool
	}{
		{math.NaN(), false}, // never the best
		{0.80, false},       // first finite value: best
		{0.805, false},      // within min_delta: stale 1
		{0.85, false},       // best
		{0.84, false},       // stale 1
		{math.NaN(), true},  // stale 2: stop
	}
	for i, s := range steps {
		if got := e.observe(i+1, 0, map[string]float64{"auc": s.auc}, params); got != s.stop {
			t.Fatalf("epoch %d: stop %v, want %v", i+1, got, s.stop)
		}
	}
	if e.bestEpoch != 4 || e.best != 0.85 || copies != 2 {
		t.Errorf("best %v at epoch %d after %d copies; want 0.85 at 4 after 2", e.best, e.bestEpoch, copies)
	}
}
