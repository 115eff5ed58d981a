package runner_test

import (
	"context"
	"testing"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// An asha sweep's rungs: paused after epoch 2, then after epoch 5, then
// trained to the end, a key ends with the weights (sha256) and metrics of
// the same experiment trained start to end.
func TestPauseAndContinueIsUninterrupted(t *testing.T) {
	for _, backend := range []string{"cpu", "gorgonia"} {
		t.Run(backend, func(t *testing.T) {
			want := uninterrupted(t, backend)
			exp, st := setup(t, irisResume)
			ctx := context.Background()
			for _, rung := range []int{2, 5} {
				res, err := runner.Run(ctx, st, exp, runner.Options{Backend: backend, AllowDirty: true, PauseAfter: rung})
				if err != nil {
					t.Fatalf("pause after %d: %v", rung, err)
				}
				r := res.Run
				if r.Status != store.StatusPaused || r.Epoch != rung || r.WeightsSHA256 != "" {
					t.Fatalf("pause after %d: status %s, epoch %d, weights %q", rung, r.Status, r.Epoch, r.WeightsSHA256)
				}
				if !runner.HasCheckpoint(st, r) {
					t.Fatalf("paused after %d without a checkpoint", rung)
				}
				if _, ok := res.Metrics["test"]; ok {
					t.Errorf("a paused run has test metrics: %v", res.Metrics["test"])
				}
			}
			res, err := runner.Run(ctx, st, exp, runner.Options{Backend: backend, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			resumedLike(t, st, res, want)
			if res.Run.ResumedEpoch != 5 {
				t.Errorf("the last run resumed after epoch %d, want 5", res.Run.ResumedEpoch)
			}
			if runner.HasCheckpoint(st, res.Run) {
				t.Error("the finished run left its key's checkpoint")
			}
		})
	}
}
