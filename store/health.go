package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// ErrLostDatabase is a store whose database is missing, empty or holds no
// run while its runs/ directory holds run folders: the database was lost,
// truncated or replaced. It is never reused: new run ids would start at 1
// again and write into the folders of existing runs.
var ErrLostDatabase = errors.New("the database lost its runs")

// lostDatabase is the error for a database at path that is gone or empty
// (how says which) while the store's runs/ holds n run folders.
func lostDatabase(path, how string, n int) error {
	return fmt.Errorf("%w: %s is %s, but %s holds %d run folder(s); xp will not reuse it (new runs would write into existing run folders): `xp doctor --rebuild` restores the runs from their folders (keeping this file aside), or put back a copy made with `xp backup` as %s",
		ErrLostDatabase, path, how, filepath.Join(filepath.Dir(path), runsDir), n, path)
}

// checkNotLost refuses to open a missing or 0-byte database when run
// folders exist. A database SQLite cannot read is left to Open's error.
func checkNotLost(dir, path string) error {
	fi, err := os.Stat(path)
	how := ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		how = "missing"
	case err == nil && fi.Size() == 0:
		how = "empty (0 bytes)"
	default:
		return nil
	}
	if n := RunFolders(dir, 1); n > 0 {
		return lostDatabase(path, how, n)
	}
	return nil
}

// checkHasRuns refuses a database that holds no run while run folders
// exist (one made anew by an xp that did not check, or a truncated file
// SQLite still opens).
func (s *Store) checkHasRuns(ctx context.Context, path string) error {
	var any bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM runs)`).Scan(&any); err != nil || any {
		return err
	}
	if n := RunFolders(s.dir, 1); n > 0 {
		return lostDatabase(path, "without any run", n)
	}
	return nil
}

// watchFile notes the identity and size of the database file at path,
// which CheckFile compares with, and keeps it open to read its header.
func (s *Store) watchFile(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return
	}
	s.fileMu.Lock()
	s.path, s.file, s.fileSize, s.fileFD = path, fi, fi.Size(), f
	s.fileMu.Unlock()
}

// sqliteHeader begins every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// CheckFile reports a database file that was removed, replaced by another
// file or truncated since Open. SQLite goes on writing into the file it
// has open, so without this check a run whose database was truncated under
// it would end "succeeded" in a file no later command can read. A database
// never shrinks under xp (it never vacuums in place), so a smaller file is
// a damaged one; and since a WAL checkpoint after the truncation can grow
// the file back (its pages written at their offsets, zeros before them),
// the file must still begin with SQLite's header. Every write checks
// first: a stat and a 16-byte read.
func (s *Store) CheckFile() error {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	if s.file == nil {
		return nil
	}
	fi, err := os.Stat(s.path)
	how := ""
	var hdr [len(sqliteHeader)]byte
	switch {
	case errors.Is(err, fs.ErrNotExist):
		how = "was removed"
	case err != nil:
		return fmt.Errorf("check %s: %w", s.path, err)
	case !os.SameFile(fi, s.file):
		how = "was replaced by another file"
	case fi.Size() < s.fileSize:
		how = fmt.Sprintf("was truncated from %d to %d bytes", s.fileSize, fi.Size())
	default:
		if _, err := s.fileFD.ReadAt(hdr[:], 0); err != nil || string(hdr[:]) != sqliteHeader {
			how = "was overwritten or truncated (it no longer begins with SQLite's header)"
			break
		}
		s.fileSize = fi.Size()
		return nil
	}
	return fmt.Errorf("%w: %s %s while xp had it open; nothing more is written to it (the run folders under %s keep what was trained: `xp doctor` says what is left, `xp doctor --rebuild` restores the runs from their folders)",
		ErrFileChanged, s.path, how, filepath.Join(filepath.Dir(s.path), runsDir))
}

// RunFolders counts the run folders (runs/<key>/<id>/) of the store in dir,
// stopping at limit (0: all of them).
func RunFolders(dir string, limit int) int {
	keys, err := os.ReadDir(filepath.Join(dir, runsDir))
	if err != nil {
		return 0
	}
	n := 0
	for _, k := range keys {
		if !k.IsDir() {
			continue
		}
		ids, err := os.ReadDir(filepath.Join(dir, runsDir, k.Name()))
		if err != nil {
			continue
		}
		for _, id := range ids {
			if _, err := strconv.ParseInt(id.Name(), 10, 64); err == nil && id.IsDir() {
				n++
				if limit > 0 && n >= limit {
					return n
				}
			}
		}
	}
	return n
}

// IntegrityCheck runs SQLite's integrity_check over the database and
// returns the problems it reports, none for a sound database. A check that
// SQLite itself cannot finish (a page too damaged to walk) is one more
// problem, not an error: the database is damaged either way. The error is
// for a check that could not start, or ctx.
func (s *Store) IntegrityCheck(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("integrity check: %w", err)
		}
		return []string{err.Error()}, nil
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return append(problems, err.Error()), nil
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("integrity check: %w", err)
		}
		problems = append(problems, err.Error())
	}
	return problems, nil
}

// Backup writes a consistent copy of the database to path, a file that
// must not exist yet, while other processes keep reading and writing it
// (VACUUM INTO reads one snapshot). The artifacts are files: copy runs/
// with it to keep the weights.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup to %s: %w", path, fs.ErrExist)
	}
	err := s.retry(ctx, func() error {
		conn, err := s.w.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, path)
		return err
	})
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}
