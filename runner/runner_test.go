package runner_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/xp-ml/xp/backends/engine"
	_ "github.com/xp-ml/xp/backends/gorgonia"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sysmetric"
)

const irisMLP = `
iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
		clean: [{drop_duplicates: {}}]
	}
	model: layers: [{dense: 16}, {dropout: 0.1}]
	train: {epochs: 8, batch_size: 16, optimizer: adam: lr: 0.01}
	metrics: ["accuracy", "log_loss", "auc"]
	device: "cpu"
}
`

// setup writes an experiment next to a copy of the shipped iris data and
// opens a fresh store.
func setup(t testing.TB, src string) (*spec.Experiment, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	iris, err := os.ReadFile("../experiments/data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "iris.csv"), iris, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "exp.cue"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return exps[0], st
}

func TestRunTwiceIsBitwiseIdentical(t *testing.T) {
	exp, st := setup(t, irisMLP)
	ctx := context.Background()
	for _, backend := range []string{"gorgonia", "cpu"} {
		t.Run(backend, func(t *testing.T) {
			a, err := runner.Run(ctx, st, exp, runner.Options{Backend: backend, Force: true, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			b, err := runner.Run(ctx, st, exp, runner.Options{Backend: backend, Force: true, AllowDirty: true})
			if err != nil {
				t.Fatal(err)
			}
			if a.Run.ID == b.Run.ID || a.Run.Key != b.Run.Key {
				t.Fatalf("runs %d and %d, keys %s and %s: want two runs of one key", a.Run.ID, b.Run.ID, a.Run.Key, b.Run.Key)
			}
			if a.Run.WeightsSHA256 == "" || a.Run.WeightsSHA256 != b.Run.WeightsSHA256 {
				t.Errorf("weights %q and %q differ", a.Run.WeightsSHA256, b.Run.WeightsSHA256)
			}
			for split, ms := range a.Metrics {
				for name, v := range ms {
					if w := b.Metrics[split][name]; w != v {
						t.Errorf("%s %s: %v then %v", split, name, v, w)
					}
				}
			}
			if acc := a.Metrics["test"]["accuracy"]; acc < 0.8 {
				t.Errorf("test accuracy %v: the model did not learn", acc)
			}
			pa, _ := st.Points(ctx, a.Run.ID, "validation", "loss")
			pb, _ := st.Points(ctx, b.Run.ID, "validation", "loss")
			if len(pa) != 8 || len(pb) != 8 {
				t.Fatalf("%d and %d validation loss points, want 8", len(pa), len(pb))
			}
			for i := range pa {
				if pa[i].Value != pb[i].Value {
					t.Errorf("epoch %d validation loss %v then %v", i+1, pa[i].Value, pb[i].Value)
				}
			}
			if _, err := os.Stat(filepath.Join(st.ArtifactDir(a.Run), "weights.bin")); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRunIsCached(t *testing.T) {
	exp, st := setup(t, irisMLP)
	ctx := context.Background()
	first, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || !second.Cached || second.Run.ID != first.Run.ID {
		t.Errorf("cached = %v, %v; ids %d, %d", first.Cached, second.Cached, first.Run.ID, second.Run.ID)
	}
	if second.Metrics["test"]["accuracy"] != first.Metrics["test"]["accuracy"] {
		t.Errorf("cached metrics %v, trained %v", second.Metrics, first.Metrics)
	}
}

func TestCancelRecordsCanceledRun(t *testing.T) {
	exp, st := setup(t, irisMLP)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := runner.Run(ctx, st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true, Events: func(e runner.Event) {
		if e.Kind == runner.EventEpoch && e.Epoch == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if res == nil || res.Run == nil {
		t.Fatal("no run recorded")
	}
	got, err := st.Run(context.Background(), res.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusCanceled || got.Epoch != 2 {
		t.Errorf("status %s at epoch %d, want canceled at 2", got.Status, got.Epoch)
	}
	pts, _ := st.Points(context.Background(), got.ID, "train", "loss")
	if len(pts) != 2 {
		t.Errorf("%d train loss points kept, want the 2 recorded before the cancel", len(pts))
	}
}

func TestSpecErrorsPointAtTheField(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown target", strings.Replace(irisMLP, `target: "Species"`, `target: "Specis"`, 1),
			[]string{"exp.cue:5:", "data.target", `"Specis"`, `did you mean "Species"`}},
		{"rule removes everything", strings.Replace(irisMLP, `clean: [{drop_duplicates: {}}]`,
			`clean: [{filter: {column: "Sepal.Length", op: ">", value: 100}}]`, 1),
			[]string{"exp.cue:6:", "data.clean[0]", "removed all"}},
		{"missing data file", strings.Replace(irisMLP, `file: "iris.csv"`, `file: "nope.csv"`, 1),
			[]string{"exp.cue:4:", "nope.csv", "no such file"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, st := setup(t, tc.src)
			_, err := runner.Run(context.Background(), st, exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestSystemMetrics: a training run records the process's CPU share and
// memory as points of split "system", sampled while it trains and once
// at its end, and no GPU figures on the CPU.
func TestSystemMetrics(t *testing.T) {
	defer runner.SetSystemEvery(20 * time.Millisecond)()
	exp, st := setup(t, strings.Replace(irisMLP, "epochs: 8, batch_size: 16", "epochs: 60, batch_size: 4", 1))
	res, err := runner.Run(context.Background(), st, exp, runner.Options{AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{sysmetric.CPUPercent, sysmetric.RSSMB} {
		pts, err := st.Points(context.Background(), res.Run.ID, store.SplitSystem, name)
		if err != nil {
			t.Fatal(err)
		}
		if len(pts) < 2 {
			t.Fatalf("%s: %d points; want samples during training and one at its end", name, len(pts))
		}
		for i, p := range pts {
			if p.Value <= 0 || p.Time.IsZero() || (i > 0 && p.Time.Before(pts[i-1].Time)) {
				t.Errorf("%s point %d: %+v", name, i, p)
			}
		}
	}
	if pts, _ := st.Points(context.Background(), res.Run.ID, store.SplitSystem, sysmetric.GPUUtilPercent); len(pts) > 0 {
		t.Errorf("a CPU run recorded GPU utilisation: %v", pts)
	}
}
