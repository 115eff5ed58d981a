package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Run is one training of one resolved experiment.
type Run struct {
	ID         int64             `json:"id"`
	Key        string            `json:"key"` // 64 lowercase hex: the run key
	Experiment string            `json:"experiment"`
	SpecHash   string            `json:"spec_hash"`
	Spec       json.RawMessage   `json:"spec,omitempty"` // the resolved spec
	DataHashes map[string]string `json:"data_hashes,omitempty"`
	Backend    string            `json:"backend"`
	Device     string            `json:"device"`
	Status     Status            `json:"status"`
	Error      string            `json:"error,omitempty"`
	// Epoch is the last epoch reported by Heartbeat, of Epochs.
	Epoch      int             `json:"epoch"`
	Epochs     int             `json:"epochs"`
	Provenance json.RawMessage `json:"provenance,omitempty"`
	Dirty      bool            `json:"dirty"`
	RerunOf    int64           `json:"rerun_of,omitempty"` // 0: not a rerun
	// Forced: trained again by xp run --force. ResumedFrom is the run
	// whose checkpoint this one continued, after its epoch ResumedEpoch
	// (0: trained from the start).
	Forced        bool            `json:"forced,omitempty"`
	ResumedFrom   int64           `json:"resumed_from,omitempty"`
	ResumedEpoch  int             `json:"resumed_epoch,omitempty"`
	SweepID       string          `json:"sweep_id,omitempty"`
	WeightsSHA256 string          `json:"weights_sha256,omitempty"`
	Timing        json.RawMessage `json:"timing,omitempty"`
	PID           int             `json:"pid,omitempty"`
	Host          string          `json:"host,omitempty"`
	// Times are UTC; the zero time means "not yet".
	CreatedAt       time.Time `json:"created_at"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
	HeartbeatAt     time.Time `json:"heartbeat_at"`
	CancelRequested bool      `json:"cancel_requested"`

	// UID is the run's globally unique id (NewUID), the same in every
	// store it is pushed to or pulled into; ID is this store's number.
	UID string `json:"uid"`
	// Remote is the remote a pulled run came from, empty for a run
	// trained here: with RerunOf, Forced and ResumedFrom, how the run came
	// to be in this store. Who trained it is in its provenance (host,
	// user), its one home for every run.
	Remote string `json:"remote,omitempty"`
	// Bundle is the sha256 of the run's bundle manifest, fixed by its
	// first push or its pull; empty until then.
	Bundle string `json:"bundle,omitempty"`

	// Summary is split -> metric -> summary, filled by the reads.
	Summary map[string]map[string]MetricSummary `json:"summary,omitempty"`
}

// ShortKey is a run key, or any other hex hash xp shows (a spec or data
// hash, a commit, a blob id), as shown to people: its first 12 characters.
// Every short form of a key, here, in the CLI and in the TUI, is this one,
// so that one can be pasted where the other was shown.
func ShortKey(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
}

// Short is the key as shown to people (ShortKey).
func (r *Run) Short() string { return ShortKey(r.Key) }

// runColumns and scanRun go together.
const runColumns = `id, key, experiment, spec_hash, spec, data_hashes, backend, device,
	status, error, epoch, epochs, provenance, dirty, rerun_of, sweep_id,
	weights_sha256, timing, pid, host, created, started, finished, heartbeat,
	cancel_requested, forced, resumed_from, resumed_epoch, uid, remote, bundle`

type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner) (Run, error) {
	var (
		r                                  Run
		spec, dataHashes, prov, timing     []byte
		rerunOf, resumedFrom               sql.NullInt64
		created, started, finished, beaten int64
	)
	err := sc.Scan(&r.ID, &r.Key, &r.Experiment, &r.SpecHash, &spec, &dataHashes,
		&r.Backend, &r.Device, &r.Status, &r.Error, &r.Epoch, &r.Epochs, &prov,
		&r.Dirty, &rerunOf, &r.SweepID, &r.WeightsSHA256, &timing, &r.PID, &r.Host,
		&created, &started, &finished, &beaten, &r.CancelRequested, &r.Forced, &resumedFrom, &r.ResumedEpoch,
		&r.UID, &r.Remote, &r.Bundle)
	if err != nil {
		return Run{}, err
	}
	r.Spec, r.Provenance, r.Timing = spec, prov, timing
	if len(dataHashes) > 0 {
		if err := json.Unmarshal(dataHashes, &r.DataHashes); err != nil {
			return Run{}, fmt.Errorf("run %d: data hashes: %w", r.ID, err)
		}
	}
	r.RerunOf, r.ResumedFrom = rerunOf.Int64, resumedFrom.Int64
	r.CreatedAt, r.StartedAt = fromNanos(created), fromNanos(started)
	r.FinishedAt, r.HeartbeatAt = fromNanos(finished), fromNanos(beaten)
	return r, nil
}

// jsonText is raw JSON as a column value: NULL when empty, an error when not
// JSON (a corrupt spec found months later is worse than a refused write).
func jsonText(field string, raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%s is not valid JSON: %w", field, ErrInvalid)
	}
	return string(raw), nil
}

// validKey reports whether k is a full run key: 64 lowercase hex digits.
func validKey(k string) bool {
	return len(k) == 64 && isHex(k)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CreateRun records a new run. It assigns r.ID and r.CreatedAt, sets
// r.Status to queued when empty, and r.UID to a new uid when empty: a run
// that another store recorded first (a cluster task's, followed and
// ingested by its coordinator) keeps its uid, so that the run the task
// pushed to a remote is the same run here.
func (s *Store) CreateRun(ctx context.Context, r *Run) error {
	ins, err := r.insert()
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	created := s.now()
	var id int64
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = ins(ctx, tx, created)
		return err
	})
	if err != nil {
		return fmt.Errorf("create run %s: %w", r.Short(), err)
	}
	r.ID, r.CreatedAt = id, created
	return nil
}

// insert checks r as a new run, setting its status to queued when empty,
// and returns the statement that records it in a write transaction, with
// its creation time, and gives its id.
func (r *Run) insert() (func(context.Context, *sql.Tx, time.Time) (int64, error), error) {
	if !validKey(r.Key) {
		return nil, fmt.Errorf("key %q is not 64 lowercase hex digits: %w", r.Key, ErrInvalid)
	}
	if r.Experiment == "" {
		return nil, fmt.Errorf("no experiment name: %w", ErrInvalid)
	}
	if r.Status == "" {
		r.Status = StatusQueued
	}
	if !r.Status.Valid() {
		return nil, fmt.Errorf("status %q: %w", r.Status, ErrInvalid)
	}
	cols, err := r.columns()
	if err != nil {
		return nil, err
	}
	var rerunOf, resumedFrom any
	if r.RerunOf != 0 {
		rerunOf = r.RerunOf
	}
	if r.ResumedFrom != 0 {
		resumedFrom = r.ResumedFrom
	}
	if r.UID != "" && !validUID(r.UID) {
		return nil, fmt.Errorf("uid %q: %w", r.UID, ErrInvalid)
	}
	return func(ctx context.Context, tx *sql.Tx, created time.Time) (int64, error) {
		uid, err := r.UID, error(nil)
		if uid == "" {
			if uid, err = NewUID(created); err != nil {
				return 0, err
			}
		}
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO runs (key, experiment, spec_hash, spec,
			data_hashes, backend, device, status, error, epoch, epochs, provenance, dirty,
			rerun_of, sweep_id, weights_sha256, timing, pid, host, created, started,
			finished, heartbeat, cancel_requested, forced, resumed_from, resumed_epoch, uid)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`,
			r.Key, r.Experiment, r.SpecHash, cols.spec, cols.dataHashes, r.Backend, r.Device,
			string(r.Status), r.Error, r.Epoch, r.Epochs, cols.provenance, r.Dirty, rerunOf,
			r.SweepID, r.WeightsSHA256, cols.timing, r.PID, r.Host, nanos(created),
			nanos(r.StartedAt), nanos(r.FinishedAt), nanos(r.HeartbeatAt),
			r.CancelRequested, r.Forced, resumedFrom, r.ResumedEpoch, uid).Scan(&id)
		if err == nil {
			r.UID = uid
		}
		return id, err
	}, nil
}

