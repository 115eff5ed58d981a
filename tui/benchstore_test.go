package tui

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/xp-ml/xp/store"
)

// The benchmark store: 100,000 runs of six experiments and 5,000,000 metric
// points, 50 a run: 9 epochs of train loss and validation loss, accuracy,
// auc and f1, then five test metrics. Five runs are still running.
const (
	benchRuns    = 100_000
	benchEpochs  = 9
	benchRunning = 5
)

// benchStoreEnv names a directory where the benchmark store is kept between
// runs: building it takes a minute or two.
const benchStoreEnv = "XP_TUI_BENCH_STORE"

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
	benchTemp string // removed by TestMain
)

// benchStore returns the .xp directory of the benchmark store, building it
// once per process (or once ever, in $XP_TUI_BENCH_STORE).
func benchStore(tb testing.TB) string {
	tb.Helper()
	benchOnce.Do(func() {
		dir := os.Getenv(benchStoreEnv)
		if dir == "" {
			benchTemp, benchErr = os.MkdirTemp("", "xp-tui-bench-")
			if benchErr != nil {
				return
			}
			dir = benchTemp
		}
		benchDir = filepath.Join(dir, ".xp")
		marker := filepath.Join(benchDir, "bench-v1")
		if _, err := os.Stat(marker); err == nil {
			return
		}
		start := time.Now()
		if benchErr = buildBenchStore(context.Background(), benchDir); benchErr != nil {
			return
		}
		benchErr = os.WriteFile(marker, nil, 0o644)
		tb.Logf("built the benchmark store (%d runs, %d points) in %v", benchRuns, benchRuns*50, time.Since(start).Round(time.Second))
	})
	if benchErr != nil {
		tb.Fatalf("benchmark store: %v", benchErr)
	}
	return benchDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchTemp != "" {
		os.RemoveAll(benchTemp)
	}
	os.Exit(code)
}

// benchSpec is a resolved spec of realistic size (about 1 KB); the learning
// rate and the width of the first layer vary by run, as in a sweep.
const benchSpec = `{"description":"Credit scoring MLP","tags":["risk","tabular"],"data":{"source":{"file":"data/credit_data.csv"},` +
	`"target":"Status","clean":[{"fill_na":{"column":"Income","with":"median"}},{"fill_na":{"column":"Assets","with":"median"}},` +
	`{"fill_na":{"column":"Debt","with":"median"}},{"drop_na":{}},{"filter":{"column":"Age","op":">=","value":18}},{"drop_duplicates":{}}],` +
	`"split":{"test":0.2,"validation":0.1,"seed":1,"stratify":true}},"model":{"layers":[{"dense":64,"activation":"relu"},{"dropout":0.2},` +
	`{"dense":32,"activation":"relu"}]},"train":{"epochs":9,"batch_size":32,"seed":1,"optimizer":{"adam":{"lr":0.001,"beta1":0.9,` +
	`"beta2":0.999,"eps":1e-8,"weight_decay":0}},"loss":{"cross_entropy":{}},"early_stopping":{"metric":"val.auc","mode":"max","patience":5}},` +
	`"metrics":["accuracy","log_loss","f1","auc"],"device":"auto"}`

