package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// topic is the migration's name without its number and extension:
// "run_uid" for 0006_run_uid.sql. Backfills are found by it, so a
// migration renumbered when branches merge keeps its backfill.
func (m migration) topic() string {
	_, rest, _ := strings.Cut(m.name, "_")
	return strings.TrimSuffix(rest, ".sql")
}

// backfills are the steps of migrations that SQL cannot express, run in
// the migration's transaction right after its SQL, by the migration's
// topic.
var backfills = map[string]func(context.Context, *sql.Tx) error{
	"run_uid": backfillUIDs,
}

// migrations returns the embedded migrations in order, checking that they are
// numbered 1, 2, 3... without gaps, so a missing file cannot be skipped.
func migrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies the migrations the database lacks, all in one write
// transaction: BEGIN IMMEDIATE makes a second process opening the store at the
// same time wait, and then find nothing left to do.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	// Most opens find the schema current; checking with a read first spares
	// them the write lock.
	var have int
	err = s.read(ctx, func(tx *sql.Tx) error {
		var err error
		have, err = schemaVersion(ctx, tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if have == len(ms) {
		return nil
	}
	if have > len(ms) {
		return fmt.Errorf("migrate: database schema version %d, this xp knows %d: %w", have, len(ms), ErrSchemaTooNew)
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name    TEXT    NOT NULL,
			applied INTEGER NOT NULL
		) STRICT`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		have, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if have > len(ms) {
			return fmt.Errorf("database schema version %d, this xp knows %d: %w", have, len(ms), ErrSchemaTooNew)
		}
		for _, m := range ms[have:] {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			if fill := backfills[m.topic()]; fill != nil {
				if err := fill(ctx, tx); err != nil {
					return fmt.Errorf("apply %s: %w", m.name, err)
				}
			}
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
				m.version, m.name, nanos(s.now())); err != nil {
				return fmt.Errorf("record %s: %w", m.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// schemaVersion is the highest applied migration, 0 for a new database.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
