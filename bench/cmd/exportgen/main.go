// Command exportgen fills a new xp store with many synthetic runs and
// points, fast, for measuring xp export (bench/export.sh): each run has a
// resolved spec of the credit example's shape with its own learning rate,
// width, dropout and seed (so every run has its own spec hash, the export's
// worst case), provenance, timing, and curves of train and validation loss
// and accuracy with their summaries, as xp writes them.
//
//	exportgen -dir DIR -runs 100000 -points 50
package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/xp-ml/xp/store"
)

func main() {
	dir := flag.String("dir", "", "the project directory: DIR/.xp is created")
	runs := flag.Int("runs", 100000, "runs to create")
	points := flag.Int("points", 50, "points per run (train and validation loss and accuracy by epoch, then test)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "exportgen: -dir is required")
		os.Exit(2)
	}
	start := time.Now()
	if err := generate(context.Background(), filepath.Join(*dir, ".xp"), *runs, *points); err != nil {
		fmt.Fprintln(os.Stderr, "exportgen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "exportgen: %d runs, %d points in %s\n", *runs, *runs**points, time.Since(start).Round(time.Millisecond))
}

// batch is how many runs one transaction writes.
const batch = 2000

func generate(ctx context.Context, xpDir string, runs, points int) error {
	st, err := store.Open(ctx, xpDir)
	if err != nil {
		return err
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for first := 0; first < runs; first += batch {
		err := st.Tx(ctx, func(tx *sql.Tx) error {
			w, err := newWriter(ctx, tx)
			if err != nil {
				return err
			}
			defer w.close()
			for i := first; i < min(first+batch, runs); i++ {
				if err := w.run(ctx, rng, i, points, t0.Add(time.Duration(i)*time.Second)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

type writer struct {
	runStmt, point, summary *sql.Stmt
}

func newWriter(ctx context.Context, tx *sql.Tx) (*writer, error) {
	run, err := tx.PrepareContext(ctx, `INSERT INTO runs (key, experiment, spec_hash, spec, data_hashes,
		backend, device, status, error, epoch, epochs, provenance, dirty, sweep_id, weights_sha256, timing,
		pid, host, created, started, finished, heartbeat, cancel_requested, forced, resumed_epoch, uid)
		VALUES (?, 'credit', ?, ?, ?, 'cpu', 'cpu', 'succeeded', '', ?, ?, ?, 0, '', ?, ?, 0, 'box', ?, ?, ?, ?, 0, 0, 0, ?)
		RETURNING id`)
	if err != nil {
		return nil, err
	}
	point, err := tx.PrepareContext(ctx, `INSERT INTO points (run_id, split, name, epoch, step, value, time)
		VALUES (?, ?, ?, ?, 0, ?, ?)`)
	if err != nil {
		return nil, err
	}
	summary, err := tx.PrepareContext(ctx, `INSERT INTO summaries (run_id, split, name, last, last_epoch,
		last_step, best, best_epoch, count) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	return &writer{run, point, summary}, nil
}

func (w *writer) close() {
	w.runStmt.Close()
	w.point.Close()
	w.summary.Close()
}

func hash(parts ...any) string {
	s := sha256.Sum256([]byte(fmt.Sprint(parts...)))
	return hex.EncodeToString(s[:])
}

func (w *writer) run(ctx context.Context, rng *rand.Rand, i, points int, created time.Time) error {
	lr := math.Pow(10, -4+3*rng.Float64())
	width := []int{16, 32, 64, 128}[rng.IntN(4)]
	dropout := math.Round(rng.Float64()*50) / 100
	spec, err := json.Marshal(creditSpec(lr, width, dropout, i))
	if err != nil {
		return err
	}
	epochs := (points - 2) / 4
	prov := fmt.Sprintf(`{"spec_file":"experiments/credit.cue","in_repo":true,"commit":"%s","branch":"main","dirty":false,`+
		`"spec_path":"experiments/credit.cue","files":[{"path":"experiments/credit.cue","blob":"%s"}],`+
		`"data":{"path":"experiments/data/credit_data.csv","blob":"%s","sha256":"%s"},"host":"box","user":"ada",`+
		`"os":"linux","arch":"amd64","go_version":"go1.26.8","xp_version":"dev","backend":"engine","device":"cpu",`+
		`"backend_version":"engine/2 cpu"}`, hash("c", i/1000)[:40], hash("b", i/1000)[:40], hash("d")[:40], hash("d"))
	timing := fmt.Sprintf(`{"prepare_seconds":0.02,"train_seconds":%.3f,"total_seconds":%.3f,"samples_per_sec":%.0f,"epochs":%d,"train_rows":3111}`,
		0.1+rng.Float64(), 0.2+rng.Float64(), 1e6+1e6*rng.Float64(), epochs)
	var id int64
	at := created.UnixNano()
	if err := w.runStmt.QueryRowContext(ctx, hash("key", i), hash("spec", i), string(spec),
		fmt.Sprintf(`{"source":"%s"}`, hash("d")), epochs, epochs, prov, hash("w", i), timing,
		at, at+1e6, at+5e8, at+5e8, mustUID(created)).Scan(&id); err != nil {
		return err
	}
	level := 0.3 + 0.4*rng.Float64()
	for _, m := range []string{"loss", "accuracy"} {
		for _, split := range []string{store.SplitTrain, store.SplitValidation} {
			best, bestEpoch, last := math.Inf(1), 0, 0.0
			for e := 1; e <= epochs; e++ {
				v := level + 0.5*math.Exp(-float64(e)/3) + 0.01*rng.Float64()
				if m == "accuracy" {
					v = 1 - v
				}
				if err := exec(ctx, w.point, id, split, m, e, v, at+int64(e)*1e7); err != nil {
					return err
				}
				last = v
				if (m == "loss" && v < best) || (m == "accuracy" && (bestEpoch == 0 || v > best)) {
					best, bestEpoch = v, e
				}
			}
			if err := exec(ctx, w.summary, id, split, m, last, epochs, best, bestEpoch, epochs); err != nil {
				return err
			}
		}
	}
	for _, m := range []string{"loss", "accuracy"}[:min(2, points-4*epochs)] {
		v := level + 0.1*rng.Float64()
		if err := exec(ctx, w.point, id, store.SplitTest, m, epochs, v, at+5e8); err != nil {
			return err
		}
		if err := exec(ctx, w.summary, id, store.SplitTest, m, v, epochs, v, epochs, 1); err != nil {
			return err
		}
	}
	return nil
}

func exec(ctx context.Context, st *sql.Stmt, args ...any) error {
	_, err := st.ExecContext(ctx, args...)
	return err
}

func mustUID(t time.Time) string {
	u, err := store.NewUID(t)
	if err != nil {
		panic(err)
	}
	return u
}

// creditSpec is a resolved spec of the credit example's shape.
func creditSpec(lr float64, width int, dropout float64, seed int) map[string]any {
	return map[string]any{
		"data": map[string]any{
			"source": map[string]any{"file": "data/credit_data.csv"},
			"target": "Status",
			"clean": []any{
				map[string]any{"fill_na": map[string]any{"column": "Income", "with": "median"}},
				map[string]any{"drop_na": map[string]any{}},
			},
			"split": map[string]any{"test": 0.2, "validation": 0.1, "seed": 1, "stratify": true},
		},
		"model": map[string]any{"layers": []any{
			map[string]any{"dense": width, "activation": "relu"},
			map[string]any{"dropout": dropout},
		}, "head": "binary"},
		"train": map[string]any{
			"epochs": 12, "batch_size": 32, "seed": seed,
			"optimizer": map[string]any{"adam": map[string]any{"lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0}},
			"loss":      map[string]any{"binary_cross_entropy": map[string]any{"class_weights": "balanced"}},
		},
		"metrics": []any{"accuracy", "log_loss", "f1", "auc"},
		"device":  "cpu",
	}
}
