package cluster

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// manifestFile is the run directory's description of the array, read by
// every task; resultFile is how a task ended, in its task directory;
// checkpointFile the point's checkpoint there, which the coordinator puts
// in before it submits a point that continues a run (a requeued task, an
// asha sweep's promoted point) and the task writes after every epoch, so
// that it outlives the task's node-local store.
const (
	manifestFile   = "manifest.json"
	resultFile     = "result.json"
	checkpointFile = "checkpoint.gob"
)

// Manifest is what an array task needs to find and train its point.
type Manifest struct {
	// Root is the project's directory (on the shared filesystem);
	// Experiment the experiment's name in it; SweepID its sweep.
	Root       string `json:"root"`
	Experiment string `json:"experiment"`
	SweepID    string `json:"sweep_id"`
	// Tasks maps the array task index to its point.
	Tasks []TaskPoint `json:"tasks"`
	// Backend, Threads and AllowDirty are the runner options of every point.
	Backend    string `json:"backend,omitempty"`
	Threads    int    `json:"threads"`
	AllowDirty bool   `json:"allow_dirty"`
}

// TaskPoint is the point of one array task and the run key the
// coordinator planned for it (the task refuses to train another key).
type TaskPoint struct {
	Point int    `json:"point"`
	Key   string `json:"key"`
	// BackendVersion is the numerics version the key was planned with (a
	// part of the key), so a node whose backend differs can say so.
	BackendVersion string `json:"backend_version,omitempty"`
	// Params are the point's values when the sweep chose them from
	// results (tpe): the task rebuilds the point from them, as the
	// experiment's files cannot list it.
	Params []spec.Param `json:"params,omitempty"`
	// PauseAfter is the epochs of the rung an asha sweep's point trains
	// to (runner.Options.PauseAfter); 0: to the end.
	PauseAfter int `json:"pause_after,omitempty"`
}

// TaskResult is what a task leaves in the run directory: how its point
// ended, the run it recorded in its own store and the run's metric points.
// The run's artifacts lie next to it, in the task's artifacts directory.
type TaskResult struct {
	Point  int           `json:"point"`
	Run    *store.Run    `json:"run,omitempty"`
	Points []MetricPoint `json:"points,omitempty"`
	// Sources are the exact files of a dirty run (--allow-dirty).
	Sources []Source `json:"sources,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Source is a store.Source as JSON: store.Source leaves its content out.
type Source struct {
	Path    string `json:"path"`
	Content []byte `json:"content"`
}

// taskDir is where array task i of the run directory dir keeps its files.
func taskDir(dir string, i int) string { return filepath.Join(dir, "task-"+strconv.Itoa(i)) }

// AttemptDir is where attempt a of array task i keeps its files: the
// task's directory for the first (a = 0), a directory of its own for each
// retry, so that a retry never mixes its files with those of the attempt
// before.
func AttemptDir(dir string, i, a int) string {
	if a <= 0 {
		return taskDir(dir, i)
	}
	return taskDir(dir, i) + ".attempt-" + strconv.Itoa(a)
}

// LogPath is the file the scheduler writes the output of task i of the run
// directory dir to.
func LogPath(dir string, i int) string { return filepath.Join(dir, "task-"+strconv.Itoa(i)+".log") }

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Written then renamed: the coordinator never reads half a file.
	if err := writeFileAtomic(path, b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}
