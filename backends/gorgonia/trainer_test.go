package gorgonia

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

func compile(t testing.TB, m *model.Model, params *model.Params, cfg backends.Config) backends.Trainer {
	t.Helper()
	tr, err := Backend{}.Compile(context.Background(), m, params, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func identity(n int) []int32 {
	o := make([]int32, n)
	for i := range o {
		o[i] = int32(i)
	}
	return o
}

func TestRegistered(t *testing.T) {
	b, err := backends.Get("gorgonia")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name() != "gorgonia" || b.Version() != Version || b.Available() != nil {
		t.Errorf("registered %q %q %v", b.Name(), b.Version(), b.Available())
	}
}

// TestExtremeLogits: logits of ±1000 overflow exp() unless each row's
// maximum is subtracted first; the loss, the gradients and the
// probabilities must stay finite and exact.
func TestExtremeLogits(t *testing.T) {
	m := &model.Model{Inputs: 1, Classes: 2, Layers: []model.Layer{dense(1, 2, model.ActNone)}, Optimizer: plainSGD}
	params := &model.Params{Tensors: []model.Tensor{
		{Name: model.WeightName(0), Shape: []int{1, 2}, Data: []float32{1000, 0}},
		{Name: model.BiasName(0), Shape: []int{2}, Data: []float32{0, 0}},
	}}
	// Row 0 has logits [1000, 0], row 1 [-1000, 0].
	data := &backends.Batches{X: []float32{1, -1}, N: 2, D: 1}
	cases := []struct {
		name     string
		y        []int32
		wantLoss float64
	}{
		{"right", []int32{0, 1}, 0},
		{"wrong", []int32{1, 0}, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := compile(t, m, params, backends.Config{BatchSize: 2})
			data := *data
			data.Y = tc.y
			loss, err := tr.Epoch(context.Background(), &data, identity(2), nil)
			if err != nil {
				t.Fatal(err)
			}
			if loss != tc.wantLoss {
				t.Errorf("loss %v, want %v", loss, tc.wantLoss)
			}
			for _, p := range tr.Params().Tensors {
				for _, v := range p.Data {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%s after one step: %v", p.Name, p.Data)
					}
				}
			}
			probs := make([]float32, 4)
			if err := tr.Predict(context.Background(), &data, probs); err != nil {
				t.Fatal(err)
			}
			// Still far from the boundary after one step of lr 0.1.
			if want := []float32{1, 0, 0, 1}; !equal(probs, want) {
				t.Errorf("probs %v, want %v", probs, want)
			}
		})
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func sameParams(a, b *model.Params) bool {
	if len(a.Tensors) != len(b.Tensors) {
		return false
	}
	for i := range a.Tensors {
		if a.Tensors[i].Name != b.Tensors[i].Name || !equal(a.Tensors[i].Data, b.Tensors[i].Data) {
			return false
		}
	}
	return true
}

// train runs epochs with orders shuffled by a seeded RNG and returns the
// losses and the final parameters.
func train(t *testing.T, m *model.Model, data *backends.Batches, cfg backends.Config, epochs int) ([]float64, *model.Params) {
	t.Helper()
	params, err := model.Init(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr := compile(t, m, params, cfg)
	rng := rand.New(rand.NewPCG(2, 2))
	var losses []float64
	for range epochs {
		order := identity(data.N)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss, err := tr.Epoch(context.Background(), data, order, nil)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, loss)
	}
	return losses, tr.Params()
}

func mlp(inputs, classes int, rate float64, opt model.Optimizer) *model.Model {
	return &model.Model{Inputs: inputs, Classes: classes, Optimizer: opt, Layers: []model.Layer{
		dense(inputs, 16, model.ActReLU), dropout(16, rate), dense(16, classes, model.ActNone),
	}}
}

func TestDeterministic(t *testing.T) {
	data := randomData(4, 100, 6, 3)
	cases := []struct {
		name string
		m    *model.Model
	}{
		{"sgd", mlp(6, 3, 0, momentumSGD)},
		{"adam-dropout", mlp(6, 3, 0.3, adamWD)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := backends.Config{BatchSize: 16, Seed: 8}
			l1, p1 := train(t, tc.m, data, cfg, 3)
			l2, p2 := train(t, tc.m, data, cfg, 3)
			for i := range l1 {
				if math.Float64bits(l1[i]) != math.Float64bits(l2[i]) {
					t.Errorf("epoch %d: loss %v then %v", i, l1[i], l2[i])
				}
			}
			if !sameParams(p1, p2) {
				t.Error("two trainings from the same inputs gave different parameters")
			}
			start, _ := model.Init(tc.m, 1)
			if sameParams(p1, start) {
				t.Error("training did not change the parameters")
			}
		})
	}
}

// TestGOMAXPROCSIrrelevant: with a hidden layer and batch of 128, gonum's
// GEMM goes parallel; its partition depends on the shapes only, so the
// result must not depend on how many threads it may use.
func TestGOMAXPROCSIrrelevant(t *testing.T) {
	data := randomData(7, 256, 8, 3)
	m := &model.Model{Inputs: 8, Classes: 3, Optimizer: adam, Layers: []model.Layer{
		dense(8, 128, model.ActReLU), dense(128, 3, model.ActNone),
	}}
	cfg := backends.Config{BatchSize: 128, Seed: 1}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	l1, p1 := train(t, m, data, cfg, 1)
	runtime.GOMAXPROCS(4)
	l4, p4 := train(t, m, data, cfg, 1)
	if l1[0] != l4[0] || !sameParams(p1, p4) {
		t.Errorf("GOMAXPROCS 1 and 4 differ: loss %v and %v", l1[0], l4[0])
	}
}

// TestDropout checks that dropout masks are used (the loss changes), are
// reproducible (same seed, same bits) and come from the seed.
func TestDropout(t *testing.T) {
	data := randomData(5, 64, 6, 3)
	base := backends.Config{BatchSize: 16, Seed: 3}
	none, _ := train(t, mlp(6, 3, 0, adam), data, base, 2)
	half, halfParams := train(t, mlp(6, 3, 0.5, adam), data, base, 2)
	again, againParams := train(t, mlp(6, 3, 0.5, adam), data, base, 2)
	other, _ := train(t, mlp(6, 3, 0.5, adam), data, backends.Config{BatchSize: 16, Seed: 4}, 2)
	if half[0] == none[0] {
		t.Errorf("rate 0.5 gave the loss of rate 0: %v", half[0])
	}
	if half[0] != again[0] || half[1] != again[1] || !sameParams(halfParams, againParams) {
		t.Errorf("rate 0.5 not reproducible: %v then %v", half, again)
	}
	if half[0] == other[0] {
		t.Errorf("seeds 3 and 4 gave the same loss %v", half[0])
	}
}

// TestFillMask checks the mask against model.Keep and its rate.
func TestFillMask(t *testing.T) {
	cases := []struct {
		name string
		rate float64
	}{{"quarter", 0.25}, {"half", 0.5}, {"most", 0.9}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mask := make([]float32, 32*64)
			fillMask(mask, 7, 3, 2, tc.rate)
			scale := float32(1 / (1 - tc.rate))
			dropped := 0
			for i, v := range mask {
				keep := model.Keep(7, 3, 2, i, tc.rate)
				if (keep && v != scale) || (!keep && v != 0) {
					t.Fatalf("mask[%d] = %v, keep %v", i, v, keep)
				}
				if !keep {
					dropped++
				}
			}
			if got := float64(dropped) / float64(len(mask)); math.Abs(got-tc.rate) > 0.05 {
				t.Errorf("dropped %.3f of units, want about %v", got, tc.rate)
			}
		})
	}
}

