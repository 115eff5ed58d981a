package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DBName is the database file inside the store directory.
const DBName = "xp.db"

// runsDir is the directory, inside the store directory, that holds artifacts.
const runsDir = "runs"

// pragmas apply to every connection. busy_timeout makes SQLite itself wait
// for another process's write lock; WAL lets readers run beside a writer;
// synchronous=NORMAL is durable across process crashes in WAL mode, which is
// what a run log needs, and much faster than FULL.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"

// Store is the run database and artifact directory of one .xp directory. It
// is safe for concurrent use, and several processes may open the same
// directory at once.
type Store struct {
	dir string

	// w is the only way to write: one connection whose transactions begin
	// with BEGIN IMMEDIATE, so writers in this process queue in database/sql
	// instead of polling SQLite's lock, and a transaction never has to upgrade
	// a read lock (the one case where SQLite reports SQLITE_BUSY without
	// waiting).
	w *sql.DB
	// r serves reads from several connections, read-only, which in WAL mode
	// neither wait for nor block the writer.
	r *sql.DB

	// dv is held for DataVersion: PRAGMA data_version only reports changes
	// made through other connections since the same connection last asked.
	dvMu sync.Mutex
	dv   *sql.Conn

	pointStmts *pointStmts

	// readOnly is a store opened with OpenReadOnly: w is r, and writes
	// fail (ErrReadOnly where the store checks first).
	readOnly bool

	// file is the database file as Open found it, and fileSize the
	// largest size seen since: what CheckFile compares the path with;
	// fileFD is the file, open to read its header.
	path     string
	fileMu   sync.Mutex
	file     os.FileInfo
	fileSize int64
	fileFD   *os.File

	now func() time.Time
}

// Open opens the store in dir, the .xp directory, creating dir, its runs/
// directory and the database dir/xp.db as needed, and brings the schema up to
// date. Several processes may Open the same dir at the same time.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, runsDir), 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(dir, DBName))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := checkNotLost(dir, path); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// A file: URI, so the path is escaped: a '?' or '%' in a directory name
	// must not be read as the start of the query or an escape.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxIdleConns(4)
	s := &Store{dir: dir, w: w, r: r, now: func() time.Time { return time.Now().UTC() }}
	// The writer connects first: the first connection to a new file turns it
	// to WAL, and a query_only connection could not.
	if err := s.retry(ctx, func() error { return w.PingContext(ctx) }); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := s.checkHasRuns(ctx, path); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.pointStmts, err = preparePointStmts(ctx, w); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.watchFile(path)
	return s, nil
}

// Close closes the database. Artifacts are files and need no closing.
func (s *Store) Close() error {
	var errs []error
	s.dvMu.Lock()
	if s.dv != nil {
		errs = append(errs, s.dv.Close())
		s.dv = nil
	}
	s.dvMu.Unlock()
	if s.pointStmts != nil {
		errs = append(errs, s.pointStmts.close())
	}
	s.fileMu.Lock()
	if s.fileFD != nil {
		s.fileFD.Close()
		s.fileFD, s.file = nil, nil
	}
	s.fileMu.Unlock()
	errs = append(errs, s.r.Close())
	if s.w != s.r {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// Dir is the store directory given to Open.
func (s *Store) Dir() string { return s.dir }

// ArtifactDir is where the files of run r live: dir/runs/<key>/<id>. Runs of
// one key share the key's directory, so a forced retrain or a rerun never
// overwrites the weights of an earlier run. The store does not create it.
func (s *Store) ArtifactDir(r *Run) string {
	return filepath.Join(s.dir, runsDir, r.Key, strconv.FormatInt(r.ID, 10))
}

// Tx runs fn in a write transaction (BEGIN IMMEDIATE), committing if fn
// returns nil and rolling back otherwise. If the database stays busy past the
// busy timeout, the whole transaction is retried, so fn may run more than once
// and must not have effects outside tx. fn must not call the Store's writing
// methods: the transaction holds the store's one write connection.
func (s *Store) Tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.readOnly {
		return s.errReadOnly("write")
	}
	if err := s.CheckFile(); err != nil {
		return err
	}
	return canceled(ctx, s.retry(ctx, func() error { return runTx(ctx, s.w, nil, fn) }))
}

// canceled is err, saying so when ctx ended while it happened: database/sql
// rolls back a transaction whose ctx is canceled, and its statements then
// fail with "statement is closed", which would read as a failure rather
// than the Ctrl-C it is.
func canceled(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, ctx.Err())
}

// read runs fn in a read transaction, which sees one snapshot of the database
// however many queries fn makes.
func (s *Store) read(ctx context.Context, fn func(*sql.Tx) error) error {
	return canceled(ctx, s.retry(ctx, func() error { return runTx(ctx, s.r, &sql.TxOptions{ReadOnly: true}, fn) }))
}

func runTx(ctx context.Context, db *sql.DB, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		// The rollback error adds nothing: fn's error says what went wrong,
		// and a failed rollback leaves nothing committed.
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// busyRetries and busyBackoff bound the retries after SQLite's own busy
// timeout has run out, which happens only under heavy contention or while
// another connection recovers the WAL. The backoff doubles and has no jitter:
// the busy handler has already spread the waiters out.
const (
	busyRetries = 5
	busyBackoff = 20 * time.Millisecond
)

// retry calls fn until it returns something other than a busy error, at most
// busyRetries+1 times, or until ctx is done.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	wait := busyBackoff
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || !isBusy(err) || attempt == busyRetries {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait *= 2
	}
}

// isBusy reports whether err is SQLite's "database is busy" or "locked",
// extended codes included.
func isBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// DataVersion returns a number that changes whenever another connection, in
// this process or another, commits a change to the database. A reader polls
// it and re-reads only when it moved; asking costs no table access.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	s.dvMu.Lock()
	defer s.dvMu.Unlock()
	if s.dv == nil {
		c, err := s.r.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("data version: %w", err)
		}
		s.dv = c
	}
	var v int64
	err := s.retry(ctx, func() error {
		return s.dv.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
	})
	if err != nil {
		return 0, fmt.Errorf("data version: %w", err)
	}
	return v, nil
}

// nanos stores t as unix nanoseconds, the zero time as 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos, in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
