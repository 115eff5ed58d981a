package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
)

// MetricSummary is what a run table shows of one metric of one split,
// maintained as points arrive.
type MetricSummary struct {
	// Last is the value at the largest (epoch, step), or at the epoch
	// KeepEpoch kept; NaN if that was NaN.
	Last float64 `json:"last"`
	// Best is the lowest value for a metric that metric.Lower names, the highest
	// otherwise, ignoring NaN; NaN if every value was NaN.
	Best      float64 `json:"best"`
	BestEpoch int     `json:"best_epoch"`
	LastEpoch int     `json:"last_epoch"`
	// Count is how many points the metric has, NaN included.
	Count int `json:"count"`
}

// series names one metric of one split.
type series struct{ split, name string }

// summary is a MetricSummary being folded, with the step of the last value,
// which decides which of two points of one epoch is the later.
type summary struct {
	MetricSummary
	lastStep int
}

// emptySummary is the summary of no points.
func emptySummary() summary {
	return summary{MetricSummary: MetricSummary{Last: math.NaN(), Best: math.NaN(), LastEpoch: -1, BestEpoch: -1}, lastStep: -1}
}

// add folds one point into the summary. Among points at the same (epoch,
// step) the one added later is the last; a tie for best keeps the earlier.
func (s *summary) add(p Point, lower bool) {
	s.Count++
	if p.Epoch > s.LastEpoch || (p.Epoch == s.LastEpoch && p.Step >= s.lastStep) {
		s.Last, s.LastEpoch, s.lastStep = p.Value, p.Epoch, p.Step
	}
	if math.IsNaN(p.Value) {
		return
	}
	if math.IsNaN(s.Best) || (lower && p.Value < s.Best) || (!lower && p.Value > s.Best) {
		s.Best, s.BestEpoch = p.Value, p.Epoch
	}
}

// nullable turns NaN into NULL, which is what SQLite makes of it anyway, but
// explicitly.
func nullable(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

func fromNullable(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}

// readSummaries reads the summaries selected by where (a clause on run_id)
// into run id -> split -> metric.
func readSummaries(ctx context.Context, tx *sql.Tx, where string, args ...any) (map[int64]map[string]map[string]MetricSummary, error) {
	rows, err := tx.QueryContext(ctx, `SELECT run_id, split, name, last, last_epoch, best,
		best_epoch, count FROM summaries `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]map[string]map[string]MetricSummary)
	for rows.Next() {
		var (
			id          int64
			split, name string
			last, best  sql.NullFloat64
			m           MetricSummary
		)
		if err := rows.Scan(&id, &split, &name, &last, &m.LastEpoch, &best, &m.BestEpoch, &m.Count); err != nil {
			return nil, err
		}
		m.Last, m.Best = fromNullable(last), fromNullable(best)
		bySplit := out[id]
		if bySplit == nil {
			bySplit = make(map[string]map[string]MetricSummary)
			out[id] = bySplit
		}
		if bySplit[split] == nil {
			bySplit[split] = make(map[string]MetricSummary)
		}
		bySplit[split][name] = m
	}
	return out, rows.Err()
}

// attachSummaries fills the Summary of each of runs in one query: the ids
// travel as one JSON array parameter, however many runs there are.
func attachSummaries(ctx context.Context, tx *sql.Tx, runs []Run) error {
	ids := make([]int64, len(runs))
	for i := range runs {
		ids[i] = runs[i].ID
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	sums, err := readSummaries(ctx, tx, `WHERE run_id IN (SELECT value FROM json_each(?))`, string(idsJSON))
	if err != nil {
		return err
	}
	for i := range runs {
		runs[i].Summary = sums[runs[i].ID]
	}
	return nil
}

// KeepEpoch makes epoch the final one of split for run id: each metric's
// summary takes that epoch's value as its Last (and LastEpoch), its curve
// unchanged. A run whose early stopping kept an earlier epoch's weights
// calls it, so that what every reader shows as the run's final validation
// figures are those of the weights it kept, not of the last epoch trained.
func (s *Store) KeepEpoch(ctx context.Context, id int64, split string, epoch int) error {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE summaries SET
				(last, last_epoch, last_step) = (SELECT p.value, p.epoch, p.step FROM points p
					WHERE p.run_id = summaries.run_id AND p.split = summaries.split
						AND p.name = summaries.name AND p.epoch = ?
					ORDER BY p.step DESC, p.id DESC LIMIT 1)
			WHERE run_id = ? AND split = ? AND EXISTS (SELECT 1 FROM points p
				WHERE p.run_id = summaries.run_id AND p.split = summaries.split
					AND p.name = summaries.name AND p.epoch = ?)`, epoch, id, split, epoch)
		return err
	})
	if err != nil {
		return fmt.Errorf("keep epoch %d of run %d: %w", epoch, id, err)
	}
	return nil
}