// TestLearns: Adam separates well-separated Gaussian blobs.
func TestLearns(t *testing.T) {
	const n, d, classes = 600, 8, 3
	rng := rand.New(rand.NewPCG(21, 0))
	centres := make([][]float64, classes)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64() * 3
		}
	}
	data := &backends.Batches{X: make([]float32, n*d), Y: make([]int32, n), N: n, D: d}
	for i := range n {
		c := rng.IntN(classes)
		data.Y[i] = int32(c)
		for j := range d {
			data.X[i*d+j] = float32(centres[c][j] + rng.NormFloat64())
		}
	}
	m := mlp(d, classes, 0.1, model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
	params, err := model.Init(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr := compile(t, m, params, backends.Config{BatchSize: 32, Seed: 1})
	var first, last float64
	for epoch := range 20 {
		order := identity(n)
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss, err := tr.Epoch(context.Background(), data, order, nil)
		if err != nil {
			t.Fatal(err)
		}
		if epoch == 0 {
			first = loss
		}
		last = loss
	}
	probs := make([]float32, n*classes)
	if err := tr.Predict(context.Background(), data, probs); err != nil {
		t.Fatal(err)
	}
	correct := 0
	for i := range n {
		best := 0
		for c := range classes {
			if probs[i*classes+c] > probs[i*classes+best] {
				best = c
			}
		}
		if best == int(data.Y[i]) {
			correct++
		}
	}
	acc := float64(correct) / n
	t.Logf("loss %.4f -> %.4f, training accuracy %.4f", first, last, acc)
	if acc <= 0.95 {
		t.Errorf("training accuracy %.4f after 20 epochs, want > 0.95", acc)
	}
	if last >= first {
		t.Errorf("loss went from %v to %v", first, last)
	}
}

func TestCanceled(t *testing.T) {
	m := mlp(4, 2, 0, plainSGD)
	data := randomData(6, 40, 4, 2)
	params, _ := model.Init(m, 1)
	cases := []struct {
		name       string
		cancelAt   int // rows done when the context is canceled; 0: before the epoch
		wantRows   []int
		wantChange bool
	}{
		{"before", 0, nil, false},
		{"after-first-batch", 10, []int{10}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := compile(t, m, params, backends.Config{BatchSize: 10})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancelAt == 0 {
				cancel()
			}
			var rows []int
			_, err := tr.Epoch(ctx, data, identity(data.N), func(done int) {
				rows = append(rows, done)
				if done == tc.cancelAt {
					cancel()
				}
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			if len(rows) != len(tc.wantRows) || (len(rows) > 0 && rows[0] != tc.wantRows[0]) {
				t.Errorf("progress %v, want %v", rows, tc.wantRows)
			}
			if changed := !sameParams(tr.Params(), params); changed != tc.wantChange {
				t.Errorf("params changed: %v, want %v", changed, tc.wantChange)
			}
			if err := tr.Predict(ctx, data, make([]float32, data.N*2)); !errors.Is(err, context.Canceled) {
				t.Errorf("predict: err %v, want context.Canceled", err)
			}
		})
	}
}

func TestProgressAndShortBatch(t *testing.T) {
	m := mlp(4, 2, 0.2, momentumSGD)
	data := randomData(6, 25, 4, 2)
	params, _ := model.Init(m, 1)
	tr := compile(t, m, params, backends.Config{BatchSize: 10})
	var rows []int
	// A subset of the rows, in a scrambled order, with a short last batch.
	order := []int32{24, 3, 17, 0, 8, 9, 10, 11, 12, 1, 2, 5, 6}
	loss, err := tr.Epoch(context.Background(), data, order, func(done int) { rows = append(rows, done) })
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != 10 || rows[1] != 13 {
		t.Errorf("progress %v, want [10 13]", rows)
	}
	if !(loss > 0) || math.IsInf(loss, 0) {
		t.Errorf("loss %v", loss)
	}
}

func TestCopies(t *testing.T) {
	m := mlp(4, 2, 0, plainSGD)
	params, _ := model.Init(m, 1)
	orig := params.Clone()
	tr := compile(t, m, params, backends.Config{BatchSize: 8})
	params.Tensors[0].Data[0] = 42 // the caller's copy is the caller's
	got := tr.Params()
	if !sameParams(got, orig) {
		t.Error("Compile did not copy the params")
	}
	got.Tensors[0].Data[0] = 42
	if !sameParams(tr.Params(), orig) {
		t.Error("Params did not return a copy")
	}
	if _, err := tr.Epoch(context.Background(), randomData(1, 8, 4, 2), identity(8), nil); err != nil {
		t.Fatal(err)
	}
	if sameParams(tr.Params(), orig) {
		t.Error("a step left the params unchanged")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Epoch(context.Background(), randomData(1, 8, 4, 2), identity(8), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("epoch after close: %v, want ErrClosed", err)
	}
}

func TestCompileRejects(t *testing.T) {
	good := mlp(4, 2, 0, adam)
	params, _ := model.Init(good, 1)
	withOpt := func(o model.Optimizer) *model.Model { m := *good; m.Optimizer = o; return &m }
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name   string
		ctx    context.Context
		m      *model.Model
		params *model.Params
		cfg    backends.Config
		want   string
	}{
		{"batch-size", context.Background(), good, params, backends.Config{}, "batch size 0"},
		{"no-params", context.Background(), good, nil, backends.Config{BatchSize: 4}, "no params"},
		{"wrong-params", context.Background(), mlp(5, 2, 0, adam), params, backends.Config{BatchSize: 4}, "layer 0"},
		{"bad-model", context.Background(), &model.Model{Inputs: 4, Classes: 1}, params, backends.Config{BatchSize: 4}, "classes"},
		{"optimizer-kind", context.Background(), withOpt(model.Optimizer{Kind: "lion", LR: 0.1}), params, backends.Config{BatchSize: 4}, "lion"},
		{"adam-beta", context.Background(), withOpt(model.Optimizer{Kind: model.Adam, LR: 0.1, Beta1: 1, Beta2: 0.9}), params, backends.Config{BatchSize: 4}, "betas"},
		{"negative-lr", context.Background(), withOpt(model.Optimizer{Kind: model.SGD, LR: -1}), params, backends.Config{BatchSize: 4}, "learning rate"},
		{"canceled", canceled, good, params, backends.Config{BatchSize: 4}, "context canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := Backend{}.Compile(tc.ctx, tc.m, tc.params, tc.cfg)
			if err == nil {
				tr.Close()
				t.Fatal("compiled")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestEpochRejectsBadData(t *testing.T) {
	m := mlp(4, 2, 0, plainSGD)
	params, _ := model.Init(m, 1)
	good := randomData(1, 8, 4, 2)
	cases := []struct {
		name  string
		data  *backends.Batches
		order []int32
		want  string
	}{
		{"features", randomData(1, 8, 3, 2), identity(8), "3 features"},
		{"label", &backends.Batches{X: good.X, Y: []int32{0, 1, 2, 0, 0, 0, 0, 0}, N: 8, D: 4}, identity(8), "label 2"},
		{"labels", &backends.Batches{X: good.X, Y: good.Y[:7], N: 8, D: 4}, identity(8), "7 labels"},
		{"order", good, []int32{0, 8}, "order[1] = 8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := compile(t, m, params, backends.Config{BatchSize: 4})
			_, err := tr.Epoch(context.Background(), tc.data, tc.order, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
