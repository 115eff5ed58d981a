package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// RunRow is the part of a run that a table of runs shows: no spec,
// provenance, timing or summary, so that 100,000 of them load in a fraction
// of a second and fit in a few tens of megabytes.
type RunRow struct {
	ID              int64
	Key             string
	Experiment      string
	Device          string
	SweepID         string
	Status          Status
	Epoch, Epochs   int
	Dirty           bool
	CancelRequested bool
	CreatedAt       time.Time
	StartedAt       time.Time
	FinishedAt      time.Time
	HeartbeatAt     time.Time
}

// Short is the key as shown to people (ShortKey).
func (r *RunRow) Short() string { return ShortKey(r.Key) }

// RowsQuery selects the rows RunRows reads. The zero value reads every run.
type RowsQuery struct {
	// AfterID selects the runs whose id is greater: ids only grow, so a
	// reader that remembers the largest id it saw reads only new runs.
	AfterID int64
	// BeforeID, when not 0, selects only runs whose id is smaller, and Limit,
	// when not 0, at most that many of them: together they page through
	// the runs newest first.
	BeforeID int64
	Limit    int
	// Also selects these runs too, when their id is not above AfterID: the
	// runs a reader knows to be live (queued, running, lost), which are the
	// only ones whose row can change.
	Also []int64
	// Only, when not nil, restricts everything to these runs.
	Only []int64
}

// Rows is RunRows' answer, from one snapshot of the database.
type Rows struct {
	// Rows are the selected runs that exist, newest (largest id) first. A
	// run of Also that is missing was deleted.
	Rows []RunRow
	// MaxID is the largest run id in the store (within Only): the next
	// AfterID.
	MaxID int64
	// Count is how many runs the store holds (within Only). A reader whose
	// count differs after applying Rows missed a deletion and reconciles
	// with RunIDs.
	Count int
}

const rowColumns = `id, key, experiment, device, sweep_id, status, epoch, epochs, dirty,
	cancel_requested, created, started, finished, heartbeat`

// RunRows reads the rows q selects, the largest run id and the number of
// runs, from one snapshot.
//
// Rows are read from the runs table, whose rows carry the spec and
// provenance: about 1.5 KB each, so a full read of 100,000 runs walks some
// 150 MB and takes a second or more. Page through them with BeforeID and
// Limit to show the newest at once.
func (s *Store) RunRows(ctx context.Context, q RowsQuery) (*Rows, error) {
	if q.AfterID < 0 || q.BeforeID < 0 || q.Limit < 0 {
		return nil, fmt.Errorf("read run rows: negative id or limit: %w", ErrInvalid)
	}
	out := &Rows{}
	err := s.read(ctx, func(tx *sql.Tx) error {
		only, onlyArg, err := onlyClause(q.Only)
		if err != nil {
			return err
		}
		// Separate queries: max(id) alone is one seek, count(*) alone walks
		// the smallest index; together they would walk the table.
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM runs WHERE 1`+only,
			onlyArg...).Scan(&out.MaxID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE 1`+only,
			onlyArg...).Scan(&out.Count); err != nil {
			return err
		}
		before := q.BeforeID
		if before == 0 {
			before = math.MaxInt64
		}
		newArgs := append([]any{q.AfterID, before}, onlyArg...)
		newArgs = append(newArgs, sqlLimit(q.Limit))
		if err := scanRows(ctx, tx, &out.Rows, `SELECT `+rowColumns+` FROM runs
			WHERE id > ? AND id < ?`+only+` ORDER BY id DESC LIMIT ?`, newArgs...); err != nil {
			return err
		}
		if len(q.Also) == 0 {
			return nil
		}
		also, err := json.Marshal(q.Also)
		if err != nil {
			return err
		}
		alsoArgs := append([]any{string(also), q.AfterID}, onlyArg...)
		return scanRows(ctx, tx, &out.Rows, `SELECT `+rowColumns+` FROM runs
			WHERE id IN (SELECT value FROM json_each(?)) AND id <= ?`+only+` ORDER BY id DESC`, alsoArgs...)
	})
	if err != nil {
		return nil, fmt.Errorf("read run rows: %w", err)
	}
	return out, nil
}

