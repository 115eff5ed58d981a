package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchBatch is a batch of n points as a trainer logs them: per-step train
// loss.
func benchBatch(n, epoch int) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{Split: SplitTrain, Name: "loss", Epoch: epoch, Step: i, Value: 1 / float64(i+1)}
	}
	return pts
}

func BenchmarkAddPoints(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s, _ := openTest(b)
			r := createTest(b, s, testKey("b0b0", n), "bench")
			b.ResetTimer()
			cpu := cpuTime()
			for i := range b.N {
				if err := s.AddPoints(ctx, r.ID, benchBatch(n, i)); err != nil {
					b.Fatal(err)
				}
			}
			reportRates(b, b.N*n, cpuTime()-cpu)
		})
	}
}

// BenchmarkAddPointsNaive is the baseline: one INSERT per point, each its own
// transaction, no summary.
func BenchmarkAddPointsNaive(b *testing.B) {
	ctx := context.Background()
	s, _ := openTest(b)
	r := createTest(b, s, testKey("b0b0", 1), "bench")
	now := time.Now().UnixNano()
	b.ResetTimer()
	cpu := cpuTime()
	for i := range b.N {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO points (run_id, split, name, epoch, step, value, time)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ID, SplitTrain, "loss", 0, i, 0.5, now); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, b.N, cpuTime()-cpu)
}

// reportRates reports points per second of wall time and per second of CPU
// time. On a shared machine the second is the steadier of the two.
func reportRates(b *testing.B, points int, cpu time.Duration) {
	b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
	if cpu > 0 {
		b.ReportMetric(float64(points)/cpu.Seconds(), "points/cpu-s")
	}
}

const benchRuns = 100_000

// benchKey is the key of bulk run i: sha256 of i, as real keys are hashes.
func benchKey(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint(i)))
	return hex.EncodeToString(h[:])
}

// bulkStore builds a store of benchRuns finished runs, each with a spec of
// about 600 bytes and summaries of five metrics. The rows are made inside
// SQLite from one JSON array of keys: a statement per row would take longer
// than the benchmarks.
func bulkStore(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	s, _ := openTest(b)
	spec := `{"data":{"source":{"file":"data/credit.csv"},"target":"Status","split":{"test":0.2,"validation":0.1,"seed":42}},` +
		`"model":{"layers":[{"dense":64,"activation":"relu"},{"dropout":0.2},{"dense":32,"activation":"relu"}]},` +
		`"train":{"epochs":30,"batch_size":64,"seed":7,"optimizer":{"adam":{"lr":0.001,"weight_decay":0.0001}}},` +
		`"metrics":["accuracy","f1","auc","log_loss"],"device":"cpu","pad":"` + strings.Repeat("x", 200) + `"}`
	keys := make([]string, benchRuns)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		b.Fatal(err)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	start := time.Now()
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		// json_each's key is the array index: run i is created i seconds
		// after base, in one of five experiments.
		if _, err := tx.ExecContext(ctx, `INSERT INTO runs (key, experiment, spec_hash, spec, data_hashes,
			backend, device, status, epoch, epochs, provenance, created, started, finished)
			SELECT value, json_extract('["credit","churn","fraud","intent","reviews"]', '$[' || (key % 5) || ']'),
				value, ?1, json_object('data/credit.csv', value), 'engine', 'cpu', 'succeeded', 30, 30,
				json_object('commit', substr(value, 1, 40)),
				?2 + key * 1000000000, ?2 + key * 1000000000 + 1000000000, ?2 + key * 1000000000 + 60000000000
			FROM json_each(?3)`, spec, base, string(keysJSON)); err != nil {
			return err
		}
		// Values spread in an order that is not the insertion order.
		for _, m := range []struct{ split, name string }{
			{SplitTest, "accuracy"}, {SplitTest, "auc"}, {SplitTest, "log_loss"},
			{SplitValidation, "accuracy"}, {SplitValidation, "loss"},
		} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO summaries
				(run_id, split, name, last, last_epoch, last_step, best, best_epoch, count)
				SELECT id, ?, ?, ((id * 7919) % 100000) / 100000.0, 29, 0, ((id * 7919) % 100000) / 100000.0, 20, 30
				FROM runs`, m.split, m.name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// A store that grew run by run has been checkpointed all along; this one
	// grew in one transaction, so its WAL holds the whole database.
	for _, q := range []string{"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("bulk insert of %d runs: %v", benchRuns, time.Since(start))
	return s
}

func BenchmarkListRuns(b *testing.B) {
	ctx := context.Background()
	s := bulkStore(b)
	for _, bm := range []struct {
		name string
		opts ListOptions
	}{
		{"newest100", ListOptions{Limit: 100}},
		{"page500", ListOptions{Limit: 100, Offset: 50_000}},
		{"experiment100", ListOptions{Experiment: "churn", Limit: 100}},
		{"sort-test.accuracy100", ListOptions{SortBy: "-test.accuracy", Limit: 100}},
		{"experiment-sort-test.accuracy100", ListOptions{Experiment: "churn", SortBy: "-test.accuracy", Limit: 100}},
		{"all", ListOptions{}},
		{"all-sort-test.accuracy", ListOptions{SortBy: "-test.accuracy"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				runs, err := s.ListRuns(ctx, bm.opts)
				if err != nil {
					b.Fatal(err)
				}
				n = len(runs)
			}
			b.ReportMetric(float64(n), "runs")
		})
	}
}

func BenchmarkResolve(b *testing.B) {
	ctx := context.Background()
	s := bulkStore(b)
	// With 100,000 keys most 4-digit prefixes match several keys, and
	// nearly every 8-digit one matches one.
	for _, n := range []int{4, 8, 12, 64} {
		b.Run(fmt.Sprintf("prefix=%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				k := benchKey(i % benchRuns)
				i++
				if _, err := s.Resolve(ctx, k[:n]); err != nil && !errors.Is(err, ErrAmbiguous) {
					b.Fatal(err)
				}
			}
		})
	}
}
