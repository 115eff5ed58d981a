package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNoPoint: the sweep has no point that can be claimed now (all done, or
// claimed by owners that are alive).
var ErrNoPoint = errors.New("no point to claim")

// Sweep is the queue of one sweep: its points are QueuedPoints.
type Sweep struct {
	ID         string `json:"id"`
	Experiment string `json:"experiment"`
	SpecHash   string `json:"spec_hash"`
	Method     string `json:"method"`
	// Metric ("<split>.<name>") and Mode ("min", "max") pick the best point.
	Metric string `json:"metric"`
	Mode   string `json:"mode"`
	// Points is how many points the sweep has: for a sweep that chooses
	// its points as it goes (tpe), how many it will have, of which the
	// queue holds those chosen so far (Enqueue records the larger of
	// Points and the points it is given).
	Points    int       `json:"points"`
	CreatedAt time.Time `json:"created"`
	UpdatedAt time.Time `json:"updated"`
}

// PointState is where a point is in the queue.
type PointState string

const (
	PointPending PointState = "pending" // waiting for a process to claim it
	PointClaimed PointState = "claimed" // a process owns it and heartbeats
	PointDone    PointState = "done"    // finished; Status says how
)

// QueuedPoint is one point of a sweep's queue.
type QueuedPoint struct {
	SweepID string `json:"sweep_id"`
	Index   int    `json:"index"`
	Key     string `json:"key"`
	// Params is the point's values, JSON (the queue does not read it).
	Params json.RawMessage `json:"params"`
	State  PointState      `json:"state"`
	// Status and Error say how a done point ended: the status of its run,
	// or failed without a run when it failed before one was created.
	Status Status `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
	// RunID is the run that holds the point's result (a cached point's
	// may belong to another sweep).
	RunID       int64     `json:"run_id,omitempty"`
	Cached      bool      `json:"cached"`
	Owner       string    `json:"owner,omitempty"`
	ClaimedAt   time.Time `json:"claimed"`
	HeartbeatAt time.Time `json:"heartbeat"`
	FinishedAt  time.Time `json:"finished"`
	Attempts    int       `json:"attempts"`
	// SlurmTask is the Slurm array task ("<job>_<index>") submitted for
	// the point, "" for a point trained by a local process.
	SlurmTask string `json:"slurm_task,omitempty"`

	// Filled by ClaimedPoints from the run in training: its progress.
	RunKey    string `json:"run_key,omitempty"`
	RunEpoch  int    `json:"run_epoch,omitempty"`
	RunEpochs int    `json:"run_epochs,omitempty"`
	RunStatus Status `json:"run_status,omitempty"`
}

// SweepStatus is a sweep with the number of its points in each state.
type SweepStatus struct {
	Sweep
	Pending, Claimed, Done int
	// ByStatus counts the done points by how they ended.
	ByStatus map[Status]int
}

// pointColumns and scanPoint go together; pointColumnsP is pointColumns
// qualified for a join.
const (
	pointColumns = `sweep_id, idx, key, params, state, status, error, coalesce(run_id, 0),
	cached, owner, claimed, heartbeat, finished, attempts, slurm_task`
	pointColumnsP = `p.sweep_id, p.idx, p.key, p.params, p.state, p.status, p.error, coalesce(p.run_id, 0),
	p.cached, p.owner, p.claimed, p.heartbeat, p.finished, p.attempts, p.slurm_task`
)

func scanPoint(sc scanner, extra ...any) (QueuedPoint, error) {
	var (
		p                         QueuedPoint
		params                    []byte
		claimed, beaten, finished int64
	)
	dest := append([]any{&p.SweepID, &p.Index, &p.Key, &params, &p.State, &p.Status, &p.Error,
		&p.RunID, &p.Cached, &p.Owner, &claimed, &beaten, &finished, &p.Attempts, &p.SlurmTask}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return QueuedPoint{}, err
	}
	p.Params = params
	p.ClaimedAt, p.HeartbeatAt, p.FinishedAt = fromNanos(claimed), fromNanos(beaten), fromNanos(finished)
	return p, nil
}

// Enqueue records sweep sw and its points, or brings a recorded queue up to
// date, and returns how many points are left to do. Points keep their state
// across calls, which is how a second `xp run` of a sweep continues where
// the first stopped, except that a point is made pending again when its key
// changed (the data or the backend changed under the same sweep), when it
// ended without a result worth keeping (failed, canceled, lost: tried
// again) or its run was deleted, or for every done point when retrain is
// set (--force). Points beyond len(points) are dropped.
func (s *Store) Enqueue(ctx context.Context, sw *Sweep, points []QueuedPoint, retrain bool) (int, error) {
	if sw.ID == "" || sw.Experiment == "" {
		return 0, fmt.Errorf("enqueue sweep: no id or experiment: %w", ErrInvalid)
	}
	for i, p := range points {
		if p.Index != i || !validKey(p.Key) || !json.Valid(p.Params) {
			return 0, fmt.Errorf("enqueue sweep %s: point %d: index %d, key %q or params invalid: %w", sw.ID, i, p.Index, p.Key, ErrInvalid)
		}
	}
	now := s.now()
	var left int
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sweeps (id, experiment, spec_hash, method, metric,
			mode, points, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET experiment = excluded.experiment, spec_hash = excluded.spec_hash,
				method = excluded.method, metric = excluded.metric, mode = excluded.mode,
				points = excluded.points, updated = excluded.updated`,
			sw.ID, sw.Experiment, sw.SpecHash, sw.Method, sw.Metric, sw.Mode, max(sw.Points, len(points)),
			nanos(now), nanos(now)); err != nil {
			return fmt.Errorf("record sweep: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO sweep_points (sweep_id, idx, key, params, state)
			VALUES (?, ?, ?, ?, 'pending')
			ON CONFLICT (sweep_id, idx) DO UPDATE SET key = excluded.key, params = excluded.params,
				state = 'pending', status = '', error = '', run_id = NULL, cached = 0, owner = '',
				claimed = 0, heartbeat = 0, finished = 0
			WHERE sweep_points.key != excluded.key
				OR (sweep_points.state = 'done' AND (? OR sweep_points.run_id IS NULL
					OR sweep_points.status NOT IN ('succeeded', 'pruned', 'diverged')))`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range points {
			if _, err := stmt.ExecContext(ctx, sw.ID, p.Index, p.Key, string(p.Params), retrain); err != nil {
				return fmt.Errorf("enqueue point %d: %w", p.Index, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sweep_points WHERE sweep_id = ? AND idx >= ?`,
			sw.ID, len(points)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM sweep_points
			WHERE sweep_id = ? AND state != 'done'`, sw.ID).Scan(&left)
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue sweep %s: %w", sw.ID, err)
	}
	sw.UpdatedAt = now
	return left, nil
}

// AppendPoint adds point p, pending, at the end of the queue of sweep
// sweepID (recorded by Enqueue), for a sweep that chooses its points as it
// goes: p.Index must be the number of points the queue holds. When another
// process appended a point at p.Index first, the queue keeps that one and
// AppendPoint returns it: the caller compares it with its own. An index
// beyond the end is ErrInvalid.
func (s *Store) AppendPoint(ctx context.Context, sweepID string, p QueuedPoint) (*QueuedPoint, error) {
	if !validKey(p.Key) || !json.Valid(p.Params) {
		return nil, fmt.Errorf("append point %d to sweep %s: key %q or params invalid: %w", p.Index, sweepID, p.Key, ErrInvalid)
	}
	var out QueuedPoint
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sweep_points WHERE sweep_id = ?`, sweepID).Scan(&n); err != nil {
			return err
		}
		switch {
		case p.Index > n:
			return fmt.Errorf("the queue holds %d points: %w", n, ErrInvalid)
		case p.Index == n:
			if _, err := tx.ExecContext(ctx, `INSERT INTO sweep_points (sweep_id, idx, key, params, state)
				VALUES (?, ?, ?, ?, 'pending')`, sweepID, p.Index, p.Key, string(p.Params)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sweeps SET points = max(points, ?), updated = ? WHERE id = ?`,
				n+1, nanos(s.now()), sweepID); err != nil {
				return err
			}
		}
		var err error
		out, err = scanPoint(tx.QueryRowContext(ctx, `SELECT `+pointColumns+` FROM sweep_points
			WHERE sweep_id = ? AND idx = ?`, sweepID, p.Index))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("append point %d to sweep %s: %w", p.Index, sweepID, err)
	}
	return &out, nil
}

// ClaimPoint gives the next point of sweep sweepID to owner: the first
// pending one, else the first claimed by another owner whose heartbeat is
// older than staleAfter or that dead reports gone (dead may be nil). The
// choice and the claim are one write transaction, so two processes never
// claim one point. ErrNoPoint when there is none.
func (s *Store) ClaimPoint(ctx context.Context, sweepID, owner string, staleAfter time.Duration, dead func(owner string) bool) (*QueuedPoint, error) {
	if owner == "" || staleAfter <= 0 {
		return nil, fmt.Errorf("claim point of %s: no owner or staleAfter %v: %w", sweepID, staleAfter, ErrInvalid)
	}
	var p QueuedPoint
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		idx := -1
		err := tx.QueryRowContext(ctx, `SELECT idx FROM sweep_points WHERE sweep_id = ? AND state = 'pending'
			ORDER BY idx LIMIT 1`, sweepID).Scan(&idx)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if idx < 0 {
			if idx, err = takeOver(ctx, tx, sweepID, owner, nanos(now.Add(-staleAfter)), dead); err != nil {
				return err
			}
		}
		if idx < 0 {
			return ErrNoPoint
		}
		p, err = scanPoint(tx.QueryRowContext(ctx, `UPDATE sweep_points
			SET state = 'claimed', owner = ?, claimed = ?, heartbeat = ?, attempts = attempts + 1, slurm_task = ''
			WHERE sweep_id = ? AND idx = ? RETURNING `+pointColumns, owner, nanos(now), nanos(now), sweepID, idx))
		return err
	})
	if errors.Is(err, ErrNoPoint) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("claim point of %s: %w", sweepID, err)
	}
	return &p, nil
}

// takeOver finds the first point claimed by an owner other than owner that
// is stale (heartbeat before cutoff) or dead; -1 when none is.
func takeOver(ctx context.Context, tx *sql.Tx, sweepID, owner string, cutoff int64, dead func(string) bool) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT idx, owner, heartbeat FROM sweep_points
		WHERE sweep_id = ? AND state = 'claimed' AND owner != ? ORDER BY idx`, sweepID, owner)
	if err != nil {
		return -1, err
	}
	defer rows.Close()
	verdict := map[string]bool{} // owner -> dead, asked once per owner
	for rows.Next() {
		var (
			idx    int
			other  string
			beatAt int64
		)
		if err := rows.Scan(&idx, &other, &beatAt); err != nil {
			return -1, err
		}
		if beatAt < cutoff {
			return idx, nil
		}
		gone, asked := verdict[other]
		if !asked {
			gone = dead != nil && dead(other)
			verdict[other] = gone
		}
		if gone {
			return idx, nil
		}
	}
	return -1, rows.Err()
}

// BeatPoints renews the claims of owner and returns the indexes, by sweep,
// of the points it still holds: a point missing from the answer was taken
// over by another process (owner's heartbeat went stale), and owner must
// stop working on it.
func (s *Store) BeatPoints(ctx context.Context, owner string) (map[string][]int, error) {
	held := map[string][]int{}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		clear(held)
		rows, err := tx.QueryContext(ctx, `UPDATE sweep_points SET heartbeat = ?
			WHERE owner = ? AND state = 'claimed' RETURNING sweep_id, idx`, nanos(s.now()), owner)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id  string
				idx int
			)
			if err := rows.Scan(&id, &idx); err != nil {
				return err
			}
			held[id] = append(held[id], idx)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("heartbeat points of %s: %w", owner, err)
	}
	return held, nil
}

