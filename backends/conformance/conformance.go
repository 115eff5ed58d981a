package conformance

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// Tolerance bounds how far a candidate may be from the reference. Each
// comparison passes when |got - want| ≤ Abs + Rel·|want|, element by
// element.
type Tolerance struct {
	// Forward bounds Predict's probabilities on untrained parameters.
	Forward Bound
	// Gradient bounds the gradient of every parameter after one batch.
	Gradient Bound
	// Step bounds the parameters after two steps of an optimizer.
	Step Bound
	// Loss bounds the mean loss of each epoch of a trajectory (Abs unused
	// when zero); Trajectory bounds the probabilities predicted after it.
	Loss       Bound
	Trajectory Bound
}

// Bound is an absolute plus a relative tolerance.
type Bound struct {
	Abs, Rel float64
}

func (b Bound) ok(got, want float64) bool {
	return math.Abs(got-want) <= b.Abs+b.Rel*math.Abs(want)
}

// Float32 is the tolerance for two float32 implementations that sum in
// different orders (a blocked GEMM against a naive or differently blocked
// one): a few units in the last place of float32 on each value, widened
// where an error compounds (gradients carry the forward pass's error;
// trajectories compound every step's).
func Float32() Tolerance {
	return Tolerance{
		Forward:    Bound{Abs: 2e-6, Rel: 1e-5},
		Gradient:   Bound{Abs: 1e-6, Rel: 1e-4},
		Step:       Bound{Abs: 1e-6, Rel: 1e-4},
		Loss:       Bound{Abs: 1e-6, Rel: 1e-4},
		Trajectory: Bound{Abs: 1e-4, Rel: 1e-3},
	}
}

// Problem is one model on one dataset, trained from model.Init(Model,
// InitSeed) with Config.
type Problem struct {
	Name     string
	Model    *model.Model
	Data     *backends.Batches
	Config   backends.Config
	InitSeed uint64
}

// Run checks candidate against reference on small deterministic problems:
// forward outputs of every activation (with a dropout layer, the identity
// at inference), gradients of every layer kind (one SGD step with lr 1,
// momentum 0 and no weight decay, so a parameter moves by minus its
// gradient), two steps of each optimizer with weight decay, and the loss
// trajectory of a few epochs of an MLP with dropout.
func Run(t *testing.T, candidate, reference backends.Backend, tol Tolerance) {
	t.Helper()
	acts := []model.Activation{model.ActNone, model.ActReLU, model.ActTanh, model.ActSigmoid}
	for _, act := range acts {
		t.Run("forward/"+string(act), func(t *testing.T) {
			p := Problem{Model: MLP(7, 3, []int{16, 9}, act, 0.3, model.Optimizer{Kind: model.SGD}),
				Data: Synthetic(45, 7, 3, 11), Config: backends.Config{BatchSize: 16}, InitSeed: 1}
			Forward(t, candidate, reference, p, tol.Forward)
		})
	}
	grad := model.Optimizer{Kind: model.SGD, LR: 1}
	gradients := []struct {
		name  string
		model *model.Model
		batch int
		rows  int
	}{
		{"linear", MLP(6, 3, nil, model.ActNone, 0, grad), 16, 16},
		{"relu", MLP(6, 3, []int{12, 10}, model.ActReLU, 0, grad), 16, 16},
		{"tanh", MLP(6, 4, []int{12}, model.ActTanh, 0, grad), 16, 16},
		{"sigmoid", MLP(6, 2, []int{12}, model.ActSigmoid, 0, grad), 16, 16},
		{"dropout", MLP(6, 3, []int{12, 10}, model.ActReLU, 0.4, grad), 16, 16},
		{"dropout-on-input", dropoutOnInput(6, 3, grad), 16, 16},
		{"short-batch", MLP(6, 3, []int{12}, model.ActReLU, 0.2, grad), 16, 11},
	}
	for _, g := range gradients {
		t.Run("gradient/"+g.name, func(t *testing.T) {
			p := Problem{Model: g.model, Data: Synthetic(g.rows, g.model.Inputs, g.model.Classes, 12),
				Config: backends.Config{BatchSize: g.batch, Seed: 3}, InitSeed: 2}
			Gradient(t, candidate, reference, p, tol)
		})
	}
	optimizers := []struct {
		name string
		opt  model.Optimizer
	}{
		{"sgd-momentum-wd", model.Optimizer{Kind: model.SGD, LR: 0.05, Momentum: 0.9, WeightDecay: 0.01}},
		{"adam-wd", model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}},
	}
	for _, o := range optimizers {
		t.Run("optimizer/"+o.name, func(t *testing.T) {
			p := Problem{Model: MLP(6, 3, []int{12}, model.ActTanh, 0.2, o.opt), Data: Synthetic(32, 6, 3, 13),
				Config: backends.Config{BatchSize: 16, Seed: 4}, InitSeed: 3}
			Steps(t, candidate, reference, p, tol.Step)
		})
	}
	t.Run("trajectory/mlp-dropout", func(t *testing.T) {
		adam := model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
		p := Problem{Model: MLP(10, 3, []int{32, 16}, model.ActReLU, 0.2, adam), Data: Synthetic(300, 10, 3, 14),
			Config: backends.Config{BatchSize: 32, Seed: 5}, InitSeed: 4}
		Trajectory(t, candidate, reference, p, 4, tol)
	})
}