// StartRun marks a queued run running in process pid on host, and starts its
// heartbeat.
func (s *Store) StartRun(ctx context.Context, id int64, pid int, host string) error {
	now := nanos(s.now())
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs
			SET status = 'running', pid = ?, host = ?, started = ?, heartbeat = ?
			WHERE id = ? AND status = 'queued'`, pid, host, now, now, id)
		if err != nil {
			return err
		}
		return expectOne(ctx, tx, res, id)
	})
	if err != nil {
		return fmt.Errorf("start run %d: %w", id, err)
	}
	return nil
}

// Heartbeat tells the store that the run's process is alive and at epoch,
// and answers whether someone asked to cancel the run. A lost run that
// heartbeats is running again.
func (s *Store) Heartbeat(ctx context.Context, id int64, epoch int) (cancelRequested bool, err error) {
	now := nanos(s.now())
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE runs
			SET heartbeat = ?, epoch = ?, status = 'running',
				finished = CASE status WHEN 'lost' THEN 0 ELSE finished END
			WHERE id = ? AND status IN ('running', 'lost')
			RETURNING cancel_requested`, now, epoch, id).Scan(&cancelRequested)
		if errors.Is(err, sql.ErrNoRows) {
			return statusError(ctx, tx, id)
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("heartbeat run %d: %w", id, err)
	}
	return cancelRequested, nil
}

