package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// ExportOptions selects the runs an export reads: those ListOptions
// selects (its SortBy ignored: exports go by run number), and when IDs is
// set, only those runs.
type ExportOptions struct {
	ListOptions
	IDs []int64
}

func (o ExportOptions) where() (filter, error) {
	if o.Status != "" && !o.Status.Valid() {
		return filter{}, fmt.Errorf("status %q: %w", o.Status, ErrInvalid)
	}
	if o.Limit < 0 {
		return filter{}, fmt.Errorf("negative limit: %w", ErrInvalid)
	}
	f := o.filter()
	if o.IDs != nil {
		ids, err := json.Marshal(o.IDs)
		if err != nil {
			return filter{}, err
		}
		f.add(true, `r.id IN (SELECT value FROM json_each(?))`, string(ids))
	}
	return f, nil
}

// selected is the runs the options select as a subquery: with a Limit,
// the newest, as xp ls lists them.
func (o ExportOptions) selected(f filter) string {
	q := `SELECT r.id FROM runs r WHERE 1` + f.sql
	if o.Limit > 0 {
		q += fmt.Sprintf(` ORDER BY r.created DESC, r.id DESC LIMIT %d`, o.Limit)
	}
	return q
}

// EachSpec calls fn with the resolved spec of each run the options select,
// once per spec hash: what an export needs to know every spec field before
// its first row.
func (s *Store) EachSpec(ctx context.Context, o ExportOptions, fn func(spec json.RawMessage) error) error {
	f, err := o.where()
	if err != nil {
		return fmt.Errorf("read specs: %w", err)
	}
	err = s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT spec FROM runs WHERE id IN (SELECT min(id) FROM runs
			WHERE id IN (`+o.selected(f)+`) GROUP BY spec_hash) ORDER BY id`, f.vals...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var spec []byte
			if err := rows.Scan(&spec); err != nil {
				return err
			}
			if err := fn(spec); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("read specs: %w", err)
	}
	return nil
}

// MetricSeries lists the split and metric names the selected runs have
// summaries of, sorted.
func (s *Store) MetricSeries(ctx context.Context, o ExportOptions) ([]SplitMetric, error) {
	f, err := o.where()
	if err != nil {
		return nil, fmt.Errorf("read metric names: %w", err)
	}
	var out []SplitMetric
	err = s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT split, name FROM summaries
			WHERE run_id IN (`+o.selected(f)+`) ORDER BY split, name`, f.vals...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m SplitMetric
			if err := rows.Scan(&m.Split, &m.Name); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read metric names: %w", err)
	}
	return out, nil
}

// EachRun calls fn with each run the options select, by number, with its
// summaries, from one snapshot, reading one run at a time: the runs and
// their summaries are read side by side in run order. Each run is fn's to
// keep.
func (s *Store) EachRun(ctx context.Context, o ExportOptions, fn func(*Run) error) error {
	f, err := o.where()
	if err != nil {
		return fmt.Errorf("export runs: %w", err)
	}
	err = s.read(ctx, func(tx *sql.Tx) error {
		runs, err := tx.QueryContext(ctx, `SELECT `+runColumnsR+` FROM runs r WHERE r.id IN (`+o.selected(f)+`) ORDER BY r.id`, f.vals...)
		if err != nil {
			return err
		}
		defer runs.Close()
		sums, err := tx.QueryContext(ctx, `SELECT run_id, split, name, last, last_epoch, best, best_epoch, count
			FROM summaries WHERE run_id IN (`+o.selected(f)+`) ORDER BY run_id`, f.vals...)
		if err != nil {
			return err
		}
		defer sums.Close()
		next := summaryCursor{rows: sums}
		for runs.Next() {
			r, err := scanRun(runs)
			if err != nil {
				return err
			}
			if r.Summary, err = next.upTo(r.ID); err != nil {
				return err
			}
			if err := fn(&r); err != nil {
				return err
			}
		}
		return runs.Err()
	})
	if err != nil {
		return fmt.Errorf("export runs: %w", err)
	}
	return nil
}

// summaryCursor reads summaries in run order, one run's at a time.
type summaryCursor struct {
	rows *sql.Rows
	// held is a row read past the last run asked for.
	held *summaryRow
	done bool
}

type summaryRow struct {
	run         int64
	split, name string
	m           MetricSummary
}

// upTo returns run id's summaries, skipping those of earlier runs.
func (c *summaryCursor) upTo(id int64) (map[string]map[string]MetricSummary, error) {
	var out map[string]map[string]MetricSummary
	for {
		if c.held == nil {
			if c.done {
				return out, nil
			}
			if !c.rows.Next() {
				c.done = true
				return out, c.rows.Err()
			}
			var (
				row        summaryRow
				last, best sql.NullFloat64
			)
			if err := c.rows.Scan(&row.run, &row.split, &row.name, &last, &row.m.LastEpoch, &best,
				&row.m.BestEpoch, &row.m.Count); err != nil {
				return nil, err
			}
			row.m.Last, row.m.Best = fromNullable(last), fromNullable(best)
			c.held = &row
		}
		switch {
		case c.held.run > id:
			return out, nil
		case c.held.run == id:
			if out == nil {
				out = map[string]map[string]MetricSummary{}
			}
			if out[c.held.split] == nil {
				out[c.held.split] = map[string]MetricSummary{}
			}
			out[c.held.split][c.held.name] = c.held.m
		}
		c.held = nil
	}
}

// ExportedPoint is a point with the run it belongs to.
type ExportedPoint struct {
	Run int64
	Key string
	Point
}

// EachPoint calls fn with every point of the runs the options select, run
// by run, each run's by split, metric, epoch and step, from one snapshot,
// holding one point at a time. fn must not keep the point.
func (s *Store) EachPoint(ctx context.Context, o ExportOptions, fn func(*ExportedPoint) error) error {
	f, err := o.where()
	if err != nil {
		return fmt.Errorf("export points: %w", err)
	}
	err = s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT r.id, r.key, p.split, p.name, p.epoch, p.step, p.value, p.time
			FROM runs r JOIN points p INDEXED BY points_metric ON p.run_id = r.id
			WHERE r.id IN (`+o.selected(f)+`)
			ORDER BY r.id, p.split, p.name, p.epoch, p.step, p.id`, f.vals...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			p     ExportedPoint
			value sql.NullFloat64
			t     int64
		)
		for rows.Next() {
			if err := rows.Scan(&p.Run, &p.Key, &p.Split, &p.Name, &p.Epoch, &p.Step, &value, &t); err != nil {
				return err
			}
			p.Value, p.Time = fromNullable(value), fromNanos(t)
			if err := fn(&p); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("export points: %w", err)
	}
	return nil
}
