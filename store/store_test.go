package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// openTest opens a store in a fresh directory whose clock the test drives.
func openTest(t testing.TB) (*Store, *clock) {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), ".xp"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	s.now = c.now
	return s, c
}

// clock is a settable time source; each reading advances it by a
// microsecond, so creation times are distinct and ordered.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKey is a valid run key: prefix followed by n in hex.
func testKey(prefix string, n int) string {
	return prefix + fmt.Sprintf("%0*x", 64-len(prefix), n)
}

func createTest(t testing.TB, s *Store, key, experiment string) *Run {
	t.Helper()
	r := &Run{Key: key, Experiment: experiment, Epochs: 10}
	if err := s.CreateRun(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("creates the layout", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nested", ".xp")
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, p := range []string{DBName, "runs"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
		var mode string
		if err := s.r.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v; want wal", mode, err)
		}
		var fk int
		if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
		}
	})
	t.Run("reopen keeps data and applies nothing twice", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		r := createTest(t, s, testKey("aaaa", 1), "credit")
		s.Close()
		for i := range 2 {
			s, err = Open(ctx, dir)
			if err != nil {
				t.Fatalf("reopen %d: %v", i, err)
			}
			var n int
			if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			ms, _ := migrations()
			if n != len(ms) {
				t.Errorf("reopen %d: %d migrations recorded, want %d", i, n, len(ms))
			}
			if _, err := s.Run(ctx, r.ID); err != nil {
				t.Errorf("reopen %d: %v", i, err)
			}
			s.Close()
		}
	})
	t.Run("refuses a newer schema", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 0)`); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err = Open(ctx, dir)
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("Open = %v, want ErrSchemaTooNew", err)
		}
	})
	t.Run("concurrent opens of a new store", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), ".xp")
		const n = 8
		stores := make([]*Store, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { stores[i], errs[i] = Open(ctx, dir) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Errorf("open %d: %v", i, errs[i])
				continue
			}
			defer stores[i].Close()
		}
		if t.Failed() {
			return
		}
		var v int
		ms, _ := migrations()
		if err := stores[0].r.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&v); err != nil || v != len(ms) {
			t.Errorf("schema_migrations rows = %d, %v; want %d", v, err, len(ms))
		}
	})
	t.Run("path with URI characters", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a?b#c%20d")
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := os.Stat(filepath.Join(dir, DBName)); err != nil {
			t.Errorf("database not at the escaped path: %v", err)
		}
	})
}

func TestTx(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	r := createTest(t, s, testKey("bbbb", 1), "credit")
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET experiment = 'changed' WHERE id = ?`, r.ID); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx = %v, want boom", err)
	}
	got, err := s.Run(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Experiment != "credit" {
		t.Errorf("experiment = %q after a failed Tx, want the rollback to keep credit", got.Experiment)
	}
}

// TestConcurrentWriters runs two stores on one file, as two processes would,
// each with several goroutines writing batches of points, and checks that
// nothing failed with SQLITE_BUSY and nothing was lost.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const (
		writers = 4 // per store
		batches = 200
		perBat  = 5
	)
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	ids := make(chan int64, 2*writers)
	for si, s := range stores {
		for w := range writers {
			wg.Go(func() {
				r := &Run{Key: testKey("cccc", si*writers+w), Experiment: "credit"}
				if err := s.CreateRun(ctx, r); err != nil {
					errs <- err
					return
				}
				if err := s.StartRun(ctx, r.ID, 100+w, "host"); err != nil {
					errs <- err
					return
				}
				ids <- r.ID
				for b := range batches {
					pts := make([]Point, perBat)
					for i := range pts {
						pts[i] = Point{Split: SplitTrain, Name: "loss", Epoch: b, Step: i, Value: float64(b*perBat + i)}
					}
					if err := s.AddPoints(ctx, r.ID, pts); err != nil {
						errs <- fmt.Errorf("store %d writer %d batch %d: %w", si, w, b, err)
						return
					}
					if b%50 == 0 {
						if _, err := s.Heartbeat(ctx, r.ID, b); err != nil {
							errs <- err
							return
						}
					}
				}
			})
		}
	}
	// A reader polls meanwhile, as the TUI would.
	done := make(chan struct{})
	var readErr error
	var rg sync.WaitGroup
	rg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := stores[1].ListRuns(ctx, ListOptions{SortBy: "-train.loss"}); err != nil {
				readErr = err
				return
			}
		}
	})
	wg.Wait()
	close(done)
	rg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		t.Error(err)
	}
	if readErr != nil {
		t.Errorf("reader: %v", readErr)
	}
	for id := range ids {
		r, err := stores[0].Run(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sum := r.Summary[SplitTrain]["loss"]
		if sum.Count != batches*perBat || sum.Best != 0 || sum.Last != batches*perBat-1 {
			t.Errorf("run %d: summary %+v, want count %d, best 0, last %d", id, sum, batches*perBat, batches*perBat-1)
		}
	}
}

func TestDataVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	v0, err := a.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := a.DataVersion(ctx); v != v0 {
		t.Errorf("data version moved from %d to %d with no write", v0, v)
	}
	steps := []struct {
		name  string
		write func() error
	}{
		{"write through the same store", func() error {
			return a.CreateRun(ctx, &Run{Key: testKey("dddd", 1), Experiment: "x"})
		}},
		{"write through another store", func() error {
			return b.CreateRun(ctx, &Run{Key: testKey("dddd", 2), Experiment: "x"})
		}},
	}
	prev := v0
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.write(); err != nil {
				t.Fatal(err)
			}
			v, err := a.DataVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if v == prev {
				t.Errorf("data version still %d after a write", v)
			}
			prev = v
		})
	}
}

// writerEnv names the store directory a child process of TestProcesses writes
// to; unset, TestWriterProcess does nothing.
const writerEnv = "XP_STORE_TEST_WRITER_DIR"

// TestProcesses runs writers in separate processes, this test binary started
// again, so that SQLite's file locks are taken by different processes and not
// only by different connections of one.
func TestProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const procs = 3
	cmds := make([]*exec.Cmd, procs)
	for i := range cmds {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWriterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), writerEnv+"="+dir)
		cmds[i] = cmd
	}
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i := range cmds {
		if errs[i] != nil {
			t.Errorf("writer process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	runs, err := s.ListRuns(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != procs*processWriters {
		t.Fatalf("%d runs, want %d", len(runs), procs*processWriters)
	}
	for _, r := range runs {
		if got := r.Summary[SplitTrain]["loss"].Count; r.Status != StatusSucceeded || got != processBatches*10 {
			t.Errorf("run %d: %s with %d points, want succeeded with %d", r.ID, r.Status, got, processBatches*10)
		}
	}
}

const (
	processWriters = 2
	processBatches = 100
)

// TestWriterProcess is the body of a TestProcesses child.
func TestWriterProcess(t *testing.T) {
	dir := os.Getenv(writerEnv)
	if dir == "" {
		return
	}
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for w := range processWriters {
		wg.Go(func() {
			r := &Run{Key: testKey("abab", os.Getpid()*10+w), Experiment: "procs"}
			if err := s.CreateRun(ctx, r); err != nil {
				t.Error(err)
				return
			}
			if err := s.StartRun(ctx, r.ID, os.Getpid(), "h"); err != nil {
				t.Error(err)
				return
			}
			for b := range processBatches {
				if err := s.AddPoints(ctx, r.ID, benchBatch(10, b)); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Heartbeat(ctx, r.ID, b); err != nil {
					t.Error(err)
					return
				}
			}
			if err := s.FinishRun(ctx, r.ID, StatusSucceeded, "", "", nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}
