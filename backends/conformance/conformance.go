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
// trajectory of a few epochs of an MLP with dropout; the same for the
// binary and regression heads and for models with embedding tables.
func Run(t *testing.T, candidate, reference backends.Backend, tol Tolerance) {
	t.Helper()
	acts := []model.Activation{model.ActNone, model.ActReLU, model.ActTanh, model.ActSigmoid, model.ActLeakyReLU, model.ActGELU}
	t.Run("forward/batch-norm", func(t *testing.T) {
		p := Problem{Model: BatchNormMLP(7, 3, []int{16, 9}, model.ActGELU, model.Optimizer{Kind: model.SGD}),
			Data: Synthetic(45, 7, 3, 11), Config: backends.Config{BatchSize: 16}, InitSeed: 1}
		Forward(t, candidate, reference, p, tol.Forward)
	})
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
		{"leaky_relu", MLP(6, 3, []int{12, 10}, model.ActLeakyReLU, 0, grad), 16, 16},
		{"gelu", MLP(6, 3, []int{12, 10}, model.ActGELU, 0, grad), 16, 16},
		{"gelu-dropout-short", MLP(6, 3, []int{12}, model.ActGELU, 0.3, grad), 16, 11},
		{"dropout", MLP(6, 3, []int{12, 10}, model.ActReLU, 0.4, grad), 16, 16},
		{"dropout-on-input", dropoutOnInput(6, 3, grad), 16, 16},
		{"short-batch", MLP(6, 3, []int{12}, model.ActReLU, 0.2, grad), 16, 11},
		{"batch-norm", BatchNormMLP(6, 3, []int{12, 10}, model.ActReLU, grad), 16, 16},
		{"batch-norm-short", BatchNormMLP(6, 3, []int{12}, model.ActTanh, grad), 16, 11},
		{"batch-norm-on-input", batchNormOnInput(6, 3, grad), 16, 16},
		{"class-weights", withLoss(MLP(6, 3, []int{12}, model.ActReLU, 0, grad), model.Loss{ClassWeights: []float64{0.5, 2, 1.25}}), 16, 16},
		{"label-smoothing", withLoss(MLP(6, 3, []int{12}, model.ActTanh, 0, grad), model.Loss{LabelSmoothing: 0.1}), 16, 16},
		{"weights-smoothing-short", withLoss(MLP(6, 4, []int{12}, model.ActGELU, 0.2, grad), model.Loss{ClassWeights: []float64{1, 0, 3, 0.25}, LabelSmoothing: 0.2}), 16, 11},
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
		{"sgd-nesterov-wd", model.Optimizer{Kind: model.SGD, LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01}},
		{"adamw", model.Optimizer{Kind: model.AdamW, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}},
		{"rmsprop", model.Optimizer{Kind: model.RMSprop, LR: 0.01, Alpha: 0.99, Eps: 1e-8}},
		{"rmsprop-momentum-wd", model.Optimizer{Kind: model.RMSprop, LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9, WeightDecay: 0.01}},
		// A norm of 0.05 is below the gradients' here, so both steps clip.
		{"sgd-clip", model.Optimizer{Kind: model.SGD, LR: 0.5, Momentum: 0.9, ClipNorm: 0.05}},
		{"adam-clip", model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ClipNorm: 0.05}},
		{"sgd-warmup-steps", model.Optimizer{Kind: model.SGD, LR: 0.5, Schedule: model.Schedule{WarmupSteps: 3}}},
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
	t.Run("trajectory/batch-norm", func(t *testing.T) {
		// Predict after training uses the running statistics both updated.
		adam := model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
		p := Problem{Model: BatchNormMLP(10, 3, []int{24, 12}, model.ActLeakyReLU, adam), Data: Synthetic(150, 10, 3, 18),
			Config: backends.Config{BatchSize: 32, Seed: 9}, InitSeed: 8}
		Trajectory(t, candidate, reference, p, 3, tol)
	})
	t.Run("trajectory/weighted-smoothed", func(t *testing.T) {
		adam := model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
		m := withLoss(MLP(10, 3, []int{24}, model.ActReLU, 0.1, adam), model.Loss{ClassWeights: []float64{0.7, 1.9, 1.1}, LabelSmoothing: 0.1})
		p := Problem{Model: m, Data: Synthetic(150, 10, 3, 16), Config: backends.Config{BatchSize: 32, Seed: 7}, InitSeed: 6}
		Trajectory(t, candidate, reference, p, 3, tol)
	})
	runHeads(t, candidate, reference, tol)
	runEmbeddings(t, candidate, reference, tol)
	schedules := []struct {
		name string
		opt  model.Optimizer
	}{
		{"step", model.Optimizer{Kind: model.SGD, LR: 0.1, Momentum: 0.9, Schedule: model.Schedule{Kind: model.StepDecay, StepSize: 1, Gamma: 0.5}}},
		{"cosine-warmup", model.Optimizer{Kind: model.AdamW, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01,
			Schedule: model.Schedule{Kind: model.Cosine, TMax: 4, EtaMin: 1e-4, WarmupEpochs: 2}}},
	}
	// Resuming from a State is exact on each backend, whatever the
	// optimizer keeps, with dropout, a schedule and a weighted loss.
	resumable := []struct {
		name string
		opt  model.Optimizer
	}{
		{"sgd-nesterov", model.Optimizer{Kind: model.SGD, LR: 0.05, Momentum: 0.9, Nesterov: true}},
		{"adamw-cosine", model.Optimizer{Kind: model.AdamW, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01,
			Schedule: model.Schedule{Kind: model.Cosine, TMax: 4, WarmupSteps: 5}}},
		{"rmsprop-momentum", model.Optimizer{Kind: model.RMSprop, LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.5}},
	}
	for _, r := range resumable {
		for _, b := range []backends.Backend{candidate, reference} {
			t.Run("resume/"+b.Name()+"/"+r.name, func(t *testing.T) {
				m := withLoss(MLP(8, 3, []int{16}, model.ActGELU, 0.2, r.opt), model.Loss{ClassWeights: []float64{1, 2, 0.5}})
				if r.name == "rmsprop-momentum" {
					// Batch norm: the running statistics travel with the state.
					m = BatchNormMLP(8, 3, []int{16}, model.ActReLU, r.opt)
				}
				p := Problem{Model: m, Data: Synthetic(90, 8, 3, 17), Config: backends.Config{BatchSize: 16, Seed: 8}, InitSeed: 7}
				Resume(t, b, p, 4, 2)
			})
		}
	}
	for _, s := range schedules {
		t.Run("schedule/"+s.name, func(t *testing.T) {
			p := Problem{Model: MLP(10, 3, []int{16}, model.ActGELU, 0, s.opt), Data: Synthetic(120, 10, 3, 15),
				Config: backends.Config{BatchSize: 32, Seed: 6}, InitSeed: 5}
			Trajectory(t, candidate, reference, p, 4, tol)
		})
	}
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
	w := p.Model.PredictWidth()
	compare(t, "probs", predict(t, cand, p.Data, w), predict(t, ref, p.Data, w), tol)
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
	w := p.Model.PredictWidth()
	compare(t, "probs after training", predict(t, cand, p.Data, w), predict(t, ref, p.Data, w), tol.Trajectory)
}