// PointOutcome is how a point ended.
type PointOutcome struct {
	Status Status
	Error  string
	RunID  int64 // 0: no run was recorded
	Cached bool  // RunID is an earlier run of the same key
}

// FinishPoint marks point idx of sweepID, claimed by owner, done. ErrStatus
// when owner no longer holds it (it was taken over).
func (s *Store) FinishPoint(ctx context.Context, sweepID string, idx int, owner string, out PointOutcome) error {
	if !out.Status.Valid() {
		return fmt.Errorf("finish point %d of %s: status %q: %w", idx, sweepID, out.Status, ErrInvalid)
	}
	var runID any
	if out.RunID != 0 {
		runID = out.RunID
	}
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sweep_points
			SET state = 'done', status = ?, error = ?, run_id = ?, cached = ?,
				owner = '', finished = ?
			WHERE sweep_id = ? AND idx = ? AND owner = ? AND state = 'claimed'`,
			string(out.Status), out.Error, runID, out.Cached, nanos(s.now()), sweepID, idx, owner)
		if err != nil {
			return err
		}
		return expectClaimed(res)
	})
	if err != nil {
		return fmt.Errorf("finish point %d of %s: %w", idx, sweepID, err)
	}
	return nil
}

// SetSlurmTasks records, for points of sweepID claimed by owner, the Slurm
// array task submitted for each (by point index). ErrStatus when owner no
// longer holds one of them.
func (s *Store) SetSlurmTasks(ctx context.Context, sweepID, owner string, tasks map[int]string) error {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		for idx, task := range tasks {
			res, err := tx.ExecContext(ctx, `UPDATE sweep_points SET slurm_task = ?
				WHERE sweep_id = ? AND idx = ? AND owner = ? AND state = 'claimed'`, task, sweepID, idx, owner)
			if err != nil {
				return err
			}
			if err := expectClaimed(res); err != nil {
				return fmt.Errorf("point %d: %w", idx, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record slurm tasks of %s: %w", sweepID, err)
	}
	return nil
}

// ReleasePoint gives point idx of sweepID back to the queue, pending, when
// owner stops without finishing it (Ctrl-C): the next `xp run` trains it.
func (s *Store) ReleasePoint(ctx context.Context, sweepID string, idx int, owner string) error {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sweep_points SET state = 'pending', owner = ''
			WHERE sweep_id = ? AND idx = ? AND owner = ? AND state = 'claimed'`, sweepID, idx, owner)
		if err != nil {
			return err
		}
		return expectClaimed(res)
	})
	if err != nil {
		return fmt.Errorf("release point %d of %s: %w", idx, sweepID, err)
	}
	return nil
}

