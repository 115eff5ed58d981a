package conformance

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// runHeads checks the binary and regression heads as Run checks the
// multiclass one: Predict on untrained parameters (the binary head's two
// probabilities, the regression head's values), the loss and every
// gradient after one batch for each loss (class weights included, and a
// short batch), and a few epochs' loss trajectory with Adam, with the
// tolerances of the multiclass cases.
func runHeads(t *testing.T, candidate, reference backends.Backend, tol Tolerance) {
	t.Helper()
	sgd := model.Optimizer{Kind: model.SGD}
	t.Run("forward/binary", func(t *testing.T) {
		p := Problem{Model: Binary(MLP(7, 2, []int{16, 9}, model.ActTanh, 0.3, sgd), nil),
			Data: Synthetic(45, 7, 2, 21), Config: backends.Config{BatchSize: 16}, InitSeed: 1}
		Forward(t, candidate, reference, p, tol.Forward)
	})
	t.Run("forward/regression", func(t *testing.T) {
		p := Problem{Model: Regression(MLP(7, 1, []int{16, 9}, model.ActGELU, 0.3, sgd), model.Loss{}),
			Data: SyntheticRegression(45, 7, 22), Config: backends.Config{BatchSize: 16}, InitSeed: 1}
		Forward(t, candidate, reference, p, tol.Forward)
	})

	grad := model.Optimizer{Kind: model.SGD, LR: 1}
	huber := model.Loss{Kind: model.LossHuber, Delta: 0.5}
	gradients := []struct {
		name  string
		model *model.Model
		rows  int
	}{
		{"binary", Binary(MLP(6, 2, []int{12, 10}, model.ActReLU, 0, grad), nil), 16},
		{"binary-class-weights", Binary(MLP(6, 2, []int{12}, model.ActTanh, 0.2, grad), []float64{0.4, 2.5}), 16},
		{"binary-short", Binary(MLP(6, 2, []int{12}, model.ActGELU, 0, grad), []float64{1, 3}), 11},
		{"binary-batch-norm", Binary(BatchNormMLP(6, 2, []int{12}, model.ActReLU, grad), nil), 16},
		{"mse", Regression(MLP(6, 1, []int{12, 10}, model.ActReLU, 0, grad), model.Loss{Kind: model.LossMSE}), 16},
		{"mse-dropout-short", Regression(MLP(6, 1, []int{12}, model.ActTanh, 0.3, grad), model.Loss{Kind: model.LossMSE}), 11},
		{"mae", Regression(MLP(6, 1, []int{12}, model.ActGELU, 0, grad), model.Loss{Kind: model.LossMAE}), 16},
		{"huber", Regression(MLP(6, 1, []int{12, 10}, model.ActLeakyReLU, 0, grad), huber), 16},
		{"huber-batch-norm-short", Regression(BatchNormMLP(6, 1, []int{12}, model.ActSigmoid, grad), huber), 11},
	}
	for _, g := range gradients {
		t.Run("gradient/"+g.name, func(t *testing.T) {
			data := Synthetic(g.rows, g.model.Inputs, 2, 23)
			if g.model.Regression() {
				data = SyntheticRegression(g.rows, g.model.Inputs, 23)
			}
			p := Problem{Model: g.model, Data: data, Config: backends.Config{BatchSize: 16, Seed: 3}, InitSeed: 2}
			Gradient(t, candidate, reference, p, tol)
		})
	}

	adam := model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
	trajectories := []struct {
		name  string
		model *model.Model
	}{
		{"binary-weighted", Binary(MLP(10, 2, []int{24}, model.ActReLU, 0.1, adam), []float64{0.7, 1.6})},
		{"mse", Regression(MLP(10, 1, []int{32, 16}, model.ActReLU, 0.2, adam), model.Loss{Kind: model.LossMSE})},
		{"mae", Regression(MLP(10, 1, []int{24}, model.ActTanh, 0, adam), model.Loss{Kind: model.LossMAE})},
		{"huber-batch-norm", Regression(BatchNormMLP(10, 1, []int{24}, model.ActGELU, adam), model.Loss{Kind: model.LossHuber, Delta: 1})},
	}
	for _, tr := range trajectories {
		t.Run("trajectory/"+tr.name, func(t *testing.T) {
			data := Synthetic(150, 10, 2, 24)
			if tr.model.Regression() {
				data = SyntheticRegression(150, 10, 24)
			}
			p := Problem{Model: tr.model, Data: data, Config: backends.Config{BatchSize: 32, Seed: 7}, InitSeed: 6}
			Trajectory(t, candidate, reference, p, 3, tol)
		})
	}
	// Resuming is exact for the new heads too: the targets travel with
	// the data, not the state.
	for _, b := range []backends.Backend{candidate, reference} {
		for _, name := range []string{"binary-weighted", "huber-batch-norm"} {
			t.Run("resume/"+b.Name()+"/"+name, func(t *testing.T) {
				m := Binary(MLP(8, 2, []int{16}, model.ActGELU, 0.2, adam), []float64{1, 2})
				data := Synthetic(90, 8, 2, 25)
				if name == "huber-batch-norm" {
					m = Regression(BatchNormMLP(8, 1, []int{16}, model.ActReLU, adam), model.Loss{Kind: model.LossHuber, Delta: 0.7})
					data = SyntheticRegression(90, 8, 25)
				}
				p := Problem{Model: m, Data: data, Config: backends.Config{BatchSize: 16, Seed: 8}, InitSeed: 7}
				Resume(t, b, p, 4, 2)
			})
		}
	}
}

// Binary makes m, built for 2 classes, a binary head: its last layer
// becomes one logit. weights, when not nil, are the two class weights.
func Binary(m *model.Model, weights []float64) *model.Model {
	m.Head, m.Classes = model.HeadBinary, 2
	m.Layers[len(m.Layers)-1].Out = 1
	m.Loss = model.Loss{ClassWeights: weights}
	return m
}

// Regression makes m, built for one output, a regression head trained
// with loss (its Kind empty: mse).
func Regression(m *model.Model, loss model.Loss) *model.Model {
	m.Head, m.Classes = model.HeadRegression, 0
	m.Layers[len(m.Layers)-1].Out = 1
	m.Loss = loss
	return m
}

// SyntheticRegression draws n rows of d standard-normal features from a
// PCG seeded with seed, with a float target that is a random linear map
// of them, a smooth nonlinearity and noise: some errors are large, so
// huber sees both of its sides.
func SyntheticRegression(n, d int, seed uint64) *backends.Batches {
	rng := rand.New(rand.NewPCG(seed, 0x72656772)) // "regr"
	w := make([]float64, d)
	for i := range w {
		w[i] = rng.NormFloat64()
	}
	b := &backends.Batches{X: make([]float32, n*d), T: make([]float32, n), N: n, D: d}
	for i := range n {
		var v float64
		for k := range d {
			x := rng.NormFloat64()
			b.X[i*d+k] = float32(x)
			v += x * w[k]
		}
		b.T[i] = float32(v + math.Sin(2*v) + 0.3*rng.NormFloat64())
	}
	return b
}
