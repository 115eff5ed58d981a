package local_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/internal/gittest"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
	"github.com/xp-ml/xp/sweep/internal/sweeptest"
	"github.com/xp-ml/xp/sweep/local"
)

// irisSweep is a 12-point grid over tiny iris models: 3 learning rates by
// 4 widths, a few epochs each.
const irisSweep = `
iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
	}
	model: layers: [{dense: 8}]
	train: {epochs: 3, batch_size: 16, optimizer: adam: lr: 0.01}
	metrics: ["accuracy", "log_loss"]
	device: "cpu"
	sweep: {
		params: {
			"train.optimizer.adam.lr": [0.003, 0.01, 0.03]
			"model.layers[0].dense":   [4, 8, 16, 32]
		}
		metric: "validation.accuracy"
	}
}
`

// options are a sweep's options and the CPUs the local executor shares
// among the points.
type options struct {
	sweep.Options
	CPUs int
}

func sweepOpts(parallel int) options {
	return options{
		Options: sweep.Options{Options: runner.Options{Backend: "gorgonia", AllowDirty: true}, Parallel: parallel},
		CPUs:    2,
	}
}

// runSweep runs exp's sweep with the local executor.
func runSweep(ctx context.Context, st *store.Store, exp *spec.Experiment, opts options) (*sweep.Result, error) {
	return sweep.Run(ctx, st, exp, &local.Executor{CPUs: opts.CPUs}, opts.Options)
}

var setup = sweeptest.Setup

