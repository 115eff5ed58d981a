package gorgonia

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// refNet is the model worked by hand in float64: forward, softmax
// cross-entropy, backward and the PyTorch update rules, written out without
// any graph, so that the backend's float32 results can be checked against
// the maths rather than against themselves.
type refNet struct {
	m    *model.Model
	cfg  backends.Config
	w, b map[int][]float64 // dense layer index -> weight [in*out], bias [out]
	emb  [][]float64       // embedding tables, vocab*dim
	buf1 map[string][]float64
	buf2 map[string][]float64
	step int
}

func newRefNet(m *model.Model, p *model.Params, cfg backends.Config) *refNet {
	r := &refNet{m: m, cfg: cfg, w: map[int][]float64{}, b: map[int][]float64{}, buf1: map[string][]float64{}, buf2: map[string][]float64{}}
	for i := range m.Embeddings {
		r.emb = append(r.emb, widen(p.Get(model.EmbeddingName(i)).Data))
	}
	for i, l := range m.Layers {
		if l.Kind == model.Dense {
			r.w[i] = widen(p.Get(model.WeightName(i)).Data)
			r.b[i] = widen(p.Get(model.BiasName(i)).Data)
		}
	}
	return r
}

// embedRow is the input the first layer reads for a raw row: its plain
// columns, then each table's row at the row's index.
func (r *refNet) embedRow(raw []float64) []float64 {
	out := append([]float64(nil), raw[:r.m.PlainInputs()]...)
	for i, e := range r.m.Embeddings {
		v := int(raw[e.Column])
		out = append(out, r.emb[i][v*e.Dim:(v+1)*e.Dim]...)
	}
	return out
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// forward returns the logits of rows and what backward needs: the input
// and output of every layer and the dropout masks.
func (r *refNet) forward(x [][]float64, train bool) (logits [][]float64, ins, outs [][][]float64, masks map[int][]float64) {
	masks = map[int][]float64{}
	a := x
	for i, l := range r.m.Layers {
		ins = append(ins, a)
		next := make([][]float64, len(a))
		switch l.Kind {
		case model.Dense:
			for n, row := range a {
				z := make([]float64, l.Out)
				for o := range l.Out {
					s := r.b[i][o]
					for k := range l.In {
						s += row[k] * r.w[i][k*l.Out+o]
					}
					switch l.Activation {
					case model.ActReLU:
						s = math.Max(s, 0)
					case model.ActTanh:
						s = math.Tanh(s)
					case model.ActSigmoid:
						s = 1 / (1 + math.Exp(-s))
					}
					z[o] = s
				}
				next[n] = z
			}
		case model.Dropout:
			mask := make([]float64, len(a)*l.Out)
			for n, row := range a {
				next[n] = make([]float64, l.Out)
				for u := range l.Out {
					k := n*l.Out + u
					mask[k] = 1
					if train {
						mask[k] = 0
						if model.Keep(r.cfg.Seed, r.step, i, k, l.Rate) {
							mask[k] = 1 / (1 - l.Rate)
						}
					}
					next[n][u] = row[u] * mask[k]
				}
			}
			masks[i] = mask
		}
		outs = append(outs, next)
		a = next
	}
	return a, ins, outs, masks
}

func refSoftmax(z []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	var s float64
	p := make([]float64, len(z))
	for i, v := range z {
		p[i] = math.Exp(v - mx)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// trainBatch does one step on rows and returns the batch's mean loss.
func (r *refNet) trainBatch(raw [][]float64, y []int) float64 {
	x := make([][]float64, len(raw))
	for n, row := range raw {
		x[n] = r.embedRow(row)
	}
	logits, ins, outs, masks := r.forward(x, true)
	bsz := float64(len(x))
	var loss float64
	grad := make([][]float64, len(x)) // d loss / d layer output
	for n, z := range logits {
		p := refSoftmax(z)
		loss -= math.Log(p[y[n]]) / bsz
		grad[n] = make([]float64, len(p))
		for c := range p {
			grad[n][c] = p[c] / bsz
		}
		grad[n][y[n]] -= 1 / bsz
	}
	gw, gb := map[int][]float64{}, map[int][]float64{}
	for i := len(r.m.Layers) - 1; i >= 0; i-- {
		l := r.m.Layers[i]
		prev := make([][]float64, len(x))
		switch l.Kind {
		case model.Dense:
			gw[i], gb[i] = make([]float64, l.In*l.Out), make([]float64, l.Out)
			for n := range x {
				dz := make([]float64, l.Out)
				for o := range l.Out {
					a := outs[i][n][o]
					switch l.Activation {
					case model.ActReLU:
						if a > 0 {
							dz[o] = grad[n][o]
						}
					case model.ActTanh:
						dz[o] = grad[n][o] * (1 - a*a)
					case model.ActSigmoid:
						dz[o] = grad[n][o] * a * (1 - a)
					default:
						dz[o] = grad[n][o]
					}
					gb[i][o] += dz[o]
				}
				prev[n] = make([]float64, l.In)
				for k := range l.In {
					for o := range l.Out {
						gw[i][k*l.Out+o] += ins[i][n][k] * dz[o]
						prev[n][k] += dz[o] * r.w[i][k*l.Out+o]
					}
				}
			}
		case model.Dropout:
			for n := range x {
				prev[n] = make([]float64, l.In)
				for u := range l.In {
					prev[n][u] = grad[n][u] * masks[i][n*l.Out+u]
				}
			}
		}
		grad = prev
	}
	// grad is now at the embedded input: each table's gradient is the sum
	// of its rows' slices of it.
	off := r.m.PlainInputs()
	for i, e := range r.m.Embeddings {
		g := make([]float64, e.Vocab*e.Dim)
		for n, row := range raw {
			v := int(row[e.Column])
			for j := range e.Dim {
				g[v*e.Dim+j] += grad[n][off+j]
			}
		}
		r.update(model.EmbeddingName(i), r.emb[i], g)
		off += e.Dim
	}
	for i, l := range r.m.Layers {
		if l.Kind == model.Dense {
			r.update(model.WeightName(i), r.w[i], gw[i])
			r.update(model.BiasName(i), r.b[i], gb[i])
		}
	}
	r.step++
	return loss
}

func (r *refNet) update(name string, p, g []float64) {
	o := r.m.Optimizer
	if r.buf1[name] == nil {
		r.buf1[name], r.buf2[name] = make([]float64, len(p)), make([]float64, len(p))
	}
	m, v := r.buf1[name], r.buf2[name]
	t := float64(r.step + 1)
	for j := range p {
		gj := g[j] + o.WeightDecay*p[j]
		switch o.Kind {
		case model.SGD:
			if o.Momentum != 0 {
				if r.step == 0 {
					m[j] = gj
				} else {
					m[j] = o.Momentum*m[j] + gj
				}
				gj = m[j]
			}
			p[j] -= o.LR * gj
		case model.Adam:
			m[j] = o.Beta1*m[j] + (1-o.Beta1)*gj
			v[j] = o.Beta2*v[j] + (1-o.Beta2)*gj*gj
			mHat := m[j] / (1 - math.Pow(o.Beta1, t))
			vHat := v[j] / (1 - math.Pow(o.Beta2, t))
			p[j] -= o.LR * mHat / (math.Sqrt(vHat) + o.Eps)
		}
	}
}

func (r *refNet) epoch(data *backends.Batches, order []int32) float64 {
	var sum float64
	for start := 0; start < len(order); start += r.cfg.BatchSize {
		rows := order[start:min(start+r.cfg.BatchSize, len(order))]
		x, y := make([][]float64, len(rows)), make([]int, len(rows))
		for i, row := range rows {
			x[i] = widen(data.X[int(row)*data.D : (int(row)+1)*data.D])
			y[i] = int(data.Y[row])
		}
		sum += r.trainBatch(x, y) * float64(len(rows))
	}
	return sum / float64(len(order))
}

func randomData(seed uint64, n, d, classes int) *backends.Batches {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := &backends.Batches{X: make([]float32, n*d), Y: make([]int32, n), N: n, D: d}
	for i := range b.X {
		b.X[i] = float32(rng.NormFloat64())
	}
	for i := range b.Y {
		b.Y[i] = int32(rng.IntN(classes))
	}
	return b
}

func dense(in, out int, act model.Activation) model.Layer {
	return model.Layer{Kind: model.Dense, In: in, Out: out, Activation: act}
}

func dropout(width int, rate float64) model.Layer {
	return model.Layer{Kind: model.Dropout, In: width, Out: width, Rate: rate}
}

var (
	plainSGD    = model.Optimizer{Kind: model.SGD, LR: 0.1}
	momentumSGD = model.Optimizer{Kind: model.SGD, LR: 0.05, Momentum: 0.9, WeightDecay: 0.01}
	adam        = model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	adamWD      = model.Optimizer{Kind: model.Adam, LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05}
)

// TestMatchesHandComputation trains small models for two epochs and checks
// every epoch's loss, every parameter and the predicted probabilities
// against the float64 computation above.
func TestMatchesHandComputation(t *testing.T) {
	const tol = 1e-5
	cases := []struct {
		name   string
		m      model.Model
		n, bsz int
		adjust func(*model.Params)
	}{
		{"relu/sgd/one-batch", model.Model{Inputs: 3, Classes: 2, Layers: []model.Layer{dense(3, 4, model.ActReLU), dense(4, 2, model.ActNone)}, Optimizer: plainSGD}, 2, 2, nil},
		{"relu/sgd-momentum-wd/short-last-batch", model.Model{Inputs: 3, Classes: 2, Layers: []model.Layer{dense(3, 4, model.ActReLU), dense(4, 2, model.ActNone)}, Optimizer: momentumSGD}, 5, 2, nil},
		{"tanh/adam/batch-of-one", model.Model{Inputs: 3, Classes: 3, Layers: []model.Layer{dense(3, 5, model.ActTanh), dense(5, 3, model.ActNone)}, Optimizer: adam}, 7, 3, nil},
		{"sigmoid-dropout/adam-wd", model.Model{Inputs: 4, Classes: 3, Layers: []model.Layer{dense(4, 6, model.ActSigmoid), dropout(6, 0.5), dense(6, 3, model.ActNone)}, Optimizer: adamWD}, 9, 4, nil},
		{"linear-relu-dropout/sgd-momentum", model.Model{Inputs: 5, Classes: 4, Layers: []model.Layer{dense(5, 6, model.ActNone), dropout(6, 0.3), dense(6, 4, model.ActReLU), dense(4, 4, model.ActNone)}, Optimizer: momentumSGD}, 10, 4, nil},
		{"logreg/sgd", model.Model{Inputs: 3, Classes: 2, Layers: []model.Layer{dense(3, 2, model.ActNone)}, Optimizer: plainSGD}, 6, 6, nil},
		// Tables: indices repeat within a batch; the last row of each is
		// never chosen, and moves by weight decay alone.
		{"embeddings/adam-wd", model.Model{Inputs: 4, Classes: 3, Embeddings: []model.Embedding{{Column: 2, Vocab: 4, Dim: 3}, {Column: 3, Vocab: 6, Dim: 2}},
			Layers: []model.Layer{dropout(7, 0.2), dense(7, 5, model.ActTanh), dense(5, 3, model.ActNone)}, Optimizer: adamWD}, 9, 4, nil},
		{"embedding-only/sgd-momentum-wd", model.Model{Inputs: 1, Classes: 2, Embeddings: []model.Embedding{{Column: 0, Vocab: 5, Dim: 3}},
			Layers: []model.Layer{dense(3, 4, model.ActReLU), dense(4, 2, model.ActNone)}, Optimizer: momentumSGD}, 8, 8, nil},
		// Every pre-activation of the hidden layer is exactly 0, where ReLU's
		// gradient is 0 (PyTorch's convention; gorgonia's Rectify says 1).
		{"relu-at-zero/sgd", model.Model{Inputs: 3, Classes: 2, Layers: []model.Layer{dense(3, 4, model.ActReLU), dense(4, 2, model.ActNone)}, Optimizer: plainSGD}, 4, 4, func(p *model.Params) {
			clear(p.Get(model.WeightName(0)).Data)
			clear(p.Get(model.BiasName(0)).Data)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			params, err := model.Init(&tc.m, 11)
			if err != nil {
				t.Fatal(err)
			}
			if tc.adjust != nil {
				tc.adjust(params)
			}
			cfg := backends.Config{BatchSize: tc.bsz, Seed: 5}
			tr, err := Backend{}.Compile(ctx, &tc.m, params, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Close()
			ref := newRefNet(&tc.m, params, cfg)
			data := randomData(3, tc.n, tc.m.Inputs, tc.m.Classes)
			for i, e := range tc.m.Embeddings {
				// Indices 0 to vocab-2: the last row is never chosen.
				for n := range tc.n {
					data.X[n*data.D+e.Column] = float32((n*(i+2) + 1) % (e.Vocab - 1))
				}
			}
			rng := rand.New(rand.NewPCG(9, 9))
			for epoch := range 2 {
				order := make([]int32, tc.n)
				for i, j := range rng.Perm(tc.n) {
					order[i] = int32(j)
				}
				got, err := tr.Epoch(ctx, data, order, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := ref.epoch(data, order)
				if math.Abs(got-want) > tol {
					t.Errorf("epoch %d: loss %.9g, want %.9g (diff %.3g)", epoch, got, want, got-want)
				}
				worst := 0.0
				for i := range tc.m.Embeddings {
					for j, v := range tr.Params().Get(model.EmbeddingName(i)).Data {
						d := math.Abs(float64(v) - ref.emb[i][j])
						worst = math.Max(worst, d)
						if d > tol {
							t.Errorf("epoch %d: %s[%d] = %.9g, want %.9g", epoch, model.EmbeddingName(i), j, v, ref.emb[i][j])
						}
					}
				}
				for i, l := range tc.m.Layers {
					if l.Kind != model.Dense {
						continue
					}
					p := tr.Params()
					for _, c := range []struct {
						name string
						want []float64
					}{{model.WeightName(i), ref.w[i]}, {model.BiasName(i), ref.b[i]}} {
						for j, v := range p.Get(c.name).Data {
							d := math.Abs(float64(v) - c.want[j])
							worst = math.Max(worst, d)
							if d > tol {
								t.Errorf("epoch %d: %s[%d] = %.9g, want %.9g", epoch, c.name, j, v, c.want[j])
							}
						}
					}
				}
				t.Logf("epoch %d: loss diff %.3g, worst param diff %.3g", epoch, got-want, worst)
			}
			probs := make([]float32, tc.n*tc.m.Classes)
			if err := tr.Predict(ctx, data, probs); err != nil {
				t.Fatal(err)
			}
			for n := range tc.n {
				logits, _, _, _ := ref.forward([][]float64{ref.embedRow(widen(data.X[n*data.D : (n+1)*data.D]))}, false)
				for c, want := range refSoftmax(logits[0]) {
					if got := float64(probs[n*tc.m.Classes+c]); math.Abs(got-want) > tol {
						t.Errorf("row %d class %d: p = %.9g, want %.9g", n, c, got, want)
					}
				}
			}
		})
	}
}
