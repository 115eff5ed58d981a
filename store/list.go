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
// runs without it), their summaries a batch at a time (EachListed).
func (s *Store) ListRuns(ctx context.Context, opts ListOptions) ([]Run, error) {
	var runs []Run
	err := s.EachListed(ctx, opts, func(batch []Run) error {
		runs = append(runs, batch...)
		return nil
	})
	return runs, err
}

// ListBatch is how many runs EachListed hands over at a time.
const ListBatch = 500

// EachListed calls fn with the runs ListRuns would return, in its order,
// ListBatch at a time, each with its summaries, from one snapshot: what
// holds a store's 200,000 runs in bounded memory (xp ls --limit 0). fn
// must not keep the batch, which is reused; its error stops the listing.
func (s *Store) EachListed(ctx context.Context, opts ListOptions, fn func([]Run) error) error {
	order, err := parseSort(opts.SortBy)
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	if opts.Status != "" && !opts.Status.Valid() {
		return fmt.Errorf("list runs: status %q: %w", opts.Status, ErrInvalid)
	}
	if opts.Limit < 0 || opts.Offset < 0 {
		return fmt.Errorf("list runs: negative limit or offset: %w", ErrInvalid)
	}
	f := opts.filter()
	var b *listBatch
	err = s.read(ctx, func(tx *sql.Tx) error {
		b = &listBatch{ctx: ctx, tx: tx, fn: fn}
		var err error
		if order.metric == "" {
			dir := direction(order.desc)
			_, err = b.query(`SELECT `+runColumnsR+` FROM runs r WHERE 1`+f.sql+
				` ORDER BY r.created `+dir+`, r.id `+dir+limitSQL, f.args(opts.Limit, opts.Offset)...)
		} else {
			err = listByMetric(ctx, b, order, f, opts.Limit, opts.Offset)
		}
		if err != nil {
			return err
		}
		return b.flush()
	})
	if b != nil && b.fnErr != nil {
		return b.fnErr // the caller's, as it is
	}
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	return nil
}

// listBatch gathers scanned runs and hands them to fn a batch at a time,
// with their summaries.
type listBatch struct {
	ctx  context.Context
	tx   *sql.Tx
	fn   func([]Run) error
	runs []Run
	// fnErr is fn's error, which ends the listing.
	fnErr error
}

// query scans the runs query selects into the batch; n is how many.
func (b *listBatch) query(query string, args ...any) (n int, err error) {
	rows, err := b.tx.QueryContext(b.ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return n, err
		}
		n++
		b.runs = append(b.runs, r)
		if len(b.runs) == ListBatch {
			if err := b.flush(); err != nil {
				return n, err
			}
		}
	}
	return n, rows.Err()
}

func (b *listBatch) flush() error {
	if len(b.runs) == 0 {
		return nil
	}
	if err := attachSummaries(b.ctx, b.tx, b.runs); err != nil {
		return err
	}
	b.fnErr = b.fn(b.runs)
	clear(b.runs)
	b.runs = b.runs[:0]
	return b.fnErr
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
func listByMetric(ctx context.Context, b *listBatch, order sortOrder, f filter, limit, offset int) error {
	// CROSS JOIN fixes the join order: summaries first, in index order.
	withMetric := ` FROM summaries s INDEXED BY summaries_sort CROSS JOIN runs r ON r.id = s.run_id
		WHERE s.split = ? AND s.name = ? AND s.last IS NOT NULL` + f.sql
	// Clipped, so that appending the limits below copies it.
	metricArgs := slices.Clip(append([]any{order.split, order.metric}, f.vals...))
	n, err := b.query(`SELECT `+runColumnsR+withMetric+` ORDER BY s.last `+
		direction(order.desc)+`, r.created DESC, r.id DESC`+limitSQL,
		append(metricArgs, sqlLimit(limit), offset)...)
	if err != nil || (limit > 0 && n == limit) {
		return err
	}
	// The page reaches past the runs with the metric: the rest of it comes
	// from the runs without, from where the page starts among them.
	restOffset := 0
	if n == 0 && offset > 0 {
		var with int
		if err := b.tx.QueryRowContext(ctx, `SELECT count(*)`+withMetric, metricArgs...).Scan(&with); err != nil {
			return err
		}
		restOffset = max(0, offset-with)
	}
	restLimit := 0
	if limit > 0 {
		restLimit = limit - n
	}
	_, err = b.query(`SELECT `+runColumnsR+` FROM runs r
		WHERE NOT EXISTS (SELECT 1 FROM summaries s
			WHERE s.run_id = r.id AND s.split = ? AND s.name = ? AND s.last IS NOT NULL)`+f.sql+`
		ORDER BY r.created DESC, r.id DESC`+limitSQL,
		append(metricArgs, sqlLimit(restLimit), restOffset)...)
	return err
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