func expectClaimed(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("the point is no longer claimed by this process: %w", ErrStatus)
	}
	return nil
}

// NeverStarted is the error of a point that a canceled sweep stopped
// before it started (CancelSweep).
const NeverStarted = "never started: the sweep was canceled"

// CancelSweep stops sweep sweepID from starting any more points: its
// pending points, and those claimed by a process that has not started
// training them (no run of the point in training yet, no Slurm task), are
// done, canceled, with the error NeverStarted. It returns how many. The
// points in training are for their runs' cancel requests to stop. The
// next xp run of the sweep queues the canceled points again.
func (s *Store) CancelSweep(ctx context.Context, sweepID string) (int, error) {
	var n int64
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sweep_points
			SET state = 'done', status = 'canceled', error = ?, owner = '', finished = ?
			WHERE sweep_id = ? AND (state = 'pending' OR (state = 'claimed' AND slurm_task = ''
				AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.key = sweep_points.key
					AND r.sweep_id = sweep_points.sweep_id AND r.status IN ('queued', 'running'))))`,
			NeverStarted, nanos(s.now()), sweepID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cancel sweep %s: %w", sweepID, err)
	}
	return int(n), nil
}

// PointHeldBy reports whether owner still holds point idx of sweepID:
// claimed, not taken over, not canceled (CancelSweep).
func (s *Store) PointHeldBy(ctx context.Context, sweepID string, idx int, owner string) (bool, error) {
	var n int
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM sweep_points
			WHERE sweep_id = ? AND idx = ? AND owner = ? AND state = 'claimed'`, sweepID, idx, owner).Scan(&n)
	})
	if err != nil {
		return false, fmt.Errorf("read point %d of %s: %w", idx, sweepID, err)
	}
	return n == 1, nil
}

