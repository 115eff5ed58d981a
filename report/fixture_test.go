package report

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// fixture is a store built in the test: two binary credit runs that
// differ in their learning rate, a multiclass iris run, a regression, a
// run pulled without its artifacts, and a 12-point sweep with a pruned and
// a failed point. Everything in it comes from seeded generators, so the
// figures drawn from it are the same on every machine.
type fixture struct {
	st                                    *store.Store
	credit, credit2, iris, amount, pulled *store.Run
	sweep                                 *Sweep
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st}
	f.credit = f.classifier(t, "credit", 1, 0.001, []string{"bad", "good"}, 1)
	f.credit2 = f.classifier(t, "credit", 2, 0.003, []string{"bad", "good"}, 2)
	f.iris = f.classifier(t, "iris", 3, 0.01, []string{"setosa", "versicolor", "virginica"}, 3)
	f.amount = f.regression(t, 4)
	f.pulled = f.newRun(t, "credit", 5, map[string]any{"train": map[string]any{"optimizer": map[string]any{"adam": map[string]any{"lr": 0.001}}}}, store.StatusSucceeded)
	f.curves(t, f.pulled, 5, 10, "loss")
	if err := st.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET remote = 'team' WHERE id = ?`, f.pulled.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.pulled.Remote = "team"
	f.sweep = f.newSweep(t)
	return f
}

// key is a run key, or another sha256, made from seed.
func key(seed int) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(strconv.Itoa(seed))))
}

var targets = map[string]string{"credit": "Status", "iris": "Species", "amount": "Amount"}

func (f *fixture) newRun(t *testing.T, exp string, seed int, sp map[string]any, status store.Status) *store.Run {
	t.Helper()
	ctx := context.Background()
	specJSON, err := json.Marshal(map[string]any{"data": map[string]any{"source": map[string]any{"file": "data/" + exp + ".csv"}, "target": targets[exp]}, "model": map[string]any{"layers": []any{map[string]any{"dense": 16}}}, "train": sp["train"]})
	if err != nil {
		t.Fatal(err)
	}
	prov, err := json.Marshal(provenance.Record{InRepo: true, Commit: key(3000 + seed)[:40], Branch: "main",
		Data: &provenance.SourceFile{Path: "experiments/data/" + exp + ".csv", Blob: key(4000 + seed)[:40]},
		Host: "box", User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	r := &store.Run{Key: key(seed), Experiment: exp, SpecHash: key(1000 + seed), Spec: specJSON,
		DataHashes: map[string]string{"source": key(2000 + seed)}, Backend: "engine", Device: "cpu",
		Status: store.StatusRunning, Epoch: 10, Epochs: 10, Provenance: prov, StartedAt: t0}
	if err := f.st.CreateRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	timing := json.RawMessage(`{"total_seconds":1.5,"train_seconds":1.25,"samples_per_sec":250000}`)
	if err := f.st.FinishRun(ctx, r.ID, status, "", "", timing); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// curves records a train and a validation curve per metric over epochs,
// falling (a loss) or rising (the others) with some noise, and test values.
func (f *fixture) curves(t *testing.T, r *store.Run, seed, epochs int, metrics ...string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	var pts []store.Point
	for _, m := range metrics {
		for e := 1; e <= epochs; e++ {
			for _, split := range []string{store.SplitTrain, store.SplitValidation} {
				v := 0.3 + 0.5*math.Exp(-float64(e)/4) + 0.02*rng.Float64()
				if m != "loss" && m != "rmse" {
					v = 1 - v
				}
				if split == store.SplitValidation {
					v += 0.03
				}
				pts = append(pts, store.Point{Split: split, Name: m, Epoch: e, Value: round(v), Time: t0})
			}
		}
		pts = append(pts, store.Point{Split: store.SplitTest, Name: m, Epoch: epochs, Value: round(0.5 + 0.3*rng.Float64()), Time: t0})
	}
	if err := f.st.AddPoints(context.Background(), r.ID, pts); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Run(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	*r = *got
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func lrSpec(lr float64) map[string]any {
	return map[string]any{"train": map[string]any{"optimizer": map[string]any{"adam": map[string]any{"lr": lr}}}}
}

// classifier is a run with curves, test predictions of 200 rows (the
// right class scored higher, mostly) and their confusion matrix.
func (f *fixture) classifier(t *testing.T, exp string, seed int, lr float64, classes []string, skill float64) *store.Run {
	t.Helper()
	r := f.newRun(t, exp, seed, lrSpec(lr), store.StatusSucceeded)
	f.curves(t, r, seed, 10, "loss", "accuracy")
	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	k := len(classes)
	var b strings.Builder
	b.WriteString("line,label,predicted")
	for _, c := range classes {
		b.WriteString(",p_" + c)
	}
	b.WriteString("\n")
	counts := make([][]int, k)
	for i := range counts {
		counts[i] = make([]int, k)
	}
	for i := range 200 {
		y := rng.IntN(k)
		scores := make([]float64, k)
		sum := 0.0
		for c := range scores {
			scores[c] = math.Exp(rng.NormFloat64())
			if c == y {
				scores[c] *= math.Exp(skill)
			}
			sum += scores[c]
		}
		pred := 0
		for c := range scores {
			scores[c] = round(scores[c] / sum)
			if scores[c] > scores[pred] {
				pred = c
			}
		}
		counts[y][pred]++
		fmt.Fprintf(&b, "%d,%s,%s", i+2, classes[y], classes[pred])
		for _, s := range scores {
			b.WriteString("," + strconv.FormatFloat(s, 'g', -1, 64))
		}
		b.WriteString("\n")
	}
	dir := f.st.ArtifactDir(r)
	writeFile(t, filepath.Join(dir, runner.TestPredictionsFile), b.String())
	conf, err := json.Marshal(runner.Confusion{Classes: classes, Counts: counts})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, runner.ConfusionFile), string(conf))
	return r
}

func (f *fixture) regression(t *testing.T, seed int) *store.Run {
	t.Helper()
	r := f.newRun(t, "amount", seed, lrSpec(0.001), store.StatusSucceeded)
	f.curves(t, r, seed, 10, "loss", "rmse")
	rng := rand.New(rand.NewPCG(uint64(seed), 3))
	var b strings.Builder
	b.WriteString("line,target,predicted\n")
	for i := range 150 {
		y := round(1000 + 400*rng.NormFloat64())
		fmt.Fprintf(&b, "%d,%g,%g\n", i+2, y, round(0.8*y+200+120*rng.NormFloat64()))
	}
	writeFile(t, filepath.Join(f.st.ArtifactDir(r), runner.TestPredictionsFile), b.String())
	return r
}

// newSweep records 12 points over lr (log-spaced), width (categories) and
// batch size (a linear axis): point 10 was pruned, point 11 failed before
// it recorded a run.
func (f *fixture) newSweep(t *testing.T) *Sweep {
	t.Helper()
	ctx := context.Background()
	sw := &store.Sweep{ID: "5eed5eed5eed", Experiment: "credit", SpecHash: key(99), Method: "grid",
		Metric: "validation.accuracy", Mode: sweep.ModeMax}
	lrs, widths := []float64{0.0001, 0.001, 0.01, 0.1}, []string{`"narrow"`, `"medium"`, `"wide"`}
	var queued []store.QueuedPoint
	for i := range 12 {
		params, err := json.Marshal([]spec.Param{
			{Path: "train.optimizer.adam.lr", Value: json.RawMessage(strconv.FormatFloat(lrs[i%4], 'g', -1, 64))},
			{Path: "model.width", Value: json.RawMessage(widths[i/4])},
			{Path: "train.batch_size", Value: json.RawMessage(strconv.Itoa(16 + 16*(i%3)))},
		})
		if err != nil {
			t.Fatal(err)
		}
		queued = append(queued, store.QueuedPoint{Index: i, Key: key(100 + i), Params: params})
	}
	if _, err := f.st.Enqueue(ctx, sw, queued, false); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		p, err := f.st.ClaimPoint(ctx, sw.ID, "test", time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := store.PointOutcome{Status: store.StatusSucceeded}
		switch i {
		case 11:
			out = store.PointOutcome{Status: store.StatusFailed, Error: "out of memory"}
		default:
			status := store.StatusSucceeded
			if i == 10 {
				status = store.StatusPruned
			}
			r := f.newRun(t, "credit", 100+i, lrSpec(lrs[i%4]), status)
			lr := math.Log10(lrs[i%4])
			acc := round(0.8 - 0.02*(lr+2.5)*(lr+2.5) + 0.01*float64(i/4))
			if err := f.st.AddPoints(ctx, r.ID, []store.Point{{Split: store.SplitValidation, Name: "accuracy", Epoch: 10, Value: acc, Time: t0}}); err != nil {
				t.Fatal(err)
			}
			out.Status, out.RunID = status, r.ID
			if err := f.st.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE runs SET sweep_id = ? WHERE id = ?`, sw.ID, r.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.st.FinishPoint(ctx, sw.ID, p.Index, "test", out); err != nil {
			t.Fatal(err)
		}
	}
	points, err := sweep.ReadPoints(ctx, f.st, sw.ID, sw.Metric)
	if err != nil {
		t.Fatal(err)
	}
	return &Sweep{Sweep: sw, Metric: sw.Metric, Mode: sw.Mode, Points: points}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
