package tui

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// ashaCue is an asha sweep of four learning rates over rungs of 20, 40
// and 80 epochs, as `xp run` reads it from the project.
const ashaCue = `asha: #Experiment & {
	data: {
		source: file: "data/iris.csv"
		target: "Species"
	}
	model: layers: [{dense: 8}]
	train: {epochs: 80, batch_size: 1}
	device: "cpu"
	sweep: {
		method:           "asha"
		min_epochs:       20
		reduction_factor: 2
		params: "train.optimizer.adam.lr": [0.0003, 0.001, 0.003, 0.01]
	}
}
`

// An asha sweep's page shows, as `xp ls --sweep` does, a column for its
// parameter and its metric, the best point marked, and each point's rung:
// paused at it, promoted from it, or the one it trains in now.
func TestSweepPointsRungs(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, spec.ExperimentsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, spec.ExperimentsDir, "asha.cue"), []byte(ashaCue), 0o644); err != nil {
		t.Fatal(err)
	}
	exp, err := spec.Find(root, "asha")
	if err != nil {
		t.Fatal(err)
	}
	id := exp.SweepID()
	st := testStore(t)
	ctx := context.Background()
	var runs []*store.Run
	for i, f := range []fixture{
		{status: store.StatusPaused, done: 20, quality: 0.1},     // stopped at rung 1
		{status: store.StatusPaused, done: 40, quality: 0.3},     // promoted from rung 2
		{status: store.StatusSucceeded, done: 80, quality: 0.35}, // the last rung, the best
		{status: store.StatusRunning, done: 25, quality: 0.2},    // training towards rung 2
	} {
		f.name, f.experiment, f.sweep, f.epochs = "asha-"+string(rune('a'+i)), "asha", id, 80
		f.lr = []float64{0.0003, 0.001, 0.003, 0.01}[i]
		f.startedAgo, f.took = time.Hour, 10*time.Minute
		runs = append(runs, addRun(t, st, f))
	}
	enqueueSweepOf(t, st, spec.MethodASHA, id, "validation.loss", "min", runs)
	if n, err := st.PromotePoints(ctx, id, []store.Promotion{{Index: 1, RunID: runs[1].ID}}); err != nil || n != 1 {
		t.Fatalf("promote point 1: %d, %v", n, err)
	}

	m := newTestModelIn(t, st, root, 120, 40)
	press(m, "W")
	s := screen(m)
	for _, want := range []string{
		`(?m)^  POINT KEY +RUN STATUS +RUNG +LR +VALIDATION.LOSS +$`,
		`(?m)^★ +2 ` + runs[2].Short() + ` +#3 ✓ succeeded 3/3 +0\.003 +0\.3887 +$`,
		`(?m)^ +0 ` + runs[0].Short() + ` +#1 = paused +1/3 paused +0\.0003 +0\.425 +$`,
		`(?m)^ +1 ` + runs[1].Short() + ` +#2 • pending +2/3 promoted 0\.001 +0\.3975 +$`,
		`(?m)^ +3 ` + runs[3].Short() + ` +#4 • running +2/3 +0\.01 +0\.412 +$`,
	} {
		if !regexp.MustCompile(want).MatchString(s) {
			t.Errorf("no line matching %q:\n%s", want, s)
		}
	}

	// Without the project, the same points show no rungs.
	m = newTestModel(t, st, 120, 40)
	press(m, "W")
	if s := screen(m); strings.Contains(s, "RUNG") || !strings.Contains(s, "★     2 "+runs[2].Short()) {
		t.Errorf("without a project root: want the points without RUNG:\n%s", s)
	}
}