// SweepPoints returns the points of sweep sweepID in order.
func (s *Store) SweepPoints(ctx context.Context, sweepID string) ([]QueuedPoint, error) {
	var out []QueuedPoint
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+pointColumns+` FROM sweep_points
			WHERE sweep_id = ? ORDER BY idx`, sweepID)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			p, err := scanPoint(rows)
			if err != nil {
				return err
			}
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read points of sweep %s: %w", sweepID, err)
	}
	return out, nil
}

// ClaimedPoints returns every claimed point of every sweep, with the
// progress of its newest run in the sweep (the one in training, once it
// has started): the work in flight, for `xp queue`.
func (s *Store) ClaimedPoints(ctx context.Context) ([]QueuedPoint, error) {
	var out []QueuedPoint
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+pointColumnsP+`,
				coalesce(r.key, ''), coalesce(r.epoch, 0), coalesce(r.epochs, 0), coalesce(r.status, '')
			FROM sweep_points p LEFT JOIN runs r ON r.id = (SELECT max(id) FROM runs
				WHERE key = p.key AND sweep_id = p.sweep_id)
			WHERE p.state = 'claimed' ORDER BY p.sweep_id, p.idx`)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			var (
				key           string
				epoch, epochs int
				status        Status
			)
			p, err := scanPoint(rows, &key, &epoch, &epochs, &status)
			if err != nil {
				return err
			}
			p.RunKey, p.RunEpoch, p.RunEpochs, p.RunStatus = key, epoch, epochs, status
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read claimed points: %w", err)
	}
	return out, nil
}

