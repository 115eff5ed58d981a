package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Source is one file of a run's experiment as it was when the run started.
type Source struct {
	// Path is relative to the run's project or repository root, with
	// forward slashes.
	Path    string `json:"path"`
	Content []byte `json:"-"`
}

// SaveSources records the exact source files of run id, replacing any it
// had. xp keeps them for dirty runs, whose files git cannot give back.
func (s *Store) SaveSources(ctx context.Context, id int64, files []Source) error {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM run_sources WHERE run_id = ?`, id); err != nil {
			return err
		}
		for _, f := range files {
			if f.Path == "" {
				return fmt.Errorf("a source without a path: %w", ErrInvalid)
			}
			content := f.Content
			if content == nil {
				content = []byte{} // an empty file is not a NULL
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO run_sources (run_id, path, content) VALUES (?, ?, ?)`,
				id, f.Path, content); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save sources of run %d: %w", id, err)
	}
	return nil
}

// Sources returns the source files recorded for run id, by path; none (and
// no error) when it has none, as a clean run does.
func (s *Store) Sources(ctx context.Context, id int64) ([]Source, error) {
	var out []Source
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = sourcesIn(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read sources of run %d: %w", id, err)
	}
	return out, nil
}

// sourcesIn reads the sources of run id in tx, by path.
func sourcesIn(ctx context.Context, tx *sql.Tx, id int64) ([]Source, error) {
	rows, err := tx.QueryContext(ctx, `SELECT path, content FROM run_sources WHERE run_id = ? ORDER BY path`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		var f Source
		if err := rows.Scan(&f.Path, &f.Content); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