func TestSweepGridParallel(t *testing.T) {
	exp, st := setup(t, irisSweep)
	ctx := context.Background()

	var (
		mu     sync.Mutex
		events []sweep.Event
	)
	opts := sweepOpts(2)
	opts.Events = func(e sweep.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == sweep.PointDone {
			events = append(events, e)
		}
	}
	res, err := runSweep(ctx, st, exp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 12 || res.Trained != 12 || res.Cached != 0 {
		t.Fatalf("%d points, %d trained, %d cached; want 12 trained", len(res.Points), res.Trained, res.Cached)
	}
	if res.PeakThreads != 2 || res.Parallel != 2 {
		t.Errorf("peak %d threads, parallel %d; want 2 each", res.PeakThreads, res.Parallel)
	}
	if len(events) != 12 || events[11].Done != 12 || events[11].Total != 12 {
		t.Errorf("%d done events, last %+v", len(events), events[len(events)-1])
	}
	keys := map[string]bool{}
	for _, p := range res.Points {
		if p.Status != store.StatusSucceeded || p.Run == nil || math.IsNaN(p.Value) {
			t.Fatalf("point %d (%s): %s, run %v, value %v", p.Index, p.Label(), p.Status, p.Run, p.Value)
		}
		keys[p.Key] = true
	}
	if len(keys) != 12 {
		t.Errorf("%d distinct keys, want 12", len(keys))
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{SweepID: res.Plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 12 {
		t.Errorf("%d runs recorded for sweep %s, want 12", len(runs), res.Plan.ID)
	}
	if n := maxOverlap(runs); n != 2 {
		t.Errorf("at most %d runs trained at once, want 2", n)
	}
	best := res.Best
	for _, p := range res.Points {
		if p.Value > best.Value {
			t.Errorf("point %d has validation accuracy %v, above the best's %v", p.Index, p.Value, best.Value)
		}
	}
	if !strings.HasPrefix(res.Plan.ID, "iris-") || res.Plan.Mode != sweep.ModeMax {
		t.Errorf("sweep id %q, mode %q", res.Plan.ID, res.Plan.Mode)
	}

	// Again: every point is cached, nothing new is recorded, same best.
	again, err := runSweep(ctx, st, exp, sweepOpts(2))
	if err != nil {
		t.Fatal(err)
	}
	if again.Trained != 0 || again.Earlier != 12 {
		t.Errorf("second run trained %d, found %d done; want 0 and 12", again.Trained, again.Earlier)
	}
	if again.Best.Key != best.Key {
		t.Errorf("best %s, then %s", best.Key, again.Best.Key)
	}
	if n, _ := st.CountRuns(ctx, store.ListOptions{}); n != 12 {
		t.Errorf("%d runs after the cached sweep, want 12", n)
	}
}

func TestSweepFailingPointDoesNotStopTheSweep(t *testing.T) {
	// A target the data does not have fails before a run is recorded;
	// the other point trains.
	src := strings.Replace(irisSweep, `"train.optimizer.adam.lr": [0.003, 0.01, 0.03]`, `"data.target": ["Species", "Nope"]`, 1)
	src = strings.Replace(src, `[4, 8, 16, 32]`, `[8]`, 1)
	exp, st := setup(t, src)
	res, err := runSweep(context.Background(), st, exp, sweepOpts(1))
	if err != nil {
		t.Fatal(err)
	}
	failed := res.Failed()
	if len(failed) != 1 || !strings.Contains(failed[0].Label(), "Nope") || !strings.Contains(failed[0].Error, "Nope") {
		t.Fatalf("failed %+v, want the point with target Nope, with its error", failed)
	}
	if res.Best == nil || res.Best.Status != store.StatusSucceeded {
		t.Errorf("best %+v", res.Best)
	}
}

func TestSweepCancel(t *testing.T) {
	src := strings.Replace(irisSweep, `epochs: 3, batch_size: 16`, `epochs: 200, batch_size: 1`, 1)
	exp, st := setup(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := sweepOpts(2)
	opts.Events = func(e sweep.Event) {
		if e.Kind == sweep.Progress && e.Run.Kind == runner.EventEpoch && e.Run.Epoch == 2 {
			cancel()
		}
	}
	res, err := runSweep(ctx, st, exp, opts)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want canceled", err)
	}
	if res == nil || res.Pending() != 12 {
		t.Fatalf("%v pending, want all 12 back in the queue", res)
	}
	runs, _ := st.ListRuns(context.Background(), store.ListOptions{})
	if len(runs) == 0 || len(runs) > 2 {
		t.Fatalf("%d runs, want the 1 or 2 that had started", len(runs))
	}
	for _, r := range runs {
		if r.Status != store.StatusCanceled {
			t.Errorf("run %s is %s, want canceled", r.Short(), r.Status)
		}
	}
}

func TestSweepMedianPruning(t *testing.T) {
	// Two good learning rates run first (parallel 1 takes points in
	// order); the two tiny ones are stopped after the grace epoch, their
	// loss far above the median of the completed points'.
	src := strings.Replace(irisSweep, `epochs: 3, batch_size: 16`, `epochs: 8, batch_size: 8`, 1)
	src = strings.Replace(src, `[0.003, 0.01, 0.03]`, `[0.05, 0.03, 1e-6, 2e-6]`, 1)
	src = strings.Replace(src, `[4, 8, 16, 32]`, `[16]`, 1)
	src = strings.Replace(src, `metric: "validation.accuracy"`, `metric: "validation.loss"
		prune: {grace: 2, min_points: 2}`, 1)
	exp, st := setup(t, src)
	res, err := runSweep(context.Background(), st, exp, sweepOpts(1))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Status{"0.05": store.StatusSucceeded, "0.03": store.StatusSucceeded,
		"0.000001": store.StatusPruned, "0.000002": store.StatusPruned}
	for _, p := range res.Points {
		lr := string(p.Params[1].Value)
		if p.Status != want[lr] {
			t.Errorf("lr %s: %s (%s), want %s", lr, p.Status, p.Error, want[lr])
			continue
		}
		if p.Status != store.StatusPruned {
			continue
		}
		if !strings.Contains(p.Run.Error, "median") {
			t.Errorf("lr %s: pruned with %q, want the reason", lr, p.Run.Error)
		}
		// Pruned after the grace epochs (at the first epoch compared,
		// unless the second completed point was still being recorded),
		// before the last; its curve is kept, and it has no test metrics.
		if n := p.Run.Summary["validation"]["loss"].Count; n != p.Run.Epoch || p.Run.Epoch < 3 || p.Run.Epoch >= 8 {
			t.Errorf("lr %s: %d validation points, stopped at epoch %d; want it stopped at epoch 3 to 7, its curve kept", lr, n, p.Run.Epoch)
		}
		if _, ok := p.Run.Summary["test"]; ok {
			t.Errorf("lr %s: a pruned run has test metrics", lr)
		}
	}
	if len(res.Failed()) != 0 || res.Best == nil || res.Best.Status != store.StatusSucceeded {
		t.Errorf("failed %v, best %+v", res.Failed(), res.Best)
	}
}

// The threads of the points running at once never add up to more than the
// CPUs: parallel is lowered to fit.
func TestSweepNoCPUOversubscription(t *testing.T) {
	src := strings.Replace(irisSweep, `[0.003, 0.01, 0.03]`, `[0.003, 0.01]`, 1)
	src = strings.Replace(src, `[4, 8, 16, 32]`, `[4, 8]`, 1)
	tests := []struct {
		name                    string
		cpus, threads, parallel int
		wantParallel, wantPeak  int
	}{
		{"fits", 4, 1, 2, 2, 2},
		{"parallel lowered", 4, 2, 4, 2, 4},
		{"threads above the cpus", 2, 8, 2, 1, 2},
		{"one cpu", 1, 1, 4, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, st := setup(t, src)
			opts := sweepOpts(tt.parallel)
			opts.CPUs, opts.Threads = tt.cpus, tt.threads
			res, err := runSweep(context.Background(), st, exp, opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Parallel != tt.wantParallel || res.PeakThreads != tt.wantPeak || res.Parallel*res.Threads > tt.cpus {
				t.Errorf("parallel %d, %d threads each, peak %d; want parallel %d, peak %d, within %d cpus",
					res.Parallel, res.Threads, res.PeakThreads, tt.wantParallel, tt.wantPeak, tt.cpus)
			}
		})
	}
}

// A sweep is tied to its commit like a run: with its files modified it
// refuses to train, but points already succeeded are still answered.
func TestSweepInGit(t *testing.T) {
	two := strings.Replace(irisSweep, `[0.003, 0.01, 0.03]`, `[0.003, 0.01]`, 1)
	two = strings.Replace(two, `[4, 8, 16, 32]`, `[8]`, 1)
	const expPath = "experiments/iris.cue"
	r := gittest.New(t, map[string]string{expPath: two, "experiments/iris.csv": string(sweeptest.Iris(t))})
	commit := r.Commit("sweep")
	st := sweeptest.Open(t, r.Path(".xp"))
	clean := options{Options: sweep.Options{Options: runner.Options{Backend: "gorgonia"}}, CPUs: 2}
	res, err := runSweep(context.Background(), st, r.Load(expPath), clean)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Points {
		prov, err := provenance.Parse(p.Run.Provenance)
		if err != nil || p.Run.Dirty || prov.Commit != commit || p.Run.SweepID != res.Plan.ID {
			t.Errorf("point %d: dirty %v, commit %.12s, sweep %q; want clean at %.12s", p.Index, p.Run.Dirty, prov.Commit, p.Run.SweepID, commit)
		}
	}

	r.Write(map[string]string{expPath: "// reworded\n" + two})
	again, err := runSweep(context.Background(), st, r.Load(expPath), clean)
	if err != nil || again.Earlier != 2 {
		t.Errorf("modified, every point done: %v, %d done before; want no error", err, again.Earlier)
	}

	r.Write(map[string]string{expPath: strings.Replace(two, `[0.003, 0.01]`, `[0.003, 0.01, 0.03]`, 1)})
	_, err = runSweep(context.Background(), st, r.Load(expPath), clean)
	if !errors.Is(err, provenance.ErrDirty) {
		t.Errorf("modified with a point to train: %v, want ErrDirty", err)
	}
}

// maxOverlap is the most runs that were training (started, not finished)
// at one time.
func maxOverlap(runs []store.Run) int {
	most := 0
	for _, r := range runs {
		n := 0
		for _, o := range runs {
			if !o.StartedAt.After(r.StartedAt) && o.FinishedAt.After(r.StartedAt) {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}