// SweepQuery selects sweeps. The zero value selects all.
type SweepQuery struct {
	Experiment string
	// Active selects the sweeps with points pending or claimed.
	Active bool
}

// Sweeps returns the sweeps q selects, most recently updated first, with
// their counts.
func (s *Store) Sweeps(ctx context.Context, q SweepQuery) ([]SweepStatus, error) {
	var out []SweepStatus
	err := s.read(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		var f filter
		f.add(q.Experiment != "", `s.experiment = ?`, q.Experiment)
		if q.Active {
			f.sql += ` AND (EXISTS (SELECT 1 FROM sweep_points p WHERE p.sweep_id = s.id AND p.state != 'done')
				OR (SELECT count(*) FROM sweep_points p WHERE p.sweep_id = s.id) < s.points)`
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, experiment, spec_hash, method, metric, mode, points,
			created, updated FROM sweeps s WHERE 1`+f.sql+` ORDER BY updated DESC, id`, f.vals...)
		if err != nil {
			return err
		}
		byID := map[string]int{}
		for rows.Next() {
			var (
				st               SweepStatus
				created, updated int64
			)
			if err := rows.Scan(&st.ID, &st.Experiment, &st.SpecHash, &st.Method, &st.Metric, &st.Mode,
				&st.Points, &created, &updated); err != nil {
				rows.Close()
				return err
			}
			st.CreatedAt, st.UpdatedAt = fromNanos(created), fromNanos(updated)
			st.ByStatus = map[Status]int{}
			byID[st.ID] = len(out)
			out = append(out, st)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]string, len(out))
		for i := range out {
			ids[i] = out[i].ID
		}
		idsJSON, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		counts, err := tx.QueryContext(ctx, `SELECT sweep_id, state, status, count(*) FROM sweep_points
			WHERE sweep_id IN (SELECT value FROM json_each(?)) GROUP BY sweep_id, state, status`, string(idsJSON))
		if err != nil {
			return err
		}
		defer counts.Close()
		for counts.Next() {
			var (
				id     string
				state  PointState
				status Status
				n      int
			)
			if err := counts.Scan(&id, &state, &status, &n); err != nil {
				return err
			}
			st := &out[byID[id]]
			switch state {
			case PointPending:
				st.Pending += n
			case PointClaimed:
				st.Claimed += n
			case PointDone:
				st.Done += n
				st.ByStatus[status] += n
			}
		}
		return counts.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list sweeps: %w", err)
	}
	return out, nil
}

// FindSweep finds a sweep by what a person calls it: its id; else the
// name of an experiment, exactly (its most recently updated sweep); else
// a unique prefix of an id. A name is an experiment's before it is a
// prefix, so "churn" never finds churn_sweep's sweep: an experiment with
// runs but no sweep is ErrNotFound. ErrAmbiguous (a *SweepAmbiguousError)
// when a prefix matches several sweeps.
func (s *Store) FindSweep(ctx context.Context, ref string) (*Sweep, error) {
	if ref == "" {
		return nil, fmt.Errorf("find sweep: empty name: %w", ErrInvalid)
	}
	all, err := s.Sweeps(ctx, SweepQuery{})
	if err != nil {
		return nil, err
	}
	for _, st := range all {
		if st.ID == ref {
			return &st.Sweep, nil
		}
	}
	for _, st := range all { // newest first
		if st.Experiment == ref {
			return &st.Sweep, nil
		}
	}
	n, err := s.CountRuns(ctx, ListOptions{Experiment: ref})
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, noSweep(ref)
	}
	var prefixed []string
	var found *Sweep
	for _, st := range all {
		if strings.HasPrefix(st.ID, ref) {
			prefixed = append(prefixed, st.ID)
			found = &st.Sweep
		}
	}
	switch len(prefixed) {
	case 0:
		return nil, &notFoundError{fmt.Sprintf("no sweep or experiment %q", ref)}
	case 1:
		return found, nil
	}
	return nil, &SweepAmbiguousError{Prefix: ref, IDs: prefixed}
}

// notFoundError says what was not found, and matches ErrNotFound, whose
// words ("run not found") would not fit a sweep.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == ErrNotFound }

// LatestSweep is the most recently updated sweep of experiment, for a
// caller that knows the name is an experiment's (from its files, say, when
// its runs were all cached under another name): never a prefix of an id.
// ErrNotFound when the experiment has no sweep.
func (s *Store) LatestSweep(ctx context.Context, experiment string) (*Sweep, error) {
	sweeps, err := s.Sweeps(ctx, SweepQuery{Experiment: experiment})
	if err != nil {
		return nil, err
	}
	if len(sweeps) == 0 {
		return nil, noSweep(experiment)
	}
	return &sweeps[0].Sweep, nil
}

func noSweep(experiment string) error {
	return &notFoundError{fmt.Sprintf("experiment %s has no sweep", experiment)}
}

// SweepAmbiguousError is FindSweep's answer to a prefix of several sweeps'
// ids. errors.Is(err, ErrAmbiguous) holds.
type SweepAmbiguousError struct {
	Prefix string
	IDs    []string
}

func (e *SweepAmbiguousError) Error() string {
	return fmt.Sprintf("sweep id prefix %q is ambiguous: %s", e.Prefix, strings.Join(e.IDs, ", "))
}

func (e *SweepAmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// SweepRuns returns the runs of sweep sweepID: the run holding each point's
// result (in point order; a cached point's may belong to another sweep),
// then the other runs recorded for the sweep (earlier attempts), newest
// first; each once, with its summary.
func (s *Store) SweepRuns(ctx context.Context, sweepID string) ([]Run, error) {
	var runs []Run
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		runs, err = queryRuns(ctx, tx, `SELECT `+runColumnsR+` FROM runs r
			JOIN sweep_points p ON p.run_id = r.id WHERE p.sweep_id = ?
			ORDER BY p.idx`, sweepID)
		if err != nil {
			return err
		}
		rest, err := queryRuns(ctx, tx, `SELECT `+runColumnsR+` FROM runs r
			WHERE r.sweep_id = ? AND NOT EXISTS (SELECT 1 FROM sweep_points p
				WHERE p.sweep_id = ? AND p.run_id = r.id)
			ORDER BY r.created DESC, r.id DESC`, sweepID, sweepID)
		if err != nil {
			return err
		}
		runs = append(runs, rest...)
		// A run may hold two points of one sweep only if they share a key,
		// which the sweep does not allow; keep each once all the same.
		seen := map[int64]bool{}
		kept := runs[:0]
		for _, r := range runs {
			if !seen[r.ID] {
				seen[r.ID] = true
				kept = append(kept, r)
			}
		}
		runs = kept
		if len(runs) == 0 {
			return nil
		}
		return attachSummaries(ctx, tx, runs)
	})
	if err != nil {
		return nil, fmt.Errorf("runs of sweep %s: %w", sweepID, err)
	}
	return runs, nil
}

// MarkLostProcesses marks as lost the running runs of host whose process
// alive reports gone, without waiting for their heartbeat to go stale, and
// the queued ones (created, never started) whose recorded process is gone;
// it returns how many it marked. It is for the host's own runs: a process
// id means nothing on another machine.
func (s *Store) MarkLostProcesses(ctx context.Context, host string, alive func(pid int) bool) (int, error) {
	var n int
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT id, pid FROM runs
			WHERE status IN ('running', 'queued') AND host = ? AND pid > 0`, host)
		if err != nil {
			return err
		}
		var dead []int64
		for rows.Next() {
			var (
				id  int64
				pid int
			)
			if err := rows.Scan(&id, &pid); err != nil {
				rows.Close()
				return err
			}
			if pid > 0 && !alive(pid) {
				dead = append(dead, id)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, id := range dead {
			res, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'lost',
					finished = CASE status WHEN 'running' THEN heartbeat ELSE created END
				WHERE id = ? AND status IN ('running', 'queued')`, id)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark lost runs of %s: %w", host, err)
	}
	return n, nil
}
