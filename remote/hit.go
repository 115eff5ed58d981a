package remote

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/xp-ml/xp/store"
)

// Hit answers a run key from the remote: the newest succeeded run of key
// there, pulled into st (row, curves, sources; its artifacts come when
// needed) and returned as st records it; nil when the remote has none.
// It costs one listing for a miss, and a few reads for a hit. The runner
// asks it before training a key that has not succeeded here (runner.Run).
func (r *Remote) Hit(ctx context.Context, st *store.Store, key string) (*store.Run, error) {
	names, err := r.objs.List(ctx, keyDir(key))
	if err != nil {
		return nil, err
	}
	// Uids sort by their creation: the newest first.
	slices.Reverse(names)
	var t tally
	for _, n := range names {
		rf, err := r.getRef(ctx, refName(lastSegment(n)))
		if errors.Is(err, ErrNotExist) {
			continue // indexed, not visible yet
		}
		if err != nil {
			return nil, err
		}
		if rf.Status != store.StatusSucceeded || rf.Key != key {
			continue
		}
		return r.pullRef(ctx, st, rf, &t)
	}
	return nil, nil
}

// Entry is a run as the remote lists it, from its ref.
type Entry struct {
	UID        string
	Key        string
	Experiment string
	Status     store.Status
	// Origin is who trained it ("user@host").
	Origin            string
	Created, Finished time.Time
	// Test holds its final test metrics.
	Test map[string]float64
}

// List lists the runs visible on the remote, of experiment ("" for all),
// newest first: at most limit of them (0 for all), and how many there
// are in all.
func (r *Remote) List(ctx context.Context, experiment string, limit int) ([]Entry, int, error) {
	prefix := refsDir
	if experiment != "" {
		prefix = expDir(experiment)
	}
	names, err := r.objs.List(ctx, prefix)
	if err != nil {
		return nil, 0, err
	}
	slices.Reverse(names)
	total := len(names)
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	entries := make([]*Entry, len(names))
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	err = forEach(ctx, r.Parallel, idx, func(ctx context.Context, i int) error {
		rf, err := r.getRef(ctx, refName(lastSegment(names[i])))
		if errors.Is(err, ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		entries[i] = &Entry{UID: rf.UID, Key: rf.Key, Experiment: rf.Experiment, Status: rf.Status, Origin: rf.Origin,
			Created: fromNanos(rf.Created), Finished: fromNanos(rf.Finished), Test: rf.testMetrics()}
		return nil
	})
	var out []Entry
	for _, e := range entries {
		if e != nil {
			out = append(out, *e)
		}
	}
	return out, total, err
}