func epoch(t *testing.T, tr backends.Trainer, data *backends.Batches, order []int32) float64 {
	t.Helper()
	loss, err := tr.Epoch(context.Background(), data, order, nil)
	if err != nil {
		t.Fatal(err)
	}
	return loss
}

// predict returns Predict's width values per row (Model.PredictWidth).
func predict(t *testing.T, tr backends.Trainer, data *backends.Batches, width int) []float64 {
	t.Helper()
	probs := make([]float32, data.N*width)
	if err := tr.Predict(context.Background(), data, probs); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(probs))
	for i, v := range probs {
		out[i] = float64(v)
	}
	return out
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

// BatchNormMLP is MLP with every hidden layer a dense layer without
// activation, then a batch norm (PyTorch's eps and momentum) with act.
func BatchNormMLP(inputs, classes int, hidden []int, act model.Activation, opt model.Optimizer) *model.Model {
	m := &model.Model{Inputs: inputs, Classes: classes, Optimizer: opt}
	width := inputs
	for _, h := range hidden {
		m.Layers = append(m.Layers,
			model.Layer{Kind: model.Dense, In: width, Out: h, Activation: model.ActNone},
			model.Layer{Kind: model.BatchNorm, In: h, Out: h, Activation: act, Eps: 1e-5, Momentum: 0.1})
		width = h
	}
	m.Layers = append(m.Layers, model.Layer{Kind: model.Dense, In: width, Out: classes, Activation: model.ActNone})
	return m
}

// batchNormOnInput normalises the inputs first: the batch norm has
// parameters but nothing below it needs a gradient.
func batchNormOnInput(inputs, classes int, opt model.Optimizer) *model.Model {
	return &model.Model{Inputs: inputs, Classes: classes, Optimizer: opt, Layers: []model.Layer{
		{Kind: model.BatchNorm, In: inputs, Out: inputs, Activation: model.ActNone, Eps: 1e-5, Momentum: 0.1},
		{Kind: model.Dense, In: inputs, Out: 10, Activation: model.ActSigmoid},
		{Kind: model.Dense, In: 10, Out: classes, Activation: model.ActNone},
	}}
}

// withLoss sets m's loss options.
func withLoss(m *model.Model, l model.Loss) *model.Model {
	m.Loss = l
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
