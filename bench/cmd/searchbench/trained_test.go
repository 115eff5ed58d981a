package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/local"
)

// irisProject makes a project whose one experiment sweeps iris's
// learning rate by validation accuracy (mode max).
func irisProject(t *testing.T) string {
	t.Helper()
	return irisProjectWith(t, `method: "random"
		trials: 4`)
}

// irisProjectWith is irisProject with the sweep's method and its fields.
func irisProjectWith(t *testing.T, method string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "experiments", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(filepath.Join("..", "..", "..", "experiments", "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "experiments", "data", "iris.csv"), csv, 0o644); err != nil {
		t.Fatal(err)
	}
	cue := `iris_lr: #Experiment & {
	data: {
		source: file: "data/iris.csv"
		target: "Species"
		split: {test: 0.2, validation: 0.2, seed: 1, stratify: true}
	}
	model: logreg: {}
	train: {epochs: 3, batch_size: 16, seed: 1, optimizer: adam: lr: 0.05}
	metrics: ["accuracy"]
	device: "cpu"
	sweep: {
		` + method + `
		params: "train.optimizer.adam.lr": {log_uniform: [1e-3, 1e-1]}
		metric: "validation.accuracy"
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "experiments", "iris_lr.cue"), []byte(cue), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runsIn(t *testing.T, dir string) int {
	t.Helper()
	runs, err := filepath.Glob(filepath.Join(dir, ".xp", "runs", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// A real experiment's value is its sweep's metric, negated for mode max,
// of the point trained; the store answers the same point again without
// training it, in this process or the next.
func TestTrainedObjective(t *testing.T) {
	dir := irisProject(t)
	ctx := context.Background()
	objs, st, err := loadProject(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	obj, ok := objs["iris_lr"]
	if !ok {
		t.Fatalf("objectives %v, want iris_lr", objectiveNames(objs))
	}
	p := map[string]any{"train.optimizer.adam.lr": 0.03}
	v, err := obj.eval(p)
	if err != nil {
		t.Fatal(err)
	}
	if !(v >= -1 && v < 0) {
		t.Errorf("value %v, want minus a validation accuracy in (0, 1]", v)
	}
	if n := runsIn(t, dir); n != 1 {
		t.Errorf("%d runs after one point, want 1", n)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	objs, st, err = loadProject(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	again, err := objs["iris_lr"].eval(p)
	if err != nil || again != v {
		t.Errorf("the same point again: %v, %v; want %v from the cache", again, err, v)
	}
	if n := runsIn(t, dir); n != 1 {
		t.Errorf("%d runs after the same point twice, want 1", n)
	}
	if _, err := objs["iris_lr"].eval(map[string]any{"train.optimizer.adam.lrr": 0.03}); err == nil {
		t.Error("a point without the sweep's path: no error")
	}
}

// searchbench's TPE is a tpe sweep with parallel 1: run as one by xp
// first, the same seed asks for the same points, with the same run keys
// (the store answers every one: nothing trains again), and finds the same
// values.
func TestSearchIsTheTPESweep(t *testing.T) {
	const seed, trials, startup = 2, 8, 3
	dir := irisProjectWith(t, fmt.Sprintf("method: %q, seed: %d, trials: %d, startup: %d, parallel: 1", "tpe", seed, trials, startup))
	ctx := context.Background()
	exps, err := spec.Load(filepath.Join(dir, "experiments", "iris_lr.cue"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sweep.Run(ctx, st, exps[0], &local.Executor{CPUs: 1},
		sweep.Options{Options: runner.Options{AllowDirty: true}, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	best := math.Inf(1)
	for _, p := range res.Points {
		best = min(best, -p.Value) // mode max
		want = append(want, best)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	trained := runsIn(t, dir)
	if len(want) != trials || trained != trials {
		t.Fatalf("the sweep has %d points and %d runs, want %d", len(want), trained, trials)
	}

	objs, st, err := loadProject(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := search(objs["iris_lr"], "tpe", seed, trials, startup)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("searchbench's best after each trial %v, the sweep's %v", got, want)
	}
	if n := runsIn(t, dir); n != trained {
		t.Errorf("searchbench trained %d points anew: its run keys are not the sweep's", n-trained)
	}
}

// serve writes the spaces, answers each request with the point's value,
// and stops at a bad request with an error line.
func TestServe(t *testing.T) {
	dir := irisProject(t)
	in := strings.NewReader(`{"objective": "iris_lr", "params": {"train.optimizer.adam.lr": 0.03}}
{"objective": "nope", "params": {}}
{"objective": "iris_lr", "params": {"train.optimizer.adam.lr": 0.01}}
`)
	var out strings.Builder
	err := run(context.Background(), []string{"-project", dir, "-serve"}, in, &out)
	if err == nil || !strings.Contains(err.Error(), `unknown objective "nope"`) {
		t.Errorf("err %v, want the unknown objective", err)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	var lines []map[string]json.RawMessage
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("output %q: want spaces, a value and an error", out.String())
	}
	want := `{"iris_lr":{"train.optimizer.adam.lr":{"log_uniform":[0.001,0.1]}}}`
	if got := string(lines[0]["spaces"]); got != want {
		t.Errorf("spaces %s, want %s", got, want)
	}
	var v float64
	if err := json.Unmarshal(lines[1]["value"], &v); err != nil || !(v >= -1 && v < 0) {
		t.Errorf("value %s, want minus a validation accuracy", lines[1]["value"])
	}
	if _, ok := lines[2]["error"]; !ok {
		t.Errorf("third line %v, want an error", lines[2])
	}
	if n := runsIn(t, dir); n != 1 {
		t.Errorf("%d runs, want 1: nothing after the bad request", n)
	}
}
