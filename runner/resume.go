package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/xp-ml/xp/store"
)

// ErrNothingToResume is returned by Resume for a run that has no
// checkpoint to continue from.
var ErrNothingToResume = errors.New("nothing to resume")

// Resume continues run orig, interrupted (Ctrl-C, kill -9, a machine that
// went down) or failed (a full disk, a store error), from the checkpoint
// of its last finished epoch, as a new run
// of the same key, ending bit for bit where an uninterrupted run ends. It
// is `xp run` of orig's experiment, but it finds the experiment by the
// run: the files are the recorded ones (see Rerun), so it works after the
// working tree moved on. A run recorded running whose process is gone
// (holderGone: a kill -9 no command has noticed yet) is resumed as lost.
// A run still running in a live process, a finished one, or one
// interrupted before its first epoch ended (no checkpoint) has nothing to
// resume (ErrNothingToResume).
func Resume(ctx context.Context, st *store.Store, orig *store.Run, dir string, opts Options) (*Result, error) {
	key := store.ShortKey(orig.Key)
	switch orig.Status {
	case store.StatusSucceeded:
		return nil, fmt.Errorf("run %s succeeded: %w (`xp rerun %s` trains it again)", key, ErrNothingToResume, key)
	case store.StatusRunning, store.StatusQueued:
		// Right after a kill -9 the row still says running: its process
		// decides, not the row (the claim then takes the key over).
		if !holderGone(orig) {
			return nil, fmt.Errorf("run %s is %s: %w while its process lives (%s; xp cancel %s stops it)", key, orig.Status, ErrNothingToResume, TrainedBy(orig), key)
		}
	}
	ck, err := loadCheckpoint(st, orig.Key)
	if err != nil {
		return nil, err
	}
	if ck == nil {
		return nil, fmt.Errorf("run %s (%s) has no checkpoint: %w (it stopped before its first epoch ended, or a later run of its key finished); `xp run %s` trains it from the start",
			key, orig.Status, ErrNothingToResume, orig.Experiment)
	}
	job, err := rebuild(ctx, st, orig, dir)
	if err != nil {
		return nil, err
	}
	opts.Force, opts.RerunOf, opts.Backend = false, 0, orig.Backend
	opts.AllowDirty = job.Source.Dirty()
	return job.Train(ctx, st, opts)
}
