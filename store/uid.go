package store

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
)

// uidEntropy is the random part of every uid this process makes: the
// operating system's random source, not a run's seeded RNG nor one seeded
// from the clock (an id is identity, not part of what a run computes, and
// two machines creating runs in the same millisecond must not collide),
// monotonic within a millisecond so that one process's ids sort in the
// order it made them.
var uidEntropy = &ulid.LockedMonotonicReader{MonotonicReader: ulid.Monotonic(crand.Reader, 0)}

// NewUID is a run's globally unique id, made at t: a ULID, 26 characters
// of Crockford base32 that sort by time.
func NewUID(t time.Time) (string, error) {
	id, err := ulid.New(ulid.Timestamp(t), uidEntropy)
	if err != nil {
		return "", fmt.Errorf("make a run uid: %w", err)
	}
	return id.String(), nil
}

// validUID reports whether u is a ULID as NewUID writes it.
func validUID(u string) bool {
	id, err := ulid.ParseStrict(u)
	return err == nil && id.String() == u
}

// backfillUIDs gives every run recorded before runs had uids one made
// from its creation time, in id order.
func backfillUIDs(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, created FROM runs WHERE uid = '' ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read runs without uid: %w", err)
	}
	type run struct{ id, created int64 }
	var runs []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.id, &r.created); err != nil {
			rows.Close()
			return fmt.Errorf("read runs without uid: %w", err)
		}
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read runs without uid: %w", err)
	}
	for _, r := range runs {
		uid, err := NewUID(time.Unix(0, r.created))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET uid = ? WHERE id = ?`, uid, r.id); err != nil {
			return fmt.Errorf("give run %d a uid: %w", r.id, err)
		}
	}
	return nil
}