// pair compiles the problem on both backends from the same parameters.
func pair(t *testing.T, candidate, reference backends.Backend, p Problem) (cand, ref backends.Trainer, p0 *model.Params) {
	t.Helper()
	p0, err := model.Init(p.Model, p.InitSeed)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if cand, err = candidate.Compile(ctx, p.Model, p0, p.Config); err != nil {
		t.Fatalf("%s: %v", candidate.Name(), err)
	}
	t.Cleanup(func() { cand.Close() })
	if ref, err = reference.Compile(ctx, p.Model, p0, p.Config); err != nil {
		t.Fatalf("%s: %v", reference.Name(), err)
	}
	t.Cleanup(func() { ref.Close() })
	return cand, ref, p0
}

// Forward compares Predict on untrained parameters.
func Forward(t *testing.T, candidate, reference backends.Backend, p Problem, tol Bound) {
	t.Helper()
	cand, ref, _ := pair(t, candidate, reference, p)
	compare(t, "probs", predict(t, cand, p.Data), predict(t, ref, p.Data), tol)
}

// Gradient runs one batch (the problem's optimizer must be SGD with lr 1,
// no momentum, no weight decay) and compares the loss and each parameter's
// gradient, read as its change.
func Gradient(t *testing.T, candidate, reference backends.Backend, p Problem, tol Tolerance) {
	t.Helper()
	if o := p.Model.Optimizer; o.Kind != model.SGD || o.LR != 1 || o.Momentum != 0 || o.WeightDecay != 0 {
		t.Fatalf("gradient check needs plain SGD with lr 1, have %+v", o)
	}
	if p.Data.N > p.Config.BatchSize {
		t.Fatalf("gradient check needs one batch: %d rows, batch %d", p.Data.N, p.Config.BatchSize)
	}
	cand, ref, p0 := pair(t, candidate, reference, p)
	o := Order(p.Data.N, 1)
	lc, lr := epoch(t, cand, p.Data, o), epoch(t, ref, p.Data, o)
	if !tol.Loss.ok(lc, lr) {
		t.Errorf("loss %v, reference %v", lc, lr)
	}
	pc, pr := cand.Params(), ref.Params()
	for i, t0 := range p0.Tensors {
		gc, gr := make([]float64, len(t0.Data)), make([]float64, len(t0.Data))
		for j, v := range t0.Data {
			gc[j] = float64(v) - float64(pc.Tensors[i].Data[j])
			gr[j] = float64(v) - float64(pr.Tensors[i].Data[j])
		}
		compare(t, "gradient of "+t0.Name, gc, gr, tol.Gradient)
	}
}

// Steps runs two batches, so momentum and Adam's moments are used after
// their first step, and compares the parameters.
func Steps(t *testing.T, candidate, reference backends.Backend, p Problem, tol Bound) {
	t.Helper()
	cand, ref, _ := pair(t, candidate, reference, p)
	o := Order(p.Data.N, 2)
	if len(o) > 2*p.Config.BatchSize {
		o = o[:2*p.Config.BatchSize]
	}
	epoch(t, cand, p.Data, o)
	epoch(t, ref, p.Data, o)
	compareParams(t, cand.Params(), ref.Params(), tol)
}

// Trajectory trains epochs epochs, each in its own seeded order, and
// compares every epoch's mean loss, then the probabilities predicted after
// training.
func Trajectory(t *testing.T, candidate, reference backends.Backend, p Problem, epochs int, tol Tolerance) {
	t.Helper()
	cand, ref, _ := pair(t, candidate, reference, p)
	for e := range epochs {
		o := Order(p.Data.N, uint64(100+e))
		lc, lr := epoch(t, cand, p.Data, o), epoch(t, ref, p.Data, o)
		t.Logf("epoch %d: loss %.7f, reference %.7f", e, lc, lr)
		if !tol.Loss.ok(lc, lr) {
			t.Errorf("epoch %d: loss %v, reference %v (tolerance %+v)", e, lc, lr, tol.Loss)
		}
	}
	compare(t, "probs after training", predict(t, cand, p.Data), predict(t, ref, p.Data), tol.Trajectory)
}

func epoch(t *testing.T, tr backends.Trainer, data *backends.Batches, order []int32) float64 {
	t.Helper()
	loss, err := tr.Epoch(context.Background(), data, order, nil)
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

func predict(t *testing.T, tr backends.Trainer, data *backends.Batches) []float64 {
	t.Helper()
	probs := make([]float32, data.N*classes(tr))
	if err := tr.Predict(context.Background(), data, probs); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(probs))
	for i, v := range probs {
		out[i] = float64(v)
	}
	return out
}

