package conformance

import (
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// Table is the size of one embedding table: Vocab rows of Dim values.
type Table struct{ Vocab, Dim int }

// Embed gives m, built for its plain inputs, embedding tables: an index
// column per table after the plain ones, and the layers up to the first
// dense one (a dropout or batch norm on the input, then the dense layer)
// widened to read the tables' rows after the plain features.
func Embed(m *model.Model, tables ...Table) *model.Model {
	extra := 0
	for i, tb := range tables {
		m.Embeddings = append(m.Embeddings, model.Embedding{Column: m.Inputs + i, Vocab: tb.Vocab, Dim: tb.Dim})
		extra += tb.Dim
	}
	m.Inputs += len(tables)
	for i := range m.Layers {
		l := &m.Layers[i]
		l.In += extra
		if l.Kind == model.Dense {
			break
		}
		l.Out += extra
	}
	return m
}

// WithIndices appends to b's rows one index column per table, drawn
// uniformly from a PCG seeded with seed over [0, used[i]) (used[i] at
// most the table's Vocab: indices from used[i] on are then never
// chosen). With more rows than used indices, some repeat.
func WithIndices(b *backends.Batches, used []int, seed uint64) *backends.Batches {
	rng := rand.New(rand.NewPCG(seed, 0x656d62)) // "emb"
	d := b.D + len(used)
	out := &backends.Batches{X: make([]float32, b.N*d), Y: b.Y, T: b.T, N: b.N, D: d}
	for r := range b.N {
		copy(out.X[r*d:], b.X[r*b.D:(r+1)*b.D])
		for i, u := range used {
			out.X[r*d+b.D+i] = float32(rng.IntN(u))
		}
	}
	return out
}

// runEmbeddings checks models with embedding tables as Run checks the
// others: forward, the gradients of the tables and of the layers (with
// indices that repeat within a batch and indices no row chooses, whose
// gradient is 0, and a model of tables only), optimizer steps (weight
// decay moves unused rows), a trajectory, and resume.
func runEmbeddings(t *testing.T, candidate, reference backends.Backend, tol Tolerance) {
	t.Helper()
	sgd := model.Optimizer{Kind: model.SGD}
	t.Run("forward/embedding", func(t *testing.T) {
		m := Embed(MLP(5, 3, []int{16, 9}, model.ActGELU, 0.3, sgd), Table{7, 3}, Table{4, 2})
		p := Problem{Model: m, Data: WithIndices(Synthetic(45, 5, 3, 31), []int{7, 4}, 31),
			Config: backends.Config{BatchSize: 16}, InitSeed: 1}
		Forward(t, candidate, reference, p, tol.Forward)
	})
	grad := model.Optimizer{Kind: model.SGD, LR: 1}
	gradients := []struct {
		name   string
		model  *model.Model
		used   []int
		rows   int
		plain  int
		regres bool
	}{
		// 16 rows over indices 0-3 of 5: every batch repeats, row 4 unused.
		{"embedding-repeats-unused", Embed(MLP(6, 3, []int{12}, model.ActReLU, 0, grad), Table{5, 3}), []int{4}, 16, 6, false},
		{"embedding-two-tables-dropout-short", Embed(MLP(4, 3, []int{12, 10}, model.ActTanh, 0.3, grad), Table{40, 4}, Table{3, 2}), []int{40, 3}, 11, 4, false},
		{"embedding-only", Embed(MLP(0, 3, []int{10}, model.ActGELU, 0, grad), Table{6, 5}, Table{9, 2}), []int{5, 9}, 16, 0, false},
		{"embedding-dropout-on-input", Embed(dropoutOnInput(5, 3, grad), Table{8, 3}), []int{6}, 16, 5, false},
		{"embedding-batch-norm-on-input", Embed(batchNormOnInput(5, 3, grad), Table{8, 3}), []int{8}, 16, 5, false},
		{"embedding-binary", Embed(Binary(MLP(6, 2, []int{12}, model.ActLeakyReLU, 0, grad), []float64{1, 2}), Table{6, 4}), []int{5}, 16, 6, false},
		{"embedding-huber", Embed(Regression(MLP(6, 1, []int{12}, model.ActReLU, 0, grad), model.Loss{Kind: model.LossHuber, Delta: 0.5}), Table{6, 4}), []int{6}, 16, 6, true},
	}
	for _, g := range gradients {
		t.Run("gradient/"+g.name, func(t *testing.T) {
			base := Synthetic(g.rows, g.plain, max(g.model.Classes, 2), 32)
			if g.regres {
				base = SyntheticRegression(g.rows, g.plain, 32)
			}
			p := Problem{Model: g.model, Data: WithIndices(base, g.used, 32), Config: backends.Config{BatchSize: 16, Seed: 3}, InitSeed: 2}
			Gradient(t, candidate, reference, p, tol)
		})
	}
	optimizers := []struct {
		name string
		opt  model.Optimizer
	}{
		{"embedding-sgd-momentum-wd", model.Optimizer{Kind: model.SGD, LR: 0.05, Momentum: 0.9, WeightDecay: 0.01}},
		{"embedding-adam-wd", model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}},
		{"embedding-adamw-clip", model.Optimizer{Kind: model.AdamW, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, ClipNorm: 0.05}},
	}
	for _, o := range optimizers {
		t.Run("optimizer/"+o.name, func(t *testing.T) {
			m := Embed(MLP(6, 3, []int{12}, model.ActTanh, 0.2, o.opt), Table{10, 3})
			p := Problem{Model: m, Data: WithIndices(Synthetic(32, 6, 3, 33), []int{8}, 33),
				Config: backends.Config{BatchSize: 16, Seed: 4}, InitSeed: 3}
			Steps(t, candidate, reference, p, tol.Step)
		})
	}
	adam := model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-4}
	t.Run("trajectory/embedding", func(t *testing.T) {
		m := Embed(MLP(8, 3, []int{24, 12}, model.ActReLU, 0.2, adam), Table{12, 4}, Table{5, 2})
		p := Problem{Model: m, Data: WithIndices(Synthetic(200, 8, 3, 34), []int{12, 5}, 34),
			Config: backends.Config{BatchSize: 32, Seed: 5}, InitSeed: 4}
		Trajectory(t, candidate, reference, p, 4, tol)
	})
	for _, b := range []backends.Backend{candidate, reference} {
		t.Run("resume/"+b.Name()+"/embedding-adam", func(t *testing.T) {
			m := Embed(MLP(6, 3, []int{16}, model.ActGELU, 0.2, adam), Table{9, 3})
			p := Problem{Model: m, Data: WithIndices(Synthetic(90, 6, 3, 35), []int{9}, 35),
				Config: backends.Config{BatchSize: 16, Seed: 8}, InitSeed: 7}
			Resume(t, b, p, 4, 2)
		})
	}
}