// FinishRun records the end of a run: status must be a finished one
// (succeeded, failed, canceled, diverged, pruned). A run can finish from
// queued (it failed before starting), running, or lost (its process was only
// slow), but only once.
func (s *Store) FinishRun(ctx context.Context, id int64, status Status, errMsg, weightsSHA256 string, timing json.RawMessage) error {
	if !status.Finished() {
		return fmt.Errorf("finish run %d: status %q is not a finished status: %w", id, status, ErrInvalid)
	}
	tm, err := jsonText("timing", timing)
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	now := nanos(s.now())
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs
			SET status = ?, error = ?, weights_sha256 = ?, timing = coalesce(?, timing), finished = ?
			WHERE id = ? AND status IN ('queued', 'running', 'lost')`,
			string(status), errMsg, weightsSHA256, tm, now, id)
		if err != nil {
			return err
		}
		return expectOne(ctx, tx, res, id)
	})
	if err != nil {
		return fmt.Errorf("finish run %d: %w", id, err)
	}
	return nil
}

// RequestCancel asks for a run to stop. A queued run is canceled at once; a
// running or lost one learns of it at its next Heartbeat and finishes itself.
func (s *Store) RequestCancel(ctx context.Context, id int64) error {
	now := nanos(s.now())
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs
			SET cancel_requested = 1,
				status = CASE status WHEN 'queued' THEN 'canceled' ELSE status END,
				finished = CASE status WHEN 'queued' THEN ? ELSE finished END
			WHERE id = ? AND status IN ('queued', 'running', 'lost')`, now, id)
		if err != nil {
			return err
		}
		return expectOne(ctx, tx, res, id)
	})
	if err != nil {
		return fmt.Errorf("cancel run %d: %w", id, err)
	}
	return nil
}

// expectOne turns an UPDATE of run id that changed nothing into ErrNotFound or
// ErrStatus.
func expectOne(ctx context.Context, tx *sql.Tx, res sql.Result, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	return statusError(ctx, tx, id)
}

// statusError explains why run id was not in a status the caller accepts.
func statusError(ctx context.Context, tx *sql.Tx, id int64) error {
	var st Status
	err := tx.QueryRowContext(ctx, `SELECT status FROM runs WHERE id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("run is %s: %w", st, ErrStatus)
}

// Run returns run id with its summary.
func (s *Store) Run(ctx context.Context, id int64) (*Run, error) {
	r, err := s.getRun(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read run %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	return r, nil
}

// LatestSucceeded returns the newest succeeded run of key, or ErrNotFound:
// the cache asks it before training.
func (s *Store) LatestSucceeded(ctx context.Context, key string) (*Run, error) {
	r, err := s.getRun(ctx, `SELECT `+runColumns+` FROM runs
		WHERE key = ? AND status = 'succeeded' ORDER BY created DESC, id DESC LIMIT 1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("latest succeeded run of %.12s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("latest succeeded run of %.12s: %w", key, err)
	}
	return r, nil
}

// getRun reads the run that query selects, with its summary, from one
// snapshot. No row is sql.ErrNoRows.
func (s *Store) getRun(ctx context.Context, query string, args ...any) (*Run, error) {
	var r Run
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = scanRun(tx.QueryRowContext(ctx, query, args...))
		if err != nil {
			return err
		}
		sums, err := readSummaries(ctx, tx, `WHERE run_id = ?`, r.ID)
		r.Summary = sums[r.ID]
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// MarkLost marks as lost every running run whose last heartbeat is older than
// staleAfter, and returns how many it marked. A lost run's finish time is its
// last heartbeat, the last moment it was known alive.
func (s *Store) MarkLost(ctx context.Context, staleAfter time.Duration) (int, error) {
	if s.readOnly {
		return 0, nil // a reader cannot record it; a writer will
	}
	if staleAfter <= 0 {
		return 0, fmt.Errorf("mark lost runs: staleAfter %v: %w", staleAfter, ErrInvalid)
	}
	cutoff := nanos(s.now().Add(-staleAfter))
	var n int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'lost', finished = heartbeat
			WHERE status = 'running' AND heartbeat < ?`, cutoff)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("mark lost runs: %w", err)
	}
	return int(n), nil
}

// DeleteRun deletes a run, its points and summary, and its artifact
// directory. It refuses a running run (ErrStatus): cancel it first. Reruns of
// it stay, with RerunOf cleared.
func (s *Store) DeleteRun(ctx context.Context, id int64) error {
	var key string
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var st Status
		err := tx.QueryRowContext(ctx, `SELECT key, status FROM runs WHERE id = ?`, id).Scan(&key, &st)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if st == StatusRunning {
			return fmt.Errorf("run is %s: %w", st, ErrStatus)
		}
		// Points and summaries go by ON DELETE CASCADE.
		_, err = tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete run %d: %w", id, err)
	}
	dir := s.ArtifactDir(&Run{ID: id, Key: key})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("delete run %d: %w", id, err)
	}
	// The key's directory goes with its last run; Remove fails harmlessly
	// while other runs of the key are left.
	_ = os.Remove(filepath.Dir(dir))
	return nil
}
