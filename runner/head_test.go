package runner_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// setupCredit writes an experiment (src, its data at data/credit_data.csv)
// into a fresh directory with a copy of the shipped credit data, and
// opens a store there.
func setupCredit(t *testing.T, src string) (*spec.Experiment, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	raw, err := os.ReadFile("../experiments/data/credit_data.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "credit_data.csv"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exp.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		var b strings.Builder
		spec.PrintError(&b, err, dir)
		t.Fatal(b.String())
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return exps[0], st
}

// TestShippedRegression trains experiments/amount.cue as shipped: the
// model must explain most of the loan amount's variance on the test
// split, with an rmse well below the amount's standard deviation (474 over
// the file), and write its test predictions in the amount's units.
func TestShippedRegression(t *testing.T) {
	src, err := os.ReadFile("../experiments/amount.cue")
	if err != nil {
		t.Fatal(err)
	}
	exp, st := setupCredit(t, string(src))
	res, err := runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true, Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	test := res.Metrics["test"]
	if test["r2"] < 0.5 || test["rmse"] > 0.75*474 || !(test["mae"] < test["rmse"]) {
		t.Errorf("test metrics %v: want r2 above 0.5 and rmse below 0.75 of the target's std", test)
	}
	if _, ok := test["accuracy"]; ok {
		t.Errorf("a regression measured accuracy: %v", test)
	}
	preds, err := os.ReadFile(filepath.Join(st.ArtifactDir(res.Run), runner.TestPredictionsFile))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(preds)), "\n"); lines[0] != "line,target,predicted" || len(lines) < 800 {
		t.Errorf("test predictions start %q, %d lines", lines[0], len(lines))
	}
	rep, err := runner.ReadDataReport(st.ArtifactDir(res.Run))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Head != "regression" || rep.Loss != "mse" || rep.Scale == nil || math.Abs(rep.Scale.Mean-1039) > 30 {
		t.Errorf("data report: head %q loss %q scale %v", rep.Head, rep.Loss, rep.Scale)
	}
}

const amountNoHead = `
amount: {
	data: {
		source: file: "data/credit_data.csv"
		target: "Amount"
		clean: [{drop_na: {}}]
	}
	model: layers: [{dense: 16}]
	train: {epochs: 3, seed: 2}
	device: "cpu"
	METRICS
}
`

// TestTargetDecidesTheHead: with no head and no loss, a numeric target
// with many values trains a regression with mse and the regression
// metrics; classification metrics written for it are an error at their
// position that names the target.
func TestTargetDecidesTheHead(t *testing.T) {
	exp, st := setupCredit(t, strings.Replace(amountNoHead, "METRICS", "", 1))
	res, err := runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true, Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rmse", "mae", "r2", "loss"} {
		if _, ok := res.Metrics["test"][name]; !ok {
			t.Errorf("test metrics %v lack %s", res.Metrics["test"], name)
		}
	}
	rep, err := runner.ReadDataReport(st.ArtifactDir(res.Run))
	if err != nil || rep.Head != "regression" || rep.Loss != "mse" {
		t.Fatalf("data report %+v, %v", rep, err)
	}

	exp, st = setupCredit(t, strings.Replace(amountNoHead, "METRICS", `metrics: ["accuracy"]`, 1))
	_, err = runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true, Backend: "cpu"})
	var se *spec.FieldError
	if !errors.As(err, &se) || se.Field != "metrics[0]" || !strings.Contains(err.Error(), `target "Amount"`) || !strings.Contains(se.Pos, "exp.cue:11:") {
		t.Fatalf("error %v (%+v), want a SpecError at metrics[0] naming the target", err, se)
	}
}

// TestBinaryHead trains credit scoring with one logit on both backends:
// the binary metrics come from the sigmoid probability, and the two
// backends agree to float32 rounding after a few epochs.
func TestBinaryHead(t *testing.T) {
	const src = `
credit: {
	data: {
		source: file: "data/credit_data.csv"
		target: "Status"
		clean: [{drop_na: {}}]
	}
	model: {layers: [{dense: 16}], head: "binary"}
	train: {epochs: 3, seed: 2, loss: binary_cross_entropy: class_weights: "balanced"}
	metrics: ["accuracy", "auc", "log_loss", "f1"]
	device: "cpu"
}
`
	exp, st := setupCredit(t, src)
	got := map[string]map[string]float64{}
	for _, backend := range []string{"cpu", "gorgonia"} {
		res, err := runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true, Backend: backend})
		if err != nil {
			t.Fatal(err)
		}
		got[backend] = res.Metrics["test"]
		if auc := res.Metrics["test"]["auc"]; auc < 0.75 {
			t.Errorf("%s: test auc %v", backend, auc)
		}
	}
	for name, v := range got["cpu"] {
		if w := got["gorgonia"][name]; math.Abs(v-w) > 2e-3 {
			t.Errorf("test %s: cpu %v, gorgonia %v", name, v, w)
		}
	}
}

// A binary head on a target of more than two classes is an error at
// model.head.
func TestBinaryHeadNeedsTwoClasses(t *testing.T) {
	const src = `
credit: {
	data: {
		source: file: "data/credit_data.csv"
		target: "Home"
		clean: [{drop_na: {}}]
	}
	model: {layers: [{dense: 4}], head: "binary"}
	train: epochs: 1
	device: "cpu"
}
`
	exp, st := setupCredit(t, src)
	_, err := runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true, Backend: "cpu"})
	var se *spec.FieldError
	if !errors.As(err, &se) || se.Field != "model.head" || !strings.Contains(err.Error(), `a binary head needs 2 classes, but "Home" has 6`) {
		t.Fatalf("error %v, want one at model.head", err)
	}
}
