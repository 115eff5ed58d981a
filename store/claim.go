package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// KeyClaim is what ClaimKey found. The run was recorded, and holds its
// key, when Holder and Succeeded are both nil.
type KeyClaim struct {
	// Holder is a run of the key in training in a process that Gone
	// does not know gone: nothing was recorded.
	Holder *Run
	// Succeeded is the key's newest succeeded run, found when the claim
	// asked for one (ClaimOptions.UnlessSucceeded): nothing was recorded.
	Succeeded *Run
	// TakenOver are the runs of the key whose process Gone reported gone:
	// recorded lost (those not lost already) with a cancel request, so
	// that one whose process was only slow stops at its next heartbeat
	// instead of training beside the new one.
	TakenOver []Run
}

// ClaimOptions say how ClaimKey judges the runs that hold a key.
type ClaimOptions struct {
	// Gone reports whether the process of a run of the key in training
	// (queued, running or lost, and not asked to cancel) is gone; nil
	// takes every such run for alive.
	Gone func(*Run) bool
	// UnlessSucceeded records nothing when the key has a succeeded run.
	UnlessSucceeded bool
}

// ClaimKey records r, a new run, as the one run that trains its key, the
// way a sweep's point is claimed: in one write transaction, so that of two
// processes claiming one key at once, one gets it and the other finds it
// held. A run of the key whose process is alive holds it (KeyClaim.Holder);
// those whose process is gone are taken over. It assigns r.ID and
// r.CreatedAt when it records r.
func (s *Store) ClaimKey(ctx context.Context, r *Run, o ClaimOptions) (*KeyClaim, error) {
	ins, err := r.insert()
	if err != nil {
		return nil, fmt.Errorf("claim key: %w", err)
	}
	var claim KeyClaim
	err = s.Tx(ctx, func(tx *sql.Tx) error {
		claim = KeyClaim{}
		if o.UnlessSucceeded {
			prev, err := scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs
				WHERE key = ? AND status = 'succeeded' ORDER BY created DESC, id DESC LIMIT 1`, r.Key))
			switch {
			case err == nil:
				claim.Succeeded = &prev
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		holders, err := queryRuns(ctx, tx, `SELECT `+runColumns+` FROM runs
			WHERE key = ? AND status IN ('queued', 'running', 'lost') AND cancel_requested = 0
			ORDER BY id`, r.Key)
		if err != nil {
			return err
		}
		for i := range holders {
			h := &holders[i]
			if o.Gone == nil || !o.Gone(h) {
				claim.Holder, claim.TakenOver = h, nil
				return nil
			}
			claim.TakenOver = append(claim.TakenOver, *h)
		}
		for _, h := range claim.TakenOver {
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET cancel_requested = 1,
					finished = CASE status WHEN 'running' THEN heartbeat WHEN 'queued' THEN created ELSE finished END,
					status = 'lost'
				WHERE id = ?`, h.ID); err != nil {
				return err
			}
		}
		created := s.now()
		id, err := ins(ctx, tx, created)
		if err != nil {
			return err
		}
		r.ID, r.CreatedAt = id, created
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim key %s: %w", r.Short(), err)
	}
	return &claim, nil
}

// SetResumed records that run id continues the checkpoint that run from
// left after its epoch epoch. The run is at that epoch from then on: were
// it killed before it finished another, it has trained none itself.
func (s *Store) SetResumed(ctx context.Context, id, from int64, epoch int) error {
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET resumed_from = ?, resumed_epoch = ?, epoch = max(epoch, ?) WHERE id = ?`,
			from, epoch, epoch, id)
		if err != nil {
			return err
		}
		return expectOne(ctx, tx, res, id)
	})
	if err != nil {
		return fmt.Errorf("record run %d resumed from run %d: %w", id, from, err)
	}
	return nil
}
