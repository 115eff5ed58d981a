package runner_test

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// An absurd learning rate overflows the weights in the first steps: the
// run ends diverged, naming the epoch and the first non-finite step, on
// both backends.
func TestDivergedRunNamesEpochAndStep(t *testing.T) {
	const src = `
iris: #Experiment & {
	data: {source: file: "iris.csv", target: "Species"}
	model: layers: [{dense: 16}]
	train: {epochs: 3, batch_size: 16, optimizer: sgd: lr: 1e30}
	device: "cpu"
}
`
	want := regexp.MustCompile(`training diverged: training loss (NaN|\+Inf) at epoch 1, step 2 \(batch 2 of 7 in the epoch\)`)
	for _, backend := range []string{"cpu", "gorgonia"} {
		t.Run(backend, func(t *testing.T) {
			exp, st := setup(t, src)
			res, err := runner.Run(context.Background(), st, exp, runner.Options{Backend: backend, AllowDirty: true})
			if !errors.Is(err, runner.ErrDiverged) {
				t.Fatalf("err = %v, want ErrDiverged", err)
			}
			if !want.MatchString(err.Error()) {
				t.Errorf("err %q does not match %s", err, want)
			}
			if res == nil || res.Run == nil || res.Run.Status != store.StatusDiverged {
				t.Fatalf("run %+v, want status diverged", res)
			}
		})
	}
}
