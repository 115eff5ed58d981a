package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/xp-ml/xp/remote"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// Relay carries a run directory's files between the coordinator and tasks
// whose nodes do not share its filesystem. The coordinator keeps its run
// directory as for a shared one, and reads it the same way: the relay
// publishes the manifest to where the tasks read it, and brings each
// task's files (its live run and points, its result and artifacts, its
// log) into the directory as they arrive. The task's side is RunRelayed.
type Relay interface {
	// Publish makes the manifest of the run directory dir readable by its
	// tasks.
	Publish(ctx context.Context, dir string) error
	// Fetch brings into dir what attempt a of task i has sent since the
	// last call: its result only once its artifacts are in place.
	Fetch(ctx context.Context, dir string, i, a int) error
	// Recorded says that run, the run of a task's result, is in st now,
	// with the uid the task gave it.
	Recorded(ctx context.Context, st *store.Store, run *store.Run) error
}

// The names of a task's files on the remote, under
// "<run directory's name>/<attempt directory's name>/": its live run
// (liveRunFile), its new metric points as numbered chunks (pointsChunk),
// its log, and its result (resultFile), sent last.
const relayLog = "task.log"

func pointsChunk(n int) string { return fmt.Sprintf("points-%06d.jsonl", n) }

// relayName is the remote's name of attempt a of task i of the run
// directory dir (its directory when i < 0).
func relayName(dir string, i, a int) string {
	if i < 0 {
		return filepath.Base(dir)
	}
	return filepath.Base(dir) + "/" + filepath.Base(AttemptDir(dir, i, a))
}

// RemoteRelay relays through the task files of a remote (remote's
// PutTaskFile and GetTaskFile); a task pushes its run there, and the
// coordinator fetches its artifacts from it.
func RemoteRelay(rm *remote.Remote) Relay {
	return &remoteRelay{rm: rm, chunks: map[string]int{}, done: map[string]bool{}}
}

type remoteRelay struct {
	rm *remote.Remote
	// chunks is how many points chunks of each attempt directory are in;
	// done says that its result is.
	chunks map[string]int
	done   map[string]bool
}

var _ Relay = (*remoteRelay)(nil)

func (r *remoteRelay) Publish(ctx context.Context, dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return err
	}
	if err := r.rm.PutTaskFile(ctx, relayName(dir, -1, 0)+"/"+manifestFile, b); err != nil {
		return fmt.Errorf("publish the tasks' manifest on %s: %w", r.rm, err)
	}
	return nil
}

func (r *remoteRelay) Fetch(ctx context.Context, dir string, i, a int) error {
	local, name := AttemptDir(dir, i, a), relayName(dir, i, a)
	if r.done[local] {
		return nil
	}
	// The run first: the chunks listed after it hold at least its epochs.
	run, err := r.get(ctx, name+"/"+liveRunFile)
	if err != nil {
		return err
	}
	files, err := r.rm.TaskFiles(ctx, name)
	if err != nil {
		return fmt.Errorf("task %d: %w", i, err)
	}
	if len(files) == 0 {
		return nil
	}
	if err := os.MkdirAll(local, 0o755); err != nil {
		return err
	}
	for slices.Contains(files, pointsChunk(r.chunks[local])) {
		b, err := r.get(ctx, name+"/"+pointsChunk(r.chunks[local]))
		if err != nil {
			return err
		}
		if err := appendFile(filepath.Join(local, livePointsFile), b); err != nil {
			return err
		}
		r.chunks[local]++
	}
	if run != nil {
		if err := writeFileAtomic(filepath.Join(local, liveRunFile), run); err != nil {
			return err
		}
	}
	if !slices.Contains(files, resultFile) {
		return nil
	}
	return r.fetchResult(ctx, dir, i, local, name, files)
}

// fetchResult brings the result of a task in: its log appended to the
// task's, its run's artifacts from the remote, then result.json.
func (r *remoteRelay) fetchResult(ctx context.Context, dir string, i int, local, name string, files []string) error {
	b, err := r.get(ctx, name+"/"+resultFile)
	if err != nil {
		return err
	}
	var tr TaskResult
	if err := json.Unmarshal(b, &tr); err != nil {
		return fmt.Errorf("task %d: %s on %s: %w", i, resultFile, r.rm, err)
	}
	if slices.Contains(files, relayLog) {
		log, err := r.get(ctx, name+"/"+relayLog)
		if err != nil {
			return err
		}
		if err := appendFile(LogPath(dir, i), log); err != nil {
			return err
		}
	}
	if tr.Run != nil && tr.Run.Status.Finished() {
		if _, err := r.rm.FetchRunFiles(ctx, tr.Run.UID, filepath.Join(local, "artifacts")); err != nil {
			return fmt.Errorf("task %d: the artifacts of run %s: %w", i, tr.Run.UID, err)
		}
	}
	if err := writeFileAtomic(filepath.Join(local, resultFile), b); err != nil {
		return err
	}
	r.done[local] = true
	return nil
}