// scanRows appends the RunRows that query selects to dst.
func scanRows(ctx context.Context, tx *sql.Tx, dst *[]RunRow, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r                                  RunRow
			created, started, finished, beaten int64
		)
		if err := rows.Scan(&r.ID, &r.Key, &r.Experiment, &r.Device, &r.SweepID, &r.Status,
			&r.Epoch, &r.Epochs, &r.Dirty, &r.CancelRequested, &created, &started, &finished, &beaten); err != nil {
			return err
		}
		r.CreatedAt, r.StartedAt = fromNanos(created), fromNanos(started)
		r.FinishedAt, r.HeartbeatAt = fromNanos(finished), fromNanos(beaten)
		*dst = append(*dst, r)
	}
	return rows.Err()
}

// onlyClause is the AND term restricting runs to ids, with its argument; no
// term when ids is nil.
func onlyClause(ids []int64) (string, []any, error) {
	if ids == nil {
		return "", nil, nil
	}
	raw, err := json.Marshal(ids)
	if err != nil {
		return "", nil, err
	}
	return ` AND id IN (SELECT value FROM json_each(?))`, []any{string(raw)}, nil
}

// RunIDs returns the id of every run (within only, when not nil), ascending:
// what a reader that missed a deletion compares its rows with.
func (s *Store) RunIDs(ctx context.Context, only []int64) ([]int64, error) {
	var ids []int64
	err := s.read(ctx, func(tx *sql.Tx) error {
		clause, arg, err := onlyClause(only)
		if err != nil {
			return err
		}
		// Through an index, whose entries carry the id: the table's own
		// rows are wide.
		rows, err := tx.QueryContext(ctx, `SELECT id FROM runs INDEXED BY runs_created WHERE 1`+clause, arg...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read run ids: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// SplitMetric names one metric of one split, such as test accuracy.
type SplitMetric struct {
	Split string `json:"split"`
	Name  string `json:"name"`
}

// String is the series as people write it: "test.accuracy".
func (m SplitMetric) String() string { return m.Split + "." + m.Name }

// MetricNames lists every (split, metric) that some run has a summary of, in
// order. It hops through the summaries index one distinct pair at a time, so
// it reads a few rows per pair, not one per run.
func (s *Store) MetricNames(ctx context.Context) ([]SplitMetric, error) {
	var out []SplitMetric
	err := s.read(ctx, func(tx *sql.Tx) error {
		// A loose index scan: the next name of the same split, else the
		// first name of the next split. Each is one seek.
		var (
			cur SplitMetric
			err error
		)
		next := func(q string, args ...any) bool {
			err = tx.QueryRowContext(ctx, q, args...).Scan(&cur.Split, &cur.Name)
			return err == nil
		}
		ok := next(`SELECT split, name FROM summaries INDEXED BY summaries_sort ORDER BY split, name LIMIT 1`)
		for ok {
			out = append(out, cur)
			ok = next(`SELECT split, name FROM summaries INDEXED BY summaries_sort
				WHERE split = ? AND name > ? ORDER BY split, name LIMIT 1`, cur.Split, cur.Name) ||
				(errors.Is(err, sql.ErrNoRows) && next(`SELECT split, name FROM summaries INDEXED BY summaries_sort
				WHERE split > ? ORDER BY split, name LIMIT 1`, cur.Split))
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read metric names: %w", err)
	}
	return out, nil
}

// LastValues returns the last value of one series for the runs that have it:
// every run when ids is nil, else only those. A NaN last value is NaN.
func (s *Store) LastValues(ctx context.Context, m SplitMetric, ids []int64) (map[int64]float64, error) {
	out := make(map[int64]float64)
	err := s.read(ctx, func(tx *sql.Tx) error {
		q := `SELECT run_id, last FROM summaries INDEXED BY summaries_sort WHERE split = ? AND name = ?`
		args := []any{m.Split, m.Name}
		if ids != nil {
			raw, err := json.Marshal(ids)
			if err != nil {
				return err
			}
			// By primary key, one lookup per run.
			q = `SELECT run_id, last FROM summaries
				WHERE run_id IN (SELECT value FROM json_each(?)) AND split = ? AND name = ?`
			args = []any{string(raw), m.Split, m.Name}
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id   int64
				last sql.NullFloat64
			)
			if err := rows.Scan(&id, &last); err != nil {
				return err
			}
			v := math.NaN()
			if last.Valid {
				v = last.Float64
			}
			out[id] = v
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read %s of runs: %w", m, err)
	}
	return out, nil
}
