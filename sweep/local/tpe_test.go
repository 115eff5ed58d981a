package local_test

import (
	"context"
	"slices"
	"testing"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// irisTPE is a tpe sweep over tiny iris models: 3 points drawn at random,
// then 6 proposed from results, 3 at a time.
const irisTPE = `
iris: #Experiment & {
	data: {
		source: file: "iris.csv"
		target: "Species"
	}
	model: layers: [{dense: 8}, {dropout: 0.1}]
	train: {epochs: 3, batch_size: 16, optimizer: adam: lr: 0.01}
	metrics: ["accuracy"]
	device: "cpu"
	sweep: {
		method:   "tpe"
		trials:   9
		startup:  3
		seed:     5
		parallel: 3
		params: {
			"train.optimizer.adam.lr": {log_uniform: [1e-3, 1e-1]}
			"model.layers[0].dense":   {int_uniform: [2, 32]}
			"model.layers[1].dropout": {uniform: [0, 0.5]}
			"train.batch_size":        [8, 16, 32]
		}
		metric: "validation.loss"
	}
}
`

// tpeKeys runs the tpe sweep in a fresh project at parallel (on 8 CPUs,
// so that many do train at once), and returns its points' keys in order.
func tpeKeys(t *testing.T, parallel int, cancelAfter int) []string {
	t.Helper()
	exp, st := setup(t, irisTPE)
	opts := sweepOpts(parallel)
	opts.CPUs = 8
	var res *sweep.Result
	var err error
	if cancelAfter > 0 {
		// Stop after cancelAfter points (Ctrl-C), then run the sweep
		// again: the restart continues it.
		ctx, cancel := context.WithCancel(context.Background())
		done := 0
		o := opts
		o.Events = func(e sweep.Event) {
			if e.Kind == sweep.PointDone {
				if done++; done == cancelAfter {
					cancel()
				}
			}
		}
		first, err := runSweep(ctx, st, exp, o)
		if err == nil || first.Pending() == 0 {
			t.Fatalf("the stopped sweep ended with %v, %d points pending", err, first.Pending())
		}
		cancel()
	}
	res, err = runSweep(context.Background(), st, exp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 9 {
		t.Fatalf("%d points, want 9", len(res.Points))
	}
	var keys []string
	for _, p := range res.Points {
		if p.State != store.PointDone || p.Status != store.StatusSucceeded {
			t.Errorf("point %d: %s %s %s", p.Index, p.State, p.Status, p.Error)
		}
		keys = append(keys, p.Key)
	}
	if res.PeakThreads > parallel {
		t.Errorf("%d threads at once at parallel %d", res.PeakThreads, parallel)
	}
	return keys
}

// Point i of a tpe sweep is proposed from the results of points
// 0..i-parallel only: the same points, so the same keys, whether 1 or 3
// train at once, and after a stop and restart.
func TestTPESameKeysAtAnyParallelism(t *testing.T) {
	one := tpeKeys(t, 1, 0)
	if three := tpeKeys(t, 3, 0); !slices.Equal(one, three) {
		t.Errorf("keys at parallel 1:\n%v\nat parallel 3:\n%v", one, three)
	}
	if restarted := tpeKeys(t, 2, 4); !slices.Equal(one, restarted) {
		t.Errorf("keys at parallel 1:\n%v\nstopped after 4 points and run again at 2:\n%v", one, restarted)
	}
	seen := map[string]bool{}
	for _, k := range one {
		seen[k] = true
	}
	if len(seen) != len(one) {
		t.Errorf("%d distinct keys of %d points", len(seen), len(one))
	}
}