// Recorded marks run as being on the remote, which its task pushed it
// to: xp push does not send it again, and xp pull knows it by its uid.
func (r *remoteRelay) Recorded(ctx context.Context, st *store.Store, run *store.Run) error {
	return st.MarkOnRemote(ctx, run.ID, r.rm.URL())
}

// get is a task file's bytes, nil when there is none.
func (r *remoteRelay) get(ctx context.Context, name string) ([]byte, error) {
	b, err := r.rm.GetTaskFile(ctx, name)
	if errors.Is(err, remote.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// RelayedTask is a task whose node does not share the coordinator's
// filesystem (RunRelayed).
type RelayedTask struct {
	// Name is the run directory's name, as the remote knows it; Index
	// and Attempt say which task and attempt this is.
	Name           string
	Index, Attempt int
	// Root is the project's directory on this node (the image's copy).
	Root string
	// Log is the task's log file, sent with its result ("": none).
	Log string
	// Events hears what the user should know (nil: nobody).
	Events func(sweep.Event)
}

// progressEvery is how often at most a task sends its progress: a remote
// is asked once or twice per send, and short epochs would wait on it.
const progressEvery = time.Second

// RunRelayed is RunAttempt on a node that does not see the run directory:
// it reads the manifest from rm, trains the point in t.Root, sends its
// live run and points through rm at most every second and at the end,
// pushes its finished run to rm (with its artifacts: what the team sees
// too), and sends its result last. It returns the result it sent (nil
// when it could not make one) and the task's error as RunAttempt does.
func RunRelayed(ctx context.Context, rm *remote.Remote, t RelayedTask) (*TaskResult, error) {
	tmp, err := os.MkdirTemp("", "xp-relay-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, filepath.Base(t.Name))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	m, err := rm.GetTaskFile(ctx, t.Name+"/"+manifestFile)
	if err != nil {
		return nil, fmt.Errorf("the tasks' manifest on %s: %w", rm, err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifestFile), m, 0o644); err != nil {
		return nil, err
	}
	s := &sender{rm: rm, local: AttemptDir(dir, t.Index, t.Attempt), name: relayName(dir, t.Index, t.Attempt)}
	pushed := func(ctx context.Context, st *store.Store, run *store.Run) error {
		if _, err := rm.Push(ctx, st, []store.Run{*run}, remote.PushOptions{}); err != nil {
			return fmt.Errorf("push the run to %s: %w", rm, err)
		}
		return nil
	}
	terr := runAttempt(ctx, dir, t.Index, t.Attempt, taskOptions{events: t.Events, root: t.Root, progress: s.progress, trained: pushed})
	res, serr := s.finish(context.WithoutCancel(ctx), t.Log)
	return res, errors.Join(terr, serr)
}

// sender is a task's side of the remote relay.
type sender struct {
	rm          *remote.Remote
	local, name string
	offset      int64 // bytes of the points file sent
	chunks      int
	last        time.Time
	err         error // the first failure: progress stops, training goes on
}

func (s *sender) progress(ctx context.Context) {
	if s.err != nil || time.Since(s.last) < progressEvery {
		return
	}
	s.last = time.Now()
	s.err = s.send(ctx)
}

// send sends the points written since the last send as a chunk, then the
// run.
func (s *sender) send(ctx context.Context) error {
	f, err := os.Open(filepath.Join(s.local, livePointsFile))
	if err == nil {
		defer f.Close()
		if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
			return err
		}
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		if len(b) > 0 {
			if err := s.rm.PutTaskFile(ctx, s.name+"/"+pointsChunk(s.chunks), b); err != nil {
				return err
			}
			s.chunks++
			s.offset += int64(len(b))
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	run, err := os.ReadFile(filepath.Join(s.local, liveRunFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.rm.PutTaskFile(ctx, s.name+"/"+liveRunFile, run)
}

// finish sends what is left: the last points and run, the log, and the
// result, last.
func (s *sender) finish(ctx context.Context, log string) (*TaskResult, error) {
	b, err := os.ReadFile(filepath.Join(s.local, resultFile))
	if err != nil {
		return nil, err
	}
	var res TaskResult
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, err
	}
	if err := s.send(ctx); err != nil {
		return &res, fmt.Errorf("send the task's progress to %s: %w", s.rm, err)
	}
	if log != "" {
		if lb, err := os.ReadFile(log); err == nil && len(lb) > 0 {
			if err := s.rm.PutTaskFile(ctx, s.name+"/"+relayLog, lb); err != nil {
				return &res, err
			}
		}
	}
	if err := s.rm.PutTaskFile(ctx, s.name+"/"+resultFile, b); err != nil {
		return &res, fmt.Errorf("send the task's result to %s: %w", s.rm, err)
	}
	return &res, nil
}