// classes reads the class count from the last bias.
func classes(tr backends.Trainer) int {
	p := tr.Params()
	return len(p.Tensors[len(p.Tensors)-1].Data)
}

func compareParams(t *testing.T, got, want *model.Params, tol Bound) {
	t.Helper()
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, reference has %d", len(got.Tensors), len(want.Tensors))
	}
	for i, w := range want.Tensors {
		g := got.Tensors[i]
		if g.Name != w.Name || len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %d is %s[%d], reference %s[%d]", i, g.Name, len(g.Data), w.Name, len(w.Data))
		}
		gv, wv := make([]float64, len(g.Data)), make([]float64, len(w.Data))
		for j := range g.Data {
			gv[j], wv[j] = float64(g.Data[j]), float64(w.Data[j])
		}
		compare(t, w.Name, gv, wv, tol)
	}
}

// compare fails the test with diff's report.
func compare(t *testing.T, what string, got, want []float64, tol Bound) {
	t.Helper()
	if msg := diff(what, got, want, tol); msg != "" {
		t.Error(msg)
	}
}

// diff reports the worst element (relative to its tolerance) and how many
// are out, so one line says how wrong and where; "" when all are within.
func diff(what string, got, want []float64, tol Bound) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%s: %d values, reference %d", what, len(got), len(want))
	}
	bad, worst, worstRatio := 0, -1, 0.0
	for i := range got {
		if tol.ok(got[i], want[i]) {
			continue
		}
		bad++
		ratio := math.Abs(got[i]-want[i]) / (tol.Abs + tol.Rel*math.Abs(want[i]))
		if worst < 0 || math.IsNaN(ratio) || ratio > worstRatio {
			worst, worstRatio = i, ratio
		}
	}
	if bad == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %d of %d values out of tolerance %+v; worst [%d] = %v, reference %v (%.3g× the tolerance)",
		what, bad, len(got), tol, worst, got[worst], want[worst], worstRatio)
}

// MLP builds inputs -> hidden... -> classes, each hidden layer dense with
// act and followed by a dropout of rate when rate > 0.
func MLP(inputs, classes int, hidden []int, act model.Activation, rate float64, opt model.Optimizer) *model.Model {
	m := &model.Model{Inputs: inputs, Classes: classes, Optimizer: opt}
	width := inputs
	for _, h := range hidden {
		m.Layers = append(m.Layers, model.Layer{Kind: model.Dense, In: width, Out: h, Activation: act})
		if rate > 0 {
			m.Layers = append(m.Layers, model.Layer{Kind: model.Dropout, In: h, Out: h, Rate: rate})
		}
		width = h
	}
	m.Layers = append(m.Layers, model.Layer{Kind: model.Dense, In: width, Out: classes, Activation: model.ActNone})
	return m
}

// dropoutOnInput puts dropout before the first dense layer, where no
// gradient is needed below it.
func dropoutOnInput(inputs, classes int, opt model.Optimizer) *model.Model {
	return &model.Model{Inputs: inputs, Classes: classes, Optimizer: opt, Layers: []model.Layer{
		{Kind: model.Dropout, In: inputs, Out: inputs, Rate: 0.25},
		{Kind: model.Dense, In: inputs, Out: 10, Activation: model.ActTanh},
		{Kind: model.Dropout, In: 10, Out: 10, Rate: 0},
		{Kind: model.Dense, In: 10, Out: classes, Activation: model.ActNone},
	}}
}

// Synthetic draws n rows of d standard-normal features from a PCG seeded
// with seed, labelled by the argmax of a random linear map plus noise.
func Synthetic(n, d, classes int, seed uint64) *backends.Batches {
	rng := rand.New(rand.NewPCG(seed, 0x636f6e66)) // "conf"
	w := make([]float64, d*classes)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	b := &backends.Batches{X: make([]float32, n*d), Y: make([]int32, n), N: n, D: d}
	for i := range n {
		for k := range d {
			b.X[i*d+k] = float32(rng.NormFloat64())
		}
		best, bestV := 0, math.Inf(-1)
		for c := range classes {
			v := 0.5 * rng.NormFloat64()
			for k := range d {
				v += float64(b.X[i*d+k]) * w[k*classes+c]
			}
			if v > bestV {
				best, bestV = c, v
			}
		}
		b.Y[i] = int32(best)
	}
	return b
}

// Order is a seeded permutation of n rows.
func Order(n int, seed uint64) []int32 {
	o := make([]int32, n)
	for i, v := range rand.New(rand.NewPCG(seed, 0x6f72646572)).Perm(n) { // "order"
		o[i] = int32(v)
	}
	return o
}

// String describes a tolerance for logs.
func (t Tolerance) String() string {
	return fmt.Sprintf("forward %+v, gradient %+v, step %+v, loss %+v, trajectory %+v", t.Forward, t.Gradient, t.Step, t.Loss, t.Trajectory)
}
