package store

import (
	"context"
	"database/sql"
	"fmt"
)

// PointsHeld lists the sweep points whose result run id holds, as
// "sweep-id[index]": a run a sweep reads its result from, which xp rm and
// xp gc leave alone.
func (s *Store) PointsHeld(ctx context.Context, id int64) ([]string, error) {
	var out []string
	err := s.read(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT sweep_id, idx FROM sweep_points WHERE run_id = ? ORDER BY sweep_id, idx`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sw string
			var idx int
			if err := rows.Scan(&sw, &idx); err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s[%d]", sw, idx))
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("points held by run %d: %w", id, err)
	}
	return out, nil
}
