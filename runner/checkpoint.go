package runner

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/xp-ml/xp/model"
	"github.com/xp-ml/xp/store"
)

// A run writes a checkpoint after every epoch, into its key's directory
// (one per key: a run of the key that was interrupted, by Ctrl-C, kill -9
// or a machine restart, is continued by the next `xp run` of the same
// experiment). It holds what the next epoch depends on: the trainer's
// parameters, optimizer state and step counters, the shuffle RNG, and the
// early-stopping state. Restored, training continues bit for bit as if it
// had never stopped. A run that ends in any way but canceled or failed
// removes it (Resumable).
type checkpoint struct {
	Key        string
	RunID      int64 // the run that wrote it, whose points are carried over
	Epoch      int   // epochs done
	Shuffle    []byte
	State      []byte // model.TrainState
	Validation map[string]float64
	Stop       *stopState
}

// stopState is an earlyStop's progress.
type stopState struct {
	Best       float64
	BestEpoch  int
	Stale      int
	BestParams []byte // weights format
	Metrics    map[string]float64
}

// checkpointFile is the name of a key's checkpoint in its directory.
const checkpointFile = "checkpoint.gob"

// checkpointPath is dir/runs/<key>/checkpoint.gob.
func checkpointPath(st *store.Store, key string) string {
	return filepath.Join(filepath.Dir(st.ArtifactDir(&store.Run{Key: key})), checkpointFile)
}

// loadCheckpoint returns the key's checkpoint, or nil when there is none.
func loadCheckpoint(st *store.Store, key string) (*checkpoint, error) {
	return readCheckpoint(checkpointPath(st, key), key)
}

// readCheckpoint reads the checkpoint of key at path; nil when there is
// none.
func readCheckpoint(path, key string) (*checkpoint, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var c checkpoint
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&c); err != nil {
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	if c.Key != key {
		return nil, fmt.Errorf("checkpoint %s is for key %s", path, c.Key)
	}
	return &c, nil
}

// save writes c as its key's checkpoint in st.
func (c *checkpoint) save(st *store.Store) error { return c.saveTo(checkpointPath(st, c.Key)) }

// saveTo writes c at path atomically: a crash leaves the previous
// checkpoint or this one, never a torn file.
func (c *checkpoint) saveTo(path string) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c); err != nil {
		return fmt.Errorf("encode checkpoint: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".checkpoint-*")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	_, werr := tmp.Write(buf.Bytes())
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

func removeCheckpoint(st *store.Store, key string) error {
	return removeCheckpointAt(checkpointPath(st, key))
}

// RemoveCheckpoint removes key's checkpoint from st: a run of the key
// trained elsewhere ended in a way that resuming would not change.
func RemoveCheckpoint(st *store.Store, key string) error { return removeCheckpoint(st, key) }

func removeCheckpointAt(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove checkpoint: %w", err)
	}
	return nil
}

// takeCheckpoint captures the session's state after epoch epochs: its
// trainer's, its shuffle's, its early stopper's, and the epoch's
// validation metrics.
func (s *session) takeCheckpoint(epoch int) (*checkpoint, error) {
	ts, err := s.trainer.State()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var state bytes.Buffer
	if err := ts.Encode(&state); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	rng, err := s.shuffle.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: shuffle rng: %w", err)
	}
	c := &checkpoint{Key: s.job.Key, RunID: s.run.ID, Epoch: epoch, Shuffle: rng, State: state.Bytes(), Validation: s.final["validation"]}
	if stop := s.stopper; stop != nil {
		ss := &stopState{Best: stop.best, BestEpoch: stop.bestEpoch, Stale: stop.stale, Metrics: stop.metrics}
		if stop.params != nil {
			var b bytes.Buffer
			if err := stop.params.Encode(&b); err != nil {
				return nil, fmt.Errorf("checkpoint: best weights: %w", err)
			}
			ss.BestParams = b.Bytes()
		}
		c.Stop = ss
	}
	return c, nil
}

