package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/xp-ml/xp/metric"
)

// Splits a point can belong to.
const (
	SplitTrain      = "train"
	SplitValidation = "validation"
	SplitTest       = "test"
	// SplitSystem holds what a run cost the machine, sampled while it
	// trains (package sysmetric): points with a time, not a metric of
	// the model.
	SplitSystem = "system"
)

// Point is one value of one metric: a curve is the points of one split and
// name ordered by (Epoch, Step).
type Point struct {
	Split string    `json:"split"` // SplitTrain, SplitValidation, SplitTest
	Name  string    `json:"name"`  // "loss", "accuracy", ...
	Epoch int       `json:"epoch"`
	Step  int       `json:"step"`
	Value float64   `json:"value"` // NaN is kept
	Time  time.Time `json:"time"`  // UTC; AddPoints sets it when zero
}

// AddPoints appends points to run id and updates its summary, in one
// transaction: a reader sees all of them or none.
func (s *Store) AddPoints(ctx context.Context, id int64, pts []Point) error {
	if len(pts) == 0 {
		return nil
	}
	for i, p := range pts {
		if p.Split == "" || p.Name == "" {
			return fmt.Errorf("add points to run %d: point %d has no split or name: %w", id, i, ErrInvalid)
		}
	}
	now := nanos(s.now())
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		st := s.pointStmts.in(ctx, tx)
		sums, err := loadSummaries(ctx, st, id)
		if err != nil {
			return err
		}
		if err := insertPoints(ctx, st, id, pts, now); err != nil {
			return err
		}
		touched := make(map[series]bool)
		for _, p := range pts {
			k := series{p.Split, p.Name}
			sum, ok := sums[k]
			if !ok {
				sum = emptySummary()
			}
			sum.add(p, metric.Lower(p.Name))
			sums[k] = sum
			touched[k] = true
		}
		for k := range touched {
			sum := sums[k]
			if _, err := st.putSummary.ExecContext(ctx, id, k.split, k.name, nullable(sum.Last),
				sum.LastEpoch, sum.lastStep, nullable(sum.Best), sum.BestEpoch, sum.Count); err != nil {
				return fmt.Errorf("write summary: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add points to run %d: %w", id, err)
	}
	return nil
}

// insertChunks are the row counts of the multi-row INSERTs, largest first:
// one statement per row spends more time in database/sql and binding than in
// SQLite's B-tree, and a fixed set of sizes can be prepared once.
var insertChunks = [...]int{64, 8, 1}

// pointStmts are AddPoints' statements, prepared once on the writer
// connection: preparing them in every transaction cost more than a batch of
// ten points.
type pointStmts struct {
	runExists, loadSummaries, putSummary *sql.Stmt
	insert                               [len(insertChunks)]*sql.Stmt
}

func preparePointStmts(ctx context.Context, db *sql.DB) (*pointStmts, error) {
	var (
		st  pointStmts
		err error
	)
	prep := func(dst **sql.Stmt, q string) {
		if err == nil {
			*dst, err = db.PrepareContext(ctx, q)
		}
	}
	prep(&st.runExists, `SELECT 1 FROM runs WHERE id = ?`)
	prep(&st.loadSummaries, `SELECT split, name, last, last_epoch, last_step, best, best_epoch, count
		FROM summaries WHERE run_id = ?`)
	prep(&st.putSummary, `INSERT OR REPLACE INTO summaries
		(run_id, split, name, last, last_epoch, last_step, best, best_epoch, count)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	for i, n := range insertChunks {
		prep(&st.insert[i], insertSQL(n))
	}
	if err != nil {
		st.close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return &st, nil
}

func insertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO points (run_id, split, name, epoch, step, value, time) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?, ?, ?, ?, ?, ?, ?)`)
	}
	return b.String()
}

// in returns the statements bound to tx.
func (st *pointStmts) in(ctx context.Context, tx *sql.Tx) *pointStmts {
	var t pointStmts
	t.runExists = tx.StmtContext(ctx, st.runExists)
	t.loadSummaries = tx.StmtContext(ctx, st.loadSummaries)
	t.putSummary = tx.StmtContext(ctx, st.putSummary)
	for i := range st.insert {
		t.insert[i] = tx.StmtContext(ctx, st.insert[i])
	}
	return &t
}

