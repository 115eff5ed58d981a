package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// RunData is one run with everything the database holds of it, in a form
// that another store can take in unchanged: what a remote carries from one
// store to another (package remote). Artifacts are files, not here.
type RunData struct {
	Run Run
	// RerunOfUID is the uid of the run Run reproduces ("" for none), and
	// ResumedFromUID of the run whose checkpoint it continued: their local
	// ids mean nothing in another store.
	RerunOfUID, ResumedFromUID string
	// Points are the run's points in the order they were added, which
	// decides, between two points of one epoch and step, the later.
	Points    []Point
	Summaries []SummaryRow
	// Sources are the files of a dirty run's experiment (SaveSources).
	Sources []Source
}

// SummaryRow is one stored summary: a metric of a split, with the step of
// its last value.
type SummaryRow struct {
	Split string `json:"split"`
	Name  string `json:"name"`
	MetricSummary
	LastStep int `json:"last_step"`
}

// ExportRun reads run id with its points, summaries and sources, from one
// snapshot.
func (s *Store) ExportRun(ctx context.Context, id int64) (*RunData, error) {
	var d RunData
	err := s.read(ctx, func(tx *sql.Tx) error {
		d = RunData{}
		r, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		d.Run = r
		if d.RerunOfUID, err = uidOf(ctx, tx, r.RerunOf); err != nil {
			return err
		}
		if d.ResumedFromUID, err = uidOf(ctx, tx, r.ResumedFrom); err != nil {
			return err
		}
		if d.Points, _, err = readPoints(ctx, tx, `SELECT id, split, name, epoch, step, value, time
			FROM points WHERE run_id = ? ORDER BY id`, id); err != nil {
			return err
		}
		if d.Summaries, err = summaryRows(ctx, tx, id); err != nil {
			return err
		}
		d.Sources, err = sourcesIn(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("export run %d: %w", id, err)
	}
	return &d, nil
}

// uidOf is the uid of run id, "" for id 0 or a run no longer here.
func uidOf(ctx context.Context, tx *sql.Tx, id int64) (string, error) {
	var uid string
	if id == 0 {
		return "", nil
	}
	err := tx.QueryRowContext(ctx, `SELECT uid FROM runs WHERE id = ?`, id).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return uid, err
}

// idOf is the local id of the run with this uid, nil for none here.
func idOf(ctx context.Context, tx *sql.Tx, uid string) (any, error) {
	if uid == "" {
		return nil, nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM runs WHERE uid = ?`, uid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return id, nil
}

func summaryRows(ctx context.Context, tx *sql.Tx, id int64) ([]SummaryRow, error) {
	rows, err := tx.QueryContext(ctx, `SELECT split, name, last, last_epoch, last_step, best,
		best_epoch, count FROM summaries WHERE run_id = ? ORDER BY split, name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SummaryRow
	for rows.Next() {
		var (
			r          SummaryRow
			last, best sql.NullFloat64
		)
		if err := rows.Scan(&r.Split, &r.Name, &last, &r.LastEpoch, &r.LastStep, &best, &r.BestEpoch, &r.Count); err != nil {
			return nil, err
		}
		r.Last, r.Best = fromNullable(last), fromNullable(best)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ImportRun records d, a run made in another store, with its points,
// summaries and sources as they were there, in one transaction; remote
// is where it came from (Run.Remote; who trained it stays in its
// provenance), and bundle is its bundle's sha256. A run whose uid is here
// already is left as it is: the answer is its id and added false.
// d.Run.ID is ignored; its RerunOf and ResumedFrom become the local runs
// of d.RerunOfUID and d.ResumedFromUID, if they are here.
func (s *Store) ImportRun(ctx context.Context, d *RunData, remote, bundle string) (id int64, added bool, err error) {
	r := d.Run
	if !validUID(r.UID) || !validKey(r.Key) || r.Experiment == "" || !r.Status.Valid() {
		return 0, false, fmt.Errorf("import run %q: uid, key, experiment or status malformed: %w", r.UID, ErrInvalid)
	}
	cols, err := r.columns()
	if err != nil {
		return 0, false, fmt.Errorf("import run %s: %w", r.UID, err)
	}
	now := nanos(s.now())
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		added = false
		err := tx.QueryRowContext(ctx, `SELECT id FROM runs WHERE uid = ?`, r.UID).Scan(&id)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		rerunOf, err := idOf(ctx, tx, d.RerunOfUID)
		if err != nil {
			return err
		}
		resumedFrom, err := idOf(ctx, tx, d.ResumedFromUID)
		if err != nil {
			return err
		}
		if id, err = insertRun(ctx, tx, nil, &r, cols, rerunOf, resumedFrom, remote, bundle); err != nil {
			return err
		}
		if err := s.importContents(ctx, tx, id, d); err != nil {
			return err
		}
		added = true
		_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO remote_runs (run_id, remote, at) VALUES (?, ?, ?)`, id, remote, now)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("import run %s: %w", r.UID, err)
	}
	return id, added, nil
}

// insertRun inserts r as it was recorded elsewhere, with id (nil: the
// next one) and the local ids of the runs it reran and resumed.
func insertRun(ctx context.Context, tx *sql.Tx, id any, r *Run, cols runJSONColumns, rerunOf, resumedFrom any, remote, bundle string) (int64, error) {
	var got int64
	err := tx.QueryRowContext(ctx, `INSERT INTO runs (id, key, experiment, spec_hash, spec,
		data_hashes, backend, device, status, error, epoch, epochs, provenance, dirty,
		rerun_of, sweep_id, weights_sha256, timing, pid, host, created, started,
		finished, heartbeat, cancel_requested, forced, resumed_from, resumed_epoch,
		uid, remote, bundle)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		id, r.Key, r.Experiment, r.SpecHash, cols.spec, cols.dataHashes, r.Backend, r.Device,
		string(r.Status), r.Error, r.Epoch, r.Epochs, cols.provenance, r.Dirty, rerunOf,
		r.SweepID, r.WeightsSHA256, cols.timing, r.Host, nanos(r.CreatedAt),
		nanos(r.StartedAt), nanos(r.FinishedAt), nanos(r.HeartbeatAt),
		r.Forced, resumedFrom, r.ResumedEpoch, r.UID, remote, bundle).Scan(&got)
	return got, err
}

// RestoreRun records d, a run this store held before its database was
// lost (read back from the copy its folder keeps), under its own id, so
// that its artifact folder is its own again; its RerunOf and ResumedFrom
// become the runs of d.RerunOfUID and d.ResumedFromUID, if restored
// already (restore in id order).
func (s *Store) RestoreRun(ctx context.Context, d *RunData) error {
	r := d.Run
	if r.ID <= 0 || !validUID(r.UID) || !validKey(r.Key) || r.Experiment == "" || !r.Status.Valid() {
		return fmt.Errorf("restore run %d: id, uid, key, experiment or status malformed: %w", r.ID, ErrInvalid)
	}
	cols, err := r.columns()
	if err != nil {
		return fmt.Errorf("restore run %d: %w", r.ID, err)
	}
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		rerunOf, err := idOf(ctx, tx, d.RerunOfUID)
		if err != nil {
			return err
		}
		resumedFrom, err := idOf(ctx, tx, d.ResumedFromUID)
		if err != nil {
			return err
		}
		if _, err := insertRun(ctx, tx, r.ID, &r, cols, rerunOf, resumedFrom, r.Remote, r.Bundle); err != nil {
			return err
		}
		return s.importContents(ctx, tx, r.ID, d)
	})
	if err != nil {
		return fmt.Errorf("restore run %d: %w", r.ID, err)
	}
	return nil
}

// importContents writes d's points, summaries and sources for run id.
func (s *Store) importContents(ctx context.Context, tx *sql.Tx, id int64, d *RunData) error {
	st := s.pointStmts.in(ctx, tx)
	for _, p := range d.Points {
		if p.Split == "" || p.Name == "" || p.Time.IsZero() {
			return fmt.Errorf("a point without a split, name or time: %w", ErrInvalid)
		}
	}
	if err := insertPoints(ctx, st, id, d.Points, 0); err != nil {
		return err
	}
	for _, m := range d.Summaries {
		if _, err := st.putSummary.ExecContext(ctx, id, m.Split, m.Name, nullable(m.Last),
			m.LastEpoch, m.LastStep, nullable(m.Best), m.BestEpoch, m.Count); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	}
	for _, f := range d.Sources {
		content := f.Content
		if content == nil {
			content = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO run_sources (run_id, path, content) VALUES (?, ?, ?)`,
			id, f.Path, content); err != nil {
			return err
		}
	}
	return nil
}

// runJSONColumns are a run's JSON columns as values to store.
type runJSONColumns struct{ spec, provenance, timing, dataHashes any }

func (r *Run) columns() (runJSONColumns, error) {
	var c runJSONColumns
	var err error
	if c.spec, err = jsonText("spec", r.Spec); err != nil {
		return c, err
	}
	if c.provenance, err = jsonText("provenance", r.Provenance); err != nil {
		return c, err
	}
	if c.timing, err = jsonText("timing", r.Timing); err != nil {
		return c, err
	}
	if r.DataHashes != nil {
		b, err := json.Marshal(r.DataHashes)
		if err != nil {
			return c, fmt.Errorf("data hashes: %w", err)
		}
		c.dataHashes = string(b)
	}
	return c, nil
}

// RunByUID returns the run with this uid, with its summary; ErrNotFound
// when this store has none.
func (s *Store) RunByUID(ctx context.Context, uid string) (*Run, error) {
	r, err := s.getRun(ctx, `SELECT `+runColumns+` FROM runs WHERE uid = ?`, uid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("run %s: %w", uid, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read run %s: %w", uid, err)
	}
	return r, nil
}

// UIDs is every run uid in the store: what a pull skips.
func (s *Store) UIDs(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.read(ctx, func(tx *sql.Tx) error {
		clear(out)
		rows, err := tx.QueryContext(ctx, `SELECT uid FROM runs`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				return err
			}
			out[u] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read run uids: %w", err)
	}
	return out, nil
}

// MarkOnRemote records that remote holds run id (it was pushed there).
func (s *Store) MarkOnRemote(ctx context.Context, id int64, remote string) error {
	now := nanos(s.now())
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO remote_runs (run_id, remote, at) VALUES (?, ?, ?)`, id, remote, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("record run %d on %s: %w", id, remote, err)
	}
	return nil
}

// OnRemote is the ids of the runs remote is known to hold.
func (s *Store) OnRemote(ctx context.Context, remote string) (map[int64]bool, error) {
	out := map[int64]bool{}
	err := s.read(ctx, func(tx *sql.Tx) error {
		clear(out)
		rows, err := tx.QueryContext(ctx, `SELECT run_id FROM remote_runs WHERE remote = ?`, remote)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read the runs on %s: %w", remote, err)
	}
	return out, nil
}

// SetBundle fixes run id's bundle sha256, unless it has one: it returns
// the bundle the run has now, which a caller that lost a race for it must
// use instead of its own.
func (s *Store) SetBundle(ctx context.Context, id int64, bundle string) (string, error) {
	var have string
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE runs SET bundle = ? WHERE id = ? AND bundle = ''`, bundle, id); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `SELECT bundle FROM runs WHERE id = ?`, id).Scan(&have)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("record the bundle of run %d: %w", id, err)
	}
	return have, nil
}
