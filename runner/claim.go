package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/xp-ml/xp/internal/proc"
	"github.com/xp-ml/xp/internal/redact"
	"github.com/xp-ml/xp/store"
)

// StaleAfter is how old a run's heartbeat may be before the run is taken
// for lost: its key can then be claimed by another run, and a sweep's
// point it held by another process. Runs beat at least every
// heartbeatEvery, so a live one is never taken for dead.
const StaleAfter = 30 * time.Second

// ErrKeyBusy is wrapped by Train's error, with Options.NoWait, for a key
// that a live process trains.
var ErrKeyBusy = errors.New("in training")

// claimEvery is how often a run that waits for its key asks again. (A
// variable for a test.)
var claimEvery = 500 * time.Millisecond

// claim records the run as the one that trains its key: one trainer per
// key, whatever the process or the machine sharing the store, so that two
// never write one key's checkpoint. While a run of the key trains in a
// live process, it waits (EventWaiting) and asks again, or, with
// Options.NoWait, fails with ErrKeyBusy; a run whose process is gone is
// taken over (EventTookOver), and its checkpoint resumed. When the run it
// waited for succeeded, that run answers (a cached Result), unless the
// job is forced or a rerun.
func (s *session) claim(ctx context.Context) (*Result, error) {
	run := s.newRun()
	var waitingFor int64
	for waited := false; ; waited = true {
		c, err := s.st.ClaimKey(ctx, run, store.ClaimOptions{Gone: holderGone,
			UnlessSucceeded: waited && !s.opts.Force && s.opts.RerunOf == 0})
		if err != nil {
			return nil, err
		}
		switch h := c.Holder; {
		case c.Succeeded != nil:
			return &Result{Run: c.Succeeded, Cached: true, Metrics: FinalMetrics(c.Succeeded)}, nil
		case h == nil:
			s.run = run
			// Runs already recorded lost were told of; those that still
			// looked alive are news.
			var gone []store.Run
			for _, r := range c.TakenOver {
				if r.Status != store.StatusLost {
					gone = append(gone, r)
				}
			}
			if len(gone) > 0 {
				s.emit(Event{Kind: EventTookOver, Lost: gone})
			}
			return nil, nil
		case s.opts.NoWait:
			return nil, fmt.Errorf("run key %s of %s is %w: %s; not waiting for it (--no-wait): run again when it ends, or xp cancel %s stops it",
				store.ShortKey(s.job.Key), s.job.Exp.Name, ErrKeyBusy, TrainedBy(h), h.Short())
		case h.ID != waitingFor:
			waitingFor = h.ID
			s.emit(Event{Kind: EventWaiting, Holder: h})
		}
		t := time.NewTimer(claimEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// newRun is the run record of this training, before it is claimed.
func (s *session) newRun() *store.Run {
	j, exp := s.job, s.job.Exp
	prov := provenanceRecord(j)
	host, _ := os.Hostname()
	return &store.Run{
		Key: j.Key, Experiment: exp.Name, SpecHash: exp.Hash, Spec: json.RawMessage(redact.SpecJSON(exp.Resolved)),
		DataHashes: j.DataHashes, Backend: j.Backend.Name(), Device: j.Device, Epochs: s.spec.Train.Epochs,
		Provenance: prov, Dirty: j.Source.Dirty(), RerunOf: s.opts.RerunOf,
		Forced:  s.opts.Force && s.opts.RerunOf == 0,
		SweepID: s.opts.SweepID, PID: os.Getpid(), Host: host,
	}
}

// holderGone reports whether the process of r, a run of a key in
// training, is gone: its heartbeat (its creation, before it started) is
// older than StaleAfter, or it ran on this machine in a process that has
// exited.
func holderGone(r *store.Run) bool {
	beat := r.HeartbeatAt
	if beat.IsZero() {
		beat = r.CreatedAt
	}
	if time.Since(beat) > StaleAfter {
		return true
	}
	host, _ := os.Hostname()
	return r.Host == host && !proc.Alive(r.PID)
}

// TrainedBy says who trains run r: "run #7, pid 4242 on host box, at
// epoch 3/60".
func TrainedBy(r *store.Run) string {
	where := fmt.Sprintf("run #%d, pid %d on host %s", r.ID, r.PID, r.Host)
	if r.Status == store.StatusQueued {
		return where + ", starting"
	}
	return fmt.Sprintf("%s, at epoch %d/%d", where, r.Epoch, r.Epochs)
}