func (st *pointStmts) close() error {
	var errs []error
	for _, s := range append([]*sql.Stmt{st.runExists, st.loadSummaries, st.putSummary}, st.insert[:]...) {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// loadSummaries reads the summaries of run id for folding, and checks that
// the run exists: a foreign key error would not say which run was missing.
func loadSummaries(ctx context.Context, st *pointStmts, id int64) (map[series]summary, error) {
	var one int
	err := st.runExists.QueryRowContext(ctx, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	rows, err := st.loadSummaries.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	defer rows.Close()
	sums := make(map[series]summary)
	for rows.Next() {
		var (
			k          series
			sum        summary
			last, best sql.NullFloat64
		)
		if err := rows.Scan(&k.split, &k.name, &last, &sum.LastEpoch, &sum.lastStep, &best,
			&sum.BestEpoch, &sum.Count); err != nil {
			return nil, fmt.Errorf("read summary: %w", err)
		}
		sum.Last, sum.Best = fromNullable(last), fromNullable(best)
		sums[k] = sum
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read summary: %w", err)
	}
	return sums, nil
}

func insertPoints(ctx context.Context, st *pointStmts, id int64, pts []Point, now int64) error {
	args := make([]any, 0, 7*insertChunks[0])
	for len(pts) > 0 {
		c := 0
		for insertChunks[c] > len(pts) {
			c++
		}
		chunk := pts[:insertChunks[c]]
		pts = pts[len(chunk):]
		args = args[:0]
		for _, p := range chunk {
			t := nanos(p.Time)
			if t == 0 {
				t = now
			}
			args = append(args, id, p.Split, p.Name, p.Epoch, p.Step, nullable(p.Value), t)
		}
		if _, err := st.insert[c].ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert points: %w", err)
		}
	}
	return nil
}

// Points returns the curve of one split and metric of run id, ordered by
// epoch and step. An empty split or name matches every split or metric. A run
// that does not exist has no points.
func (s *Store) Points(ctx context.Context, id int64, split, name string) ([]Point, error) {
	q := `SELECT id, split, name, epoch, step, value, time FROM points WHERE run_id = ?`
	args := []any{id}
	if split != "" {
		q += ` AND split = ?`
		args = append(args, split)
	}
	if name != "" {
		q += ` AND name = ?`
		args = append(args, name)
	}
	q += ` ORDER BY epoch, step, id`
	var pts []Point
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		pts, _, err = readPoints(ctx, tx, q, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read points of run %d: %w", id, err)
	}
	return pts, nil
}

// sinceScanRows is how far behind the newest point a PointsSince cursor may
// be for the read to walk the points table by id from the cursor; further
// behind, it reads the run's points through the run's index instead. A
// variable so that tests can take both paths.
var sinceScanRows int64 = 20_000

// PointsSince returns the points of run id added after the point with row id
// afterRowID, in the order they were added, and the row id to pass next time
// (afterRowID itself when there is nothing new). Start with 0.
//
// A reader that polls with the cursor it was given reads only what was added
// since, whatever the size of the run.
func (s *Store) PointsSince(ctx context.Context, id int64, afterRowID int64) ([]Point, int64, error) {
	var (
		pts  []Point
		last int64
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		var newest int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM points`).Scan(&newest); err != nil {
			return err
		}
		if newest <= afterRowID {
			return nil
		}
		// Points ids grow with insertion across all runs. A cursor close to
		// the newest id is cheapest served by the id range, the '+' keeping
		// SQLite off the run index; a distant one by the run's own points.
		q := `SELECT id, split, name, epoch, step, value, time FROM points
			INDEXED BY points_metric WHERE run_id = ? AND id > ? ORDER BY id`
		if afterRowID > 0 && newest-afterRowID <= sinceScanRows {
			q = `SELECT id, split, name, epoch, step, value, time FROM points
				WHERE +run_id = ? AND id > ? ORDER BY id`
		}
		var err error
		pts, last, err = readPoints(ctx, tx, q, id, afterRowID)
		return err
	})
	if err != nil {
		return nil, afterRowID, fmt.Errorf("read points of run %d: %w", id, err)
	}
	if len(pts) == 0 {
		last = afterRowID
	}
	return pts, last, nil
}

// readPoints runs a query for (id, split, name, epoch, step, value, time) and
// returns the points and the largest id.
func readPoints(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]Point, int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var (
		pts    []Point
		maxID  int64
		rowID  int64
		value  sql.NullFloat64
		tnanos int64
	)
	for rows.Next() {
		var p Point
		if err := rows.Scan(&rowID, &p.Split, &p.Name, &p.Epoch, &p.Step, &value, &tnanos); err != nil {
			return nil, 0, err
		}
		p.Value, p.Time = fromNullable(value), fromNanos(tnanos)
		maxID = max(maxID, rowID)
		pts = append(pts, p)
	}
	return pts, maxID, rows.Err()
}
