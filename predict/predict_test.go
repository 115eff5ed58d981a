package predict_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/xp-ml/xp/backends/engine" // registers "cpu"
	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

const irisMLP = `
iris: #Experiment & {
	data: {source: file: "iris.csv", target: "Species"}
	model: layers: [{dense: 8}]
	train: {epochs: 3, batch_size: 16, optimizer: adam: lr: 0.01}
	device: "cpu"
}
`

// trained trains the iris experiment in a new directory and returns the
// run, its artifact directory and the experiment's directory.
func trained(t *testing.T) (*store.Run, string, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	iris, err := os.ReadFile("../experiments/data/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"iris.csv": iris, "exp.cue": []byte(irisMLP)} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exps, err := spec.Load(filepath.Join(dir, "exp.cue"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	res, err := runner.Run(ctx, st, exps[0], runner.Options{Backend: "cpu", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	return res.Run, st.ArtifactDir(res.Run), dir
}

func TestPredict(t *testing.T) {
	ctx := context.Background()
	run, art, dir := trained(t)
	p, err := predict.Load(art, run, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Backend.Name() != "cpu" || p.Note != "" || len(p.Pipeline.Classes) != 3 {
		t.Fatalf("backend %s (note %q), classes %v; want the run's cpu and iris's 3 classes", p.Backend.Name(), p.Note, p.Pipeline.Classes)
	}
	f, err := data.ReadFile(ctx, filepath.Join(dir, "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	probs, err := p.Predict(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 3*f.Len() {
		t.Fatalf("%d probabilities for %d rows", len(probs), f.Len())
	}
	for i := range f.Len() {
		if sum := probs[3*i] + probs[3*i+1] + probs[3*i+2]; math.Abs(float64(sum)-1) > 1e-5 {
			t.Fatalf("row %d: probabilities sum to %v", i, sum)
		}
	}

	t.Run("a column missing", func(t *testing.T) {
		short := filepath.Join(t.TempDir(), "short.csv")
		if err := os.WriteFile(short, []byte("Sepal.Length,Sepal.Width,Petal.Length\n5.1,3.5,1.4\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := data.ReadFile(ctx, short)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Predict(ctx, f); err == nil || !strings.Contains(err.Error(), `"Petal.Width"`) {
			t.Errorf("err = %v, want the missing column named", err)
		}
	})
	t.Run("a backend this xp lacks", func(t *testing.T) {
		other, err := predict.Load(art, run, "tpu")
		if err != nil {
			t.Fatal(err)
		}
		if other.Backend.Name() != "cpu" || !strings.Contains(other.Note, "trained on tpu, which cannot run here") {
			t.Errorf("backend %s, note %q; want the CPU and why", other.Backend.Name(), other.Note)
		}
	})
}

// Load refuses a run that has no model to score with.
func TestLoadRefuses(t *testing.T) {
	run, art, _ := trained(t)
	without := func(name string) string {
		dir := t.TempDir()
		for _, f := range []string{"preprocessing.json", "weights.bin", "spec.json"} {
			if f == name {
				continue
			}
			b, err := os.ReadFile(filepath.Join(art, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	damaged := without("weights.bin")
	if err := os.WriteFile(filepath.Join(damaged, "weights.bin"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	short := store.ShortKey(run.Key)
	failed := *run
	failed.Status = store.StatusFailed
	tests := []struct {
		name string
		dir  string
		run  *store.Run
		want string
	}{
		{"not succeeded", art, &failed, "only a succeeded run has weights"},
		{"no weights", without("weights.bin"), run, "run " + short + "'s weights.bin is missing"},
		{"damaged weights", damaged, run, "run " + short + "'s weights.bin is damaged (load weights"},
		{"no preprocessing", without("preprocessing.json"), run, "run " + short + "'s preprocessing.json is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := predict.Load(tt.dir, tt.run, "")
			if !errors.Is(err, predict.ErrNoModel) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrNoModel naming %q", err, tt.want)
			}
			if tt.run.Status == store.StatusSucceeded && !strings.Contains(err.Error(), "`xp rerun "+short+"` trains the run again") {
				t.Errorf("err = %v, want it to say how to train the run again", err)
			}
		})
	}
}
