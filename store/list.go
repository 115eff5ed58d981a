package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// ListOptions selects and orders runs. Zero values select everything.
type ListOptions struct {
	Experiment string
	Status     Status
	SweepID    string
	// Key selects the runs of one run key (64 hex digits).
	Key string
	// Limit is the most runs returned, 0 for all; Offset skips as many
	// first, for paging.
	Limit, Offset int
	// SortBy is "created" (the default: newest first) or a metric,
	// "<split>.<metric>" or "summary:<split>.<metric>", ordered by its last
	// value, ascending; a leading '-' orders descending and '+' ascending,
	// so "-test.accuracy" puts the most accurate first and "+created" the
	// oldest. Runs without the metric come last either way.
	SortBy string
}

// sortOrder is a parsed ListOptions.SortBy.
type sortOrder struct {
	split, metric string // empty for created
	desc          bool
}

func parseSort(by string) (sortOrder, error) {
	sign, rest := byte(0), by
	if by != "" && (by[0] == '-' || by[0] == '+') {
		sign, rest = by[0], by[1:]
	}
	if by == "" || rest == "created" {
		return sortOrder{desc: sign != '+'}, nil
	}
	rest = strings.TrimPrefix(rest, "summary:")
	split, metric, ok := strings.Cut(rest, ".")
	if !ok || split == "" || metric == "" {
		return sortOrder{}, fmt.Errorf("sort by %q: want created or <split>.<metric>, like -test.accuracy: %w", by, ErrInvalid)
	}
	return sortOrder{split: split, metric: metric, desc: sign == '-'}, nil
}

// ListRuns returns the runs opts selects, with their summaries, from one
// snapshot: the runs in one query (two when sorting by a metric reaches the
// runs without it), then all their summaries in one more.
func (s *Store) ListRuns(ctx context.Context, opts ListOptions) ([]Run, error) {
	order, err := parseSort(opts.SortBy)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	if opts.Status != "" && !opts.Status.Valid() {
		return nil, fmt.Errorf("list runs: status %q: %w", opts.Status, ErrInvalid)
	}
	if opts.Limit < 0 || opts.Offset < 0 {
		return nil, fmt.Errorf("list runs: negative limit or offset: %w", ErrInvalid)
	}
	f := opts.filter()

	var runs []Run
	err = s.read(ctx, func(tx *sql.Tx) error {
		var err error
		if order.metric == "" {
			dir := direction(order.desc)
			runs, err = queryRuns(ctx, tx, `SELECT `+runColumnsR+` FROM runs r WHERE 1`+f.sql+
				` ORDER BY r.created `+dir+`, r.id `+dir+limitSQL, f.args(opts.Limit, opts.Offset)...)
		} else {
			runs, err = listByMetric(ctx, tx, order, f, opts.Limit, opts.Offset)
		}
		if err != nil || len(runs) == 0 {
			return err
		}
		return attachSummaries(ctx, tx, runs)
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return runs, nil
}

// CountRuns counts the runs opts selects, ignoring its Limit, Offset and
// SortBy: what a pager shows as the total.
func (s *Store) CountRuns(ctx context.Context, opts ListOptions) (int, error) {
	if opts.Status != "" && !opts.Status.Valid() {
		return 0, fmt.Errorf("count runs: status %q: %w", opts.Status, ErrInvalid)
	}
	f := opts.filter()
	var n int
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM runs r WHERE 1`+f.sql, f.vals...).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count runs: %w", err)
	}
	return n, nil
}

// filter is the WHERE terms of the options' selection.
func (opts ListOptions) filter() filter {
	var f filter
	f.add(opts.Experiment != "", `r.experiment = ?`, opts.Experiment)
	f.add(opts.Status != "", `r.status = ?`, string(opts.Status))
	f.add(opts.SweepID != "", `r.sweep_id = ?`, opts.SweepID)
	f.add(opts.Key != "", `r.key = ?`, opts.Key)
	return f
}

// listByMetric lists the runs that have the metric in its order, walking the
// summaries index so that the first page of 100,000 runs reads about a page
// of rows, then the runs without it (or whose last value was NaN, stored as
// NULL), newest first.
func listByMetric(ctx context.Context, tx *sql.Tx, order sortOrder, f filter, limit, offset int) ([]Run, error) {
	// CROSS JOIN fixes the join order: summaries first, in index order.
	withMetric := ` FROM summaries s INDEXED BY summaries_sort CROSS JOIN runs r ON r.id = s.run_id
		WHERE s.split = ? AND s.name = ? AND s.last IS NOT NULL` + f.sql
	// Clipped, so that appending the limits below copies it.
	metricArgs := slices.Clip(append([]any{order.split, order.metric}, f.vals...))
	runs, err := queryRuns(ctx, tx, `SELECT `+runColumnsR+withMetric+` ORDER BY s.last `+
		direction(order.desc)+`, r.created DESC, r.id DESC`+limitSQL,
		append(metricArgs, sqlLimit(limit), offset)...)
	if err != nil || (limit > 0 && len(runs) == limit) {
		return runs, err
	}
	// The page reaches past the runs with the metric: the rest of it comes
	// from the runs without, from where the page starts among them.
	restOffset := 0
	if len(runs) == 0 && offset > 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*)`+withMetric, metricArgs...).Scan(&n); err != nil {
			return nil, err
		}
		restOffset = max(0, offset-n)
	}
	restLimit := 0
	if limit > 0 {
		restLimit = limit - len(runs)
	}
	rest, err := queryRuns(ctx, tx, `SELECT `+runColumnsR+` FROM runs r
		WHERE NOT EXISTS (SELECT 1 FROM summaries s
			WHERE s.run_id = r.id AND s.split = ? AND s.name = ? AND s.last IS NOT NULL)`+f.sql+`
		ORDER BY r.created DESC, r.id DESC`+limitSQL,
		append(metricArgs, sqlLimit(restLimit), restOffset)...)
	return append(runs, rest...), err
}

// filter is the AND terms of a WHERE clause on runs r, with their values.
type filter struct {
	sql  string
	vals []any
}

func (f *filter) add(on bool, term string, val any) {
	if on {
		f.sql += ` AND ` + term
		f.vals = append(f.vals, val)
	}
}

// args is the filter's values followed by a limit and offset.
func (f filter) args(limit, offset int) []any {
	return append(append([]any(nil), f.vals...), sqlLimit(limit), offset)
}

const limitSQL = ` LIMIT ? OFFSET ?`

// sqlLimit is limit as SQLite's LIMIT takes it: negative for none.
func sqlLimit(limit int) int {
	if limit == 0 {
		return -1
	}
	return limit
}

func direction(desc bool) string {
	if desc {
		return `DESC`
	}
	return `ASC`
}

func queryRuns(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]Run, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// runColumnsR is runColumns qualified for a join.
var runColumnsR = prefixed("r.", runColumns)

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