// buildBenchStore creates the store in dir and fills it inside SQLite, from
// a few statements: a statement per row would take many minutes.
func buildBenchStore(ctx context.Context, dir string) error {
	st, err := store.Open(ctx, dir)
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	path, err := filepath.Abs(filepath.Join(dir, store.DBName))
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath())
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	keys := make([]string, benchRuns)
	for i := range keys {
		h := sha256.Sum256(fmt.Appendf(nil, "bench run %d", i))
		keys[i] = hex.EncodeToString(h[:])
	}
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	base := now.Add(-benchRuns * time.Minute).UnixNano()
	// Runs are a minute apart, each trained for 40 s; one in 20 failed, one
	// in 50 was canceled, the last benchRunning are still running.
	stmts := []struct {
		q    string
		args []any
	}{
		{`PRAGMA journal_mode=OFF`, nil},
		{`PRAGMA synchronous=OFF`, nil},
		{`BEGIN`, nil},
		{`INSERT INTO runs (key, experiment, spec_hash, spec, data_hashes, backend, device, status, error,
			epoch, epochs, provenance, dirty, sweep_id, pid, host, created, started, finished, heartbeat)
			SELECT value,
				json_extract('["credit","churn","fraud","intent","reviews","wine"]', '$[' || (key % 6) || ']'),
				value,
				json_set(?1, '$.train.optimizer.adam.lr', 0.0001 * (1 + key % 30),
					'$.model.layers[0].dense', 16 * (1 + key % 8)),
				json_object('source', value), 'engine', CASE WHEN key % 7 = 0 THEN 'cuda' ELSE 'cpu' END,
				CASE WHEN key >= ?2 - ?3 THEN 'running' WHEN key % 20 = 3 THEN 'failed'
					WHEN key % 50 = 7 THEN 'canceled' ELSE 'succeeded' END,
				CASE WHEN key % 20 = 3 AND key < ?2 - ?3 THEN 'read data/credit_data.csv: line 12: bad float' ELSE '' END,
				CASE WHEN key >= ?2 - ?3 THEN 4 ELSE ?4 END, ?4,
				json_object('commit', substr(value, 1, 40), 'branch', 'main', 'dirty', json('false'),
					'host', 'gpu-box-' || (key % 4), 'os', 'linux', 'arch', 'amd64', 'go_version', 'go1.26.8',
					'xp_version', 'v0.3.0', 'backend', 'engine', 'device', 'cpu'),
				0, CASE WHEN key % 3 = 0 THEN 'sweep-' || (key / 300) ELSE '' END, 4242, 'gpu-box-' || (key % 4),
				?5 + key * 60000000000, ?5 + key * 60000000000 + 1000000000,
				CASE WHEN key >= ?2 - ?3 THEN 0 ELSE ?5 + key * 60000000000 + 41000000000 END,
				CASE WHEN key >= ?2 - ?3 THEN ?6 ELSE ?5 + key * 60000000000 + 41000000000 END
			FROM json_each(?7)`,
			[]any{benchSpec, benchRuns, benchRunning, benchEpochs, base, now.UnixNano(), string(keysJSON)}},
		// Per-epoch curves: loss falls, the other metrics rise, at a rate
		// and to a level that differ by run.
		{`WITH RECURSIVE e(epoch) AS (SELECT 1 UNION ALL SELECT epoch + 1 FROM e WHERE epoch < ?1),
			m(split, name, k) AS (VALUES ('train', 'loss', 0), ('validation', 'loss', 1),
				('validation', 'accuracy', 2), ('validation', 'auc', 3), ('validation', 'f1', 4))
			INSERT INTO points (run_id, split, name, epoch, step, value, time)
			SELECT r.id, m.split, m.name, e.epoch, 0,
				CASE WHEN m.name = 'loss'
					THEN 0.25 + 0.1 * m.k + 0.6 / (e.epoch + (r.id % 5))
					ELSE 0.55 + 0.04 * m.k + 0.3 * e.epoch / (e.epoch + 1 + (r.id % 7)) * (0.8 + ((r.id * 7919) % 1000) / 5000.0)
				END,
				r.started + e.epoch * 4000000000
			FROM runs r CROSS JOIN e CROSS JOIN m
			WHERE r.status <> 'running' OR e.epoch <= r.epoch
			ORDER BY r.id, e.epoch, m.k`, []any{benchEpochs}},
		{`WITH m(name, k) AS (VALUES ('accuracy', 0), ('auc', 1), ('f1', 2), ('log_loss', 3), ('loss', 4))
			INSERT INTO points (run_id, split, name, epoch, step, value, time)
			SELECT r.id, 'test', m.name, r.epochs, 0,
				CASE WHEN m.k >= 3 THEN 0.3 + 0.3 / (1 + (r.id % 5))
					ELSE 0.6 + 0.05 * m.k + 0.3 * ((r.id * 7919) % 1000) / 1000.0 END,
				r.finished
			FROM runs r CROSS JOIN m WHERE r.status <> 'running' ORDER BY r.id, m.k`, nil},
		// The summaries AddPoints would have kept. Every curve is monotone
		// and moves the right way, so its last value is also its best. The
		// bare column "value" comes from the row of max(epoch).
		{`INSERT INTO summaries (run_id, split, name, last, last_epoch, last_step, best, best_epoch, count)
			SELECT run_id, split, name, value, epoch, 0, value, epoch, n
			FROM (SELECT run_id, split, name, value, max(epoch) AS epoch, count(*) AS n
				FROM points GROUP BY run_id, split, name)`, nil},
		{`COMMIT`, nil},
		{`ANALYZE`, nil},
		{`PRAGMA journal_mode=WAL`, nil},
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("%.60s: %w", s.q, err)
		}
	}
	return nil
}
