package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLostDatabase: a database that is missing, empty (0 bytes) or holds
// no run while run folders exist is refused, and nothing is written; with
// no run folders a new store opens as always.
func TestLostDatabase(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		lose func(t *testing.T, db string)
	}{
		{"missing", func(t *testing.T, db string) { removeDB(t, db) }},
		{"empty", func(t *testing.T, db string) {
			removeDB(t, db)
			if err := os.WriteFile(db, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"no runs", func(t *testing.T, db string) {
			removeDB(t, db)
			s, err := Open(ctx, filepath.Join(t.TempDir(), ".xp"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Backup(ctx, db); err != nil {
				t.Fatal(err)
			}
			s.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), ".xp")
			s, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			r := createTest(t, s, testKey("ab", 1), "iris")
			if err := os.MkdirAll(s.ArtifactDir(r), 0o755); err != nil {
				t.Fatal(err)
			}
			s.Close()
			db := filepath.Join(dir, DBName)
			tc.lose(t, db)
			before, _ := os.Stat(db)
			if s, err := Open(ctx, dir); !errors.Is(err, ErrLostDatabase) {
				if err == nil {
					s.Close()
				}
				t.Fatalf("open: %v, want ErrLostDatabase", err)
			}
			after, _ := os.Stat(db)
			if (before == nil) != (after == nil) || before != nil && before.Size() != after.Size() {
				t.Errorf("the refused database changed: %v -> %v", before, after)
			}
		})
	}
	if s, err := Open(ctx, filepath.Join(t.TempDir(), ".xp")); err != nil {
		t.Errorf("a new store: %v", err)
	} else {
		s.Close()
	}
}

func removeDB(t *testing.T, db string) {
	t.Helper()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
}

// TestBackupAndIntegrity: a backup taken while the store is open holds its
// runs and passes the integrity check; an existing file is not overwritten.
func TestBackupAndIntegrity(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	createTest(t, s, testKey("cd", 1), "iris")
	if problems, err := s.IntegrityCheck(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("a sound store: %v %v", problems, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "b.db")
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, path); !errors.Is(err, os.ErrExist) {
		t.Errorf("backup over an existing file: %v", err)
	}
	restored := filepath.Join(dir, ".xp")
	if err := os.MkdirAll(restored, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, filepath.Join(restored, DBName)); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n, err := b.CountRuns(ctx, ListOptions{})
	if err != nil || n != 1 {
		t.Errorf("the backup holds %d runs (%v), want 1", n, err)
	}
}

// TestOpenReadOnly: a store opened read-only serves its reads, marks no
// run lost (a reader cannot record it), and refuses writes with
// ErrReadOnly; the file is unchanged.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	r := createTest(t, s, testKey("ef", 1), "iris")
	if err := s.StartRun(ctx, r.ID, 1<<22, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Hour)
	ro, err := OpenReadOnly(ctx, s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if !ro.ReadOnly() || s.ReadOnly() {
		t.Errorf("ReadOnly: %v, %v", ro.ReadOnly(), s.ReadOnly())
	}
	runs, err := ro.ListRuns(ctx, ListOptions{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("list: %d runs, %v", len(runs), err)
	}
	if n, err := ro.MarkLost(ctx, time.Second); n != 0 || err != nil {
		t.Errorf("MarkLost read-only: %d, %v; want 0, nil", n, err)
	}
	if n, err := ro.MarkLostProcesses(ctx, "elsewhere", func(int) bool { return false }); n != 0 || err != nil {
		t.Errorf("MarkLostProcesses read-only: %d, %v; want 0, nil", n, err)
	}
	if err := ro.CreateRun(ctx, &Run{Key: testKey("ef", 2), Experiment: "iris", Epochs: 1}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("CreateRun read-only: %v, want ErrReadOnly", err)
	}
	got, err := s.Run(ctx, r.ID)
	if err != nil || got.Status != StatusRunning {
		t.Errorf("the run is %v (%v), want still running", got.Status, err)
	}
}

// TestTxCanceledMidway: a transaction whose ctx is canceled while it runs
// (Ctrl-C during a write) fails with an error that says canceled, not
// only database/sql's "transaction has already been committed or rolled
// back": the run then ends canceled, not failed.
func TestTxCanceledMidway(t *testing.T) {
	s, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		cancel()
		time.Sleep(50 * time.Millisecond) // database/sql rolls back the tx meanwhile
		_, err := tx.Exec(`SELECT 1`)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want an error matching context.Canceled", err)
	}
}

// TestFileChangedUnderARun: a database removed, replaced or truncated
// while a run trains fails the run's next write (its heartbeat, its
// finish) with ErrFileChanged, and nothing is recorded "succeeded" in a
// file no later command could read. Without the check SQLite writes on
// into the file it has open and FinishRun returns nil.
func TestFileChangedUnderARun(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, want string
		change     func(t *testing.T, db string)
	}{
		{"truncated", "was truncated from", func(t *testing.T, db string) {
			if err := os.Truncate(db, 0); err != nil {
				t.Fatal(err)
			}
		}},
		// A WAL checkpoint after the truncation writes its pages back at
		// their offsets: the file regains its size, with zeros before them.
		{"truncated and grown back", "no longer begins with SQLite's header", func(t *testing.T, db string) {
			fi, err := os.Stat(db)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(db, 0); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(db, fi.Size()+4096); err != nil {
				t.Fatal(err)
			}
		}},
		{"removed", "was removed", func(t *testing.T, db string) {
			if err := os.Remove(db); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced", "was replaced by another file", func(t *testing.T, db string) {
			b, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(db+".new", b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(db+".new", db); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), ".xp")
			s, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r := createTest(t, s, testKey("ab", 1), "iris")
			if err := s.StartRun(ctx, r.ID, os.Getpid(), "host"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Heartbeat(ctx, r.ID, 1); err != nil {
				t.Fatal(err)
			}
			tc.change(t, filepath.Join(dir, DBName))
			if _, err := s.Heartbeat(ctx, r.ID, 2); !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("heartbeat: %v, want ErrFileChanged saying %q", err, tc.want)
			}
			err = s.FinishRun(ctx, r.ID, StatusSucceeded, "", "sha", nil)
			if !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), "xp doctor --rebuild") {
				t.Errorf("finish: %v, want ErrFileChanged with the way out", err)
			}
		})
	}
}
