package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrReadOnly is a write to a store opened with OpenReadOnly.
var ErrReadOnly = errors.New("the store is read-only here")

// IsReadOnly reports whether err, from Open, says this process may not
// write the store (a directory or file it may only read, a read-only
// filesystem): OpenReadOnly can still serve its reads.
func IsReadOnly(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			return true
		}
	}
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// OpenReadOnly opens the store in dir for reading only: for `xp ls`,
// `xp show`, `xp diff` and the TUI on a store this user may not write (a
// colleague's, a read-only mount). It creates nothing, migrates nothing,
// and marks no run lost; a write fails with an error matching ErrReadOnly.
// The schema must be the one this xp writes.
func OpenReadOnly(ctx context.Context, dir string) (*Store, error) {
	path, err := filepath.Abs(filepath.Join(dir, DBName))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := checkNotLost(dir, path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	s, have, err := openReading(ctx, dir, base)
	if err != nil && IsReadOnly(err) {
		// No xp.db-shm to read the WAL through, and none may be made here:
		// read the file as it is. A write its owner makes meanwhile may
		// show as an error; a second try reads it.
		s, have, err = openReading(ctx, dir, base+"&immutable=1")
	}
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w%s", path, err, shmHint(err))
	}
	ms, err := migrations()
	if err != nil {
		s.Close()
		return nil, err
	}
	if have != len(ms) {
		s.Close()
		if have > len(ms) {
			return nil, fmt.Errorf("open %s: database schema version %d, this xp knows %d: %w", path, have, len(ms), ErrSchemaTooNew)
		}
		return nil, fmt.Errorf("open %s read-only: its schema (version %d) needs the upgrade to %d, which needs write access: run any xp command once as a user who may write it", path, have, len(ms))
	}
	if err := s.checkHasRuns(ctx, path); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// openReading opens the database at uri for reading and returns its
// schema version.
func openReading(ctx context.Context, dir, uri string) (*Store, int, error) {
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, 0, err
	}
	db.SetMaxIdleConns(4)
	s := &Store{dir: dir, w: db, r: db, readOnly: true, now: func() time.Time { return time.Now().UTC() }}
	var have int
	err = s.read(ctx, func(tx *sql.Tx) error {
		var err error
		have, err = schemaVersion(ctx, tx)
		return err
	})
	if err != nil {
		s.Close()
		return nil, 0, err
	}
	return s, have, nil
}

// shmHint explains a read-only open that fails on the WAL's shared-memory
// file: one left by another user, which this one may not write.
func shmHint(err error) string {
	if !IsReadOnly(err) {
		return ""
	}
	return " (a read-only store is read through its xp.db-shm file, which this user may not write: it was left by the store's owner, whose next xp command removes it; or ask them to run xp backup and read the copy)"
}

// ReadOnly reports whether s was opened with OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// errReadOnly is what a write to a read-only store returns.
func (s *Store) errReadOnly(what string) error {
	return fmt.Errorf("%s: %w", what, ErrReadOnly)
}
