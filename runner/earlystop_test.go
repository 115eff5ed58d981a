package runner_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/xp-ml/xp/runner"
)

const irisEarly = `
iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
		split: {test: 0.2, validation: 0.3, seed: 3}
	}
	model: layers: [{dense: 32}]
	train: {
		epochs: EPOCHS, batch_size: 8, seed: 2
		optimizer: adam: lr: 0.05
		STOP
	}
	metrics: ["accuracy", "auc"]
	device: "cpu"
}
`

// An early-stopped run ends patience epochs after its best epoch, reports
// that epoch's validation metrics, and saves exactly the weights a run
// trained for that many epochs ends with (same seeds, same trajectory).
func TestEarlyStoppingKeepsTheBestEpoch(t *testing.T) {
	ctx := context.Background()
	for _, backend := range []string{"cpu", "gorgonia"} {
		t.Run(backend, func(t *testing.T) {
			src := strings.NewReplacer("EPOCHS", "60", "STOP", `early_stopping: {metric: "val.loss", patience: 3, min_delta: 0.001}`).Replace(irisEarly)
			exp, st := setup(t, src)
			res, err := runner.Run(ctx, st, exp, runner.Options{Backend: backend, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			pts, err := st.Points(ctx, res.Run.ID, "validation", "loss")
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) >= 60 {
				t.Fatalf("%d epochs: never stopped", len(pts))
			}
			best := 0
			for i, p := range pts {
				if p.Value < pts[best].Value-0.001 {
					best = i
				}
			}
			t.Logf("best epoch %d of %d", best+1, len(pts))
			if got, want := len(pts), best+1+3; got != want {
				t.Errorf("stopped after %d epochs, want best %d + patience 3", got, best+1)
			}
			if v := res.Metrics["validation"]["loss"]; v != pts[best].Value {
				t.Errorf("final validation loss %v, best epoch's %v", v, pts[best].Value)
			}

			plain := strings.NewReplacer("EPOCHS", strconv.Itoa(best+1), "STOP", "").Replace(irisEarly)
			exp2, st2 := setup(t, plain)
			ref, err := runner.Run(ctx, st2, exp2, runner.Options{Backend: backend, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Run.WeightsSHA256 != ref.Run.WeightsSHA256 {
				t.Errorf("saved weights %s, a run of %d epochs ends with %s", res.Run.WeightsSHA256, best+1, ref.Run.WeightsSHA256)
			}
			if a, b := res.Metrics["test"]["accuracy"], ref.Metrics["test"]["accuracy"]; a != b {
				t.Errorf("test accuracy %v, the best epoch's weights give %v", a, b)
			}
		})
	}
}