// restore puts the checkpoint back into the session: its freshly
// compiled trainer, its shuffle RNG and its early stopper.
func (c *checkpoint) restore(s *session) error {
	ts, err := model.DecodeTrainState(c.State)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := s.trainer.Restore(ts); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if err := s.shuffle.UnmarshalBinary(c.Shuffle); err != nil {
		return fmt.Errorf("resume: shuffle rng: %w", err)
	}
	if stop := s.stopper; stop != nil && c.Stop != nil {
		stop.best, stop.bestEpoch, stop.stale, stop.metrics = c.Stop.Best, c.Stop.BestEpoch, c.Stop.Stale, c.Stop.Metrics
		if c.Stop.BestParams != nil {
			if stop.params, err = model.Decode(bytes.NewReader(c.Stop.BestParams)); err != nil {
				return fmt.Errorf("resume: best weights: %w", err)
			}
		}
	}
	return nil
}

// carryPoints copies the curves of the interrupted run, up to the
// checkpoint's epoch, to the run that resumes it, so its curves are whole.
func (c *checkpoint) carryPoints(ctx context.Context, st *store.Store, runID int64) error {
	return CarryPoints(ctx, st, c.RunID, c.Epoch, runID)
}

// CarryPoints copies the curves of run from, up to epoch (its test
// points left out), to run to, which resumed it after that epoch: what a
// resumed run does when both are in st, and what a coordinator does when
// the resuming run was trained against another store (a cluster task).
func CarryPoints(ctx context.Context, st *store.Store, from int64, epoch int, to int64) error {
	pts, _, err := st.PointsSince(ctx, from, 0)
	if err != nil {
		return fmt.Errorf("resume: points of run %d: %w", from, err)
	}
	keep := pts[:0]
	for _, p := range pts {
		if p.Epoch <= epoch && p.Split != "test" {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	if err := st.AddPoints(ctx, to, keep); err != nil {
		return fmt.Errorf("resume: copy points: %w", err)
	}
	return nil
}

// CheckpointOf is the checkpoint of r's key when r wrote it and may be
// resumed from it: what goes with an interrupted run to another machine
// (package remote pushes it), so that `xp resume` continues it there. ""
// when r left none.
func CheckpointOf(st *store.Store, r *store.Run) string {
	if !Resumable(r.Status) {
		return ""
	}
	ck, err := loadCheckpoint(st, r.Key)
	if err != nil || ck == nil || ck.RunID != r.ID {
		return ""
	}
	return checkpointPath(st, r.Key)
}

// HasCheckpoint reports whether r's key has a checkpoint in st.
func HasCheckpoint(st *store.Store, r *store.Run) bool {
	_, err := os.Stat(checkpointPath(st, r.Key))
	return err == nil
}

// InstallCheckpoint makes the checkpoint file at path, which run r left
// on another machine (pulled with it; checked against its sha256 by the
// pull), the checkpoint of r's key in st, naming r by its id here, so
// that Resume continues r. A checkpoint of the key already in st is
// kept: it is this machine's own interrupted run.
func InstallCheckpoint(st *store.Store, r *store.Run, path string) error {
	if HasCheckpoint(st, r) {
		return nil
	}
	return AdoptCheckpoint(st, r, path)
}

// AdoptCheckpoint makes the checkpoint file at path, which run r left
// where it trained against another store (a cluster task's, on its
// node), the checkpoint of r's key in st, naming r by its id here: the
// next run of the key, here or in a task given it (KeyCheckpoint),
// continues r. It replaces the key's checkpoint in st, which r, the
// key's latest run, continued or set aside.
func AdoptCheckpoint(st *store.Store, r *store.Run, path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("install checkpoint: %w", err)
	}
	var c checkpoint
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&c); err != nil {
		return fmt.Errorf("install the checkpoint of run %s: %w", store.ShortKey(r.Key), err)
	}
	if c.Key != r.Key {
		return fmt.Errorf("install checkpoint: it is for key %s, not %s", store.ShortKey(c.Key), store.ShortKey(r.Key))
	}
	c.RunID = r.ID
	if err := os.MkdirAll(filepath.Dir(checkpointPath(st, r.Key)), 0o755); err != nil {
		return fmt.Errorf("install checkpoint: %w", err)
	}
	return c.save(st)
}

// KeyCheckpoint is the file of key's checkpoint in st, "" when the key
// has none: what a run of the key trained against another store (a
// cluster task) is given to continue (Options.Checkpoint).
func KeyCheckpoint(st *store.Store, key string) string {
	path := checkpointPath(st, key)
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}
