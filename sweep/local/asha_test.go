package local_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// irisASHA is successive halving over 9 tiny iris models: all 9 to epoch
// 1, the best 3 to epoch 3, the best 1 to epoch 9.
const irisASHA = `
iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
	}
	model: layers: [{dense: 8}, {dropout: 0.1}]
	train: {epochs: 9, batch_size: 16, optimizer: adam: lr: 0.01}
	metrics: ["accuracy"]
	device: "cpu"
	sweep: {
		method: "asha"
		min_epochs: 1
		reduction_factor: 3
		params: {
			"train.optimizer.adam.lr": [0.001, 0.01, 0.05]
			"model.layers[0].dense":   [2, 8, 32]
		}
		metric: "validation.loss"
	}
}
`

// ashaOutcome is each point's status and the epoch its run ended at,
// "paused@1", in point order.
func ashaOutcome(t *testing.T, res *sweep.Result) []string {
	t.Helper()
	out := make([]string, len(res.Points))
	for i, p := range res.Points {
		if p.State != store.PointDone || p.Run == nil {
			t.Fatalf("point %d: %s %s %s", i, p.State, p.Status, p.Error)
		}
		out[i] = fmt.Sprintf("%s@%d", p.Status, p.Run.Epoch)
	}
	return out
}

// epochsTrained is the epochs the runs of st trained, each run counting
// those after the checkpoint it resumed.
func epochsTrained(t *testing.T, st *store.Store) int {
	t.Helper()
	runs, err := st.ListRuns(context.Background(), store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range runs {
		n += r.Epoch - r.ResumedEpoch
	}
	return n
}

// An asha sweep trains 9 points 1 epoch, 3 of them 2 more, 1 of them 6
// more: 21 epochs where the full sweep trains 81. Its rungs rank the same
// results at parallel 1 and 3, so they promote the same points; and the
// point promoted to the end ends with the bits of the same point trained
// start to end.
func TestASHA(t *testing.T) {
	var outcomes [][]string
	var best *sweep.PointResult
	for _, parallel := range []int{1, 3} {
		exp, st := setup(t, irisASHA)
		opts := sweepOpts(parallel)
		opts.CPUs = 8
		res, err := runSweep(context.Background(), st, exp, opts)
		if err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, ashaOutcome(t, res))
		if n := epochsTrained(t, st); n != 9+3*2+6 {
			t.Errorf("parallel %d: %d epochs trained, want 21", parallel, n)
		}
		best = res.Best
	}
	o := outcomes[0]
	count := func(s string) int {
		return len(slices.DeleteFunc(slices.Clone(o), func(x string) bool { return x != s }))
	}
	if count("paused@1") != 6 || count("paused@3") != 2 || count("succeeded@9") != 1 {
		t.Errorf("points: %v; want 6 paused@1, 2 paused@3, 1 succeeded@9", o)
	}
	t.Logf("points: %v", o)
	if !slices.Equal(outcomes[0], outcomes[1]) {
		t.Errorf("parallel 1: %v\nparallel 3: %v", outcomes[0], outcomes[1])
	}
	if best == nil || best.Run.ResumedEpoch != 3 {
		t.Fatalf("best %+v: want the point promoted to the end, resumed after epoch 3", best)
	}

	// The same point, trained start to end on its own.
	exp, st := setup(t, irisASHA)
	points, err := exp.Points()
	if err != nil {
		t.Fatal(err)
	}
	alone, err := runner.Run(context.Background(), st, points[best.Index].Exp, runner.Options{Backend: "gorgonia", AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if alone.Run.Key != best.Key {
		t.Fatalf("the point alone has key %s, in the sweep %s", alone.Run.Key, best.Key)
	}
	if w := alone.Run.WeightsSHA256; w == "" || w != best.Run.WeightsSHA256 {
		t.Errorf("weights sha256: promoted %s, uninterrupted %s", best.Run.WeightsSHA256, w)
	}
	if a, b := sweep.MetricValue(alone.Run, "test.accuracy"), sweep.MetricValue(best.Run, "test.accuracy"); a != b {
		t.Errorf("test accuracy: promoted %v, uninterrupted %v", b, a)
	}
	if !strings.Contains(best.Label(), "=") {
		t.Errorf("best label %q", best.Label())
	}
}

// slowASHA is irisASHA with rungs at 3, 9 and 27 epochs of batches of 2:
// a promoted point trains for a while, so a process can be killed in the
// middle of one.
var slowASHA = strings.NewReplacer(`epochs: 9, batch_size: 16`, `epochs: 27, batch_size: 2`,
	`min_epochs: 1`, `min_epochs: 3`).Replace(irisASHA)

// kill -9 in the middle of a promoted point's training, then xp run
// again: the next process continues the point from its checkpoint, and
// the sweep ends with the points, rungs and results of a sweep never
// killed; no point trained twice (only the killed run's epoch in flight
// may be trained again).
func TestASHASurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	ctx := context.Background()
	exp0, st0 := setup(t, slowASHA)
	want, err := runSweep(ctx, st0, exp0, sweepOpts(2))
	if err != nil {
		t.Fatal(err)
	}
	wantEpochs := epochsTrained(t, st0)

	exp, st := setup(t, slowASHA)
	first := sweepChild(t, exp.Dir, 2)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		runs, err := st.ListRuns(ctx, store.ListOptions{Status: store.StatusRunning})
		if err != nil {
			t.Fatal(err)
		}
		promoted := slices.ContainsFunc(runs, func(r store.Run) bool {
			return r.ResumedFrom != 0 && r.Epoch > r.ResumedEpoch+1 && r.Epoch < 9
		})
		if promoted {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatal("after 60s, no promoted point in training")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()

	second := sweepChild(t, exp.Dir, 2)
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("second process: %v\n%s", err, out)
	}
	sw, err := st.LatestSweep(ctx, exp.Name)
	if err != nil {
		t.Fatal(err)
	}
	points, err := sweep.ReadPoints(ctx, st, sw.ID, want.Plan.Metric)
	if err != nil {
		t.Fatal(err)
	}
	got := ashaOutcome(t, &sweep.Result{Points: points})
	if w := ashaOutcome(t, want); !slices.Equal(got, w) {
		t.Errorf("killed and run again: %v\nnever killed: %v", got, w)
	}
	for i, p := range points {
		if p.Run.WeightsSHA256 != want.Points[i].Run.WeightsSHA256 {
			t.Errorf("point %d: weights %s, never killed %s", i, p.Run.WeightsSHA256, want.Points[i].Run.WeightsSHA256)
		}
	}
	runs, err := st.ListRuns(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lost, resumedLost := 0, 0
	for _, r := range runs {
		if r.Status == store.StatusLost {
			lost++
		}
		if r.ResumedFrom != 0 && slices.ContainsFunc(runs, func(l store.Run) bool { return l.ID == r.ResumedFrom && l.Status == store.StatusLost }) {
			resumedLost++
		}
	}
	if lost == 0 || resumedLost == 0 {
		t.Errorf("%d runs lost, %d continued from a lost run's checkpoint; want the killed run continued", lost, resumedLost)
	}
	n := epochsTrained(t, st)
	if n < wantEpochs || n > wantEpochs+lost {
		t.Errorf("%d epochs trained, with %d runs lost; a sweep never killed trains %d", n, lost, wantEpochs)
	}
	t.Logf("%d runs lost, %d continued from their checkpoints; %d epochs trained, %d never killed", lost, resumedLost, n, wantEpochs)
}
