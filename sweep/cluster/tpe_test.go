package cluster_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/cluster"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
	"github.com/xp-ml/xp/sweep/local"
)

// inProcess is a Scheduler whose arrays run here: Submit runs every task
// with RunTask, as a node would, and Poll tells them ended.
type inProcess struct {
	mu     sync.Mutex
	arrays []int // tasks of each array submitted
}

func (*inProcess) Name() string { return "inproc" }

func (s *inProcess) Submit(ctx context.Context, a cluster.Array) (string, error) {
	for i := range a.Tasks {
		// A task's own failure is in its result, which the coordinator
		// ingests.
		_ = cluster.RunTask(ctx, a.Dir, i, nil)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrays = append(s.arrays, a.Tasks)
	return fmt.Sprint(len(s.arrays)), nil
}

func (*inProcess) Task(id string, i int) string { return fmt.Sprintf("%s_%d", id, i) }

func (*inProcess) Poll(_ context.Context, _ string, n int) ([]cluster.State, error) {
	out := make([]cluster.State, n)
	for i := range out {
		out[i] = cluster.State{Name: "COMPLETED", Ended: true}
	}
	return out, nil
}

func (*inProcess) Cancel(context.Context, ...string) error { return nil }

const tpeSweep = `tpe: #Experiment & {
	data: {
		source: file: "data/iris.csv"
		target: "Species"
	}
	model: layers: [{dense: 8}]
	train: {epochs: 2, batch_size: 16}
	device: "cpu"
	sweep: {
		method:   "tpe"
		trials:   7
		startup:  3
		parallel: 2
		params: {
			"train.optimizer.adam.lr": {log_uniform: [1e-3, 1e-1]}
			"model.layers[0].dense":   {int_uniform: [2, 16]}
		}
	}
}
`

func tpeProject(t *testing.T) (string, *spec.Experiment, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "experiments", "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "experiments", "data", "iris.csv"), sweeptest.Iris(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "experiments", "tpe.cue"), []byte(tpeSweep), 0o644); err != nil {
		t.Fatal(err)
	}
	exp, err := spec.Find(dir, "tpe")
	if err != nil {
		t.Fatal(err)
	}
	return dir, exp, sweeptest.Open(t, filepath.Join(dir, ".xp"))
}

func keys(t *testing.T, res *sweep.Result) []string {
	t.Helper()
	var out []string
	for _, p := range res.Points {
		if p.State != store.PointDone || p.Status != store.StatusSucceeded {
			t.Errorf("point %d: %s %s %s", p.Index, p.State, p.Status, p.Error)
		}
		out = append(out, p.Key)
	}
	return out
}

// A tpe sweep on a batch scheduler runs one array per batch of points
// whose results are in (the startup points, then parallel at a time), its
// tasks rebuild the proposed points from their values, and the sweep has
// the points and keys it has with the local executor.
func TestTPEOnABatchScheduler(t *testing.T) {
	ctx := context.Background()
	opts := sweep.Options{Options: runner.Options{AllowDirty: true, Threads: 1}}

	_, exp, st := tpeProject(t)
	here, err := sweep.Run(ctx, st, exp, &local.Executor{CPUs: 2}, opts)
	if err != nil {
		t.Fatal(err)
	}

	dir, exp, st := tpeProject(t)
	sched := &inProcess{}
	there, err := sweep.Run(ctx, st, exp, cluster.New(sched, cluster.Options{Root: dir, Poll: 10 * time.Millisecond}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := keys(t, here), keys(t, there); len(a) != 7 || !slices.Equal(a, b) {
		t.Errorf("keys with the local executor:\n%v\non the scheduler:\n%v", a, b)
	}
	// 3 startup points, then points 3 and 4 (from points 0..1 and
	// 0..2: all in), then 5 and 6.
	if want := []int{3, 2, 2}; !slices.Equal(sched.arrays, want) {
		t.Errorf("arrays of %v tasks, want %v", sched.arrays, want)
	}
}
