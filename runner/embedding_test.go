package runner_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
	"github.com/xp-ml/xp/predict"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// TestShippedEmbedding trains experiments/churn_embedding.cue as shipped
// (the state a 52×4 table): it must beat always answering "no" (86% of
// the rows) clearly, record the table in its data report, and score the
// whole file again through `xp predict`'s path with the probabilities the
// run recorded for its test rows.
func TestShippedEmbedding(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, f := range []string{"churn_embedding.cue", "data/churn.csv"} {
		raw, err := os.ReadFile(filepath.Join("../experiments", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exps, err := spec.Load(filepath.Join(dir, "churn_embedding.cue"))
	if err != nil {
		var b strings.Builder
		spec.PrintError(&b, err, dir)
		t.Fatal(b.String())
	}
	st, err := store.Open(ctx, filepath.Join(dir, ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	res, err := runner.Run(ctx, st, exps[0], runner.Options{AllowDirty: true, Backend: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	if test := res.Metrics["test"]; test["accuracy"] < 0.9 || test["auc"] < 0.85 {
		t.Errorf("test metrics %v: want accuracy at least 0.9 and auc at least 0.85", test)
	}
	art := st.ArtifactDir(res.Run)
	rep, err := runner.ReadDataReport(art)
	if err != nil {
		t.Fatal(err)
	}
	want := []data.Embedding{{Name: "state", Column: rep.Features - 1, Vocab: 52, Dim: 4}}
	if !slices.Equal(rep.Embeddings, want) {
		t.Errorf("data report embeddings %+v, want %+v", rep.Embeddings, want)
	}
	logText, err := os.ReadFile(filepath.Join(art, "log.txt"))
	if err != nil || !strings.Contains(string(logText), "embeddings state (52×4)") {
		t.Errorf("log does not name the table (%v):\n%s", err, logText)
	}

	recorded, _ := readPredictions(t, filepath.Join(art, runner.TestPredictionsFile))
	p, err := predict.Load(art, res.Run, "")
	if err != nil {
		t.Fatal(err)
	}
	f, err := data.ReadFile(ctx, filepath.Join(dir, "data", "churn.csv"))
	if err != nil {
		t.Fatal(err)
	}
	probs, err := p.Predict(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	var worst float64
	for i, line := range f.Line {
		w, ok := recorded[line]
		if !ok {
			continue
		}
		delete(recorded, line)
		for c := range 2 {
			worst = max(worst, math.Abs(float64(probs[i*2+c]-w[c])))
		}
	}
	// Rows scored in other batches may differ in the last bits.
	if len(recorded) != 0 || worst > 1e-6 {
		t.Errorf("%d recorded test rows not scored; largest difference %g", len(recorded), worst)
	}
}
