package engine_test

import (
	"math"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// ref is the naive float64 definition of what the engine computes: the
// same model, masks and optimizer rules, written for clarity with no
// buffers, fusion or blocking, so that the engine can be checked without any
// other backend.
type ref struct {
	m      model.Model
	seed   uint64
	batch  int
	params [][]float64 // per tensor, in model.Params order
	state1 [][]float64
	state2 [][]float64
	step   int
}

func newRef(m *model.Model, p *model.Params, cfg backends.Config) *ref {
	r := &ref{m: *m, seed: cfg.Seed, batch: cfg.BatchSize}
	for _, t := range p.Tensors {
		v := make([]float64, len(t.Data))
		for i, x := range t.Data {
			v[i] = float64(x)
		}
		r.params = append(r.params, v)
		r.state1 = append(r.state1, make([]float64, len(v)))
		r.state2 = append(r.state2, make([]float64, len(v)))
	}
	return r
}

func activate(act model.Activation, v float64) float64 {
	switch act {
	case model.ActReLU:
		return math.Max(v, 0)
	case model.ActTanh:
		return math.Tanh(v)
	case model.ActSigmoid:
		return 1 / (1 + math.Exp(-v))
	}
	return v
}

func activationGrad(act model.Activation, y float64) float64 {
	switch act {
	case model.ActReLU:
		if y > 0 {
			return 1
		}
		return 0
	case model.ActTanh:
		return 1 - y*y
	case model.ActSigmoid:
		return y * (1 - y)
	}
	return 1
}

// forward returns every layer's output for rows x (n×Inputs), and the
// dropout masks it used when train.
func (r *ref) forward(x []float64, n int, train bool) (outs [][]float64, masks map[int][]float64) {
	masks = map[int][]float64{}
	cur, pi := x, 0
	for li, l := range r.m.Layers {
		var y []float64
		switch l.Kind {
		case model.Dense:
			w, b := r.params[pi], r.params[pi+1]
			pi += 2
			y = make([]float64, n*l.Out)
			for i := range n {
				for j := range l.Out {
					s := b[j]
					for k := range l.In {
						s += cur[i*l.In+k] * w[k*l.Out+j]
					}
					y[i*l.Out+j] = activate(l.Activation, s)
				}
			}
		case model.Dropout:
			y = append([]float64(nil), cur...)
			if train && l.Rate > 0 {
				mask := make([]float64, n*l.Out)
				for i := range mask {
					if model.Keep(r.seed, r.step, li, i, l.Rate) {
						mask[i] = 1 / (1 - l.Rate)
					}
					y[i] *= mask[i]
				}
				masks[li] = mask
			}
		}
		outs = append(outs, y)
		cur = y
	}
	return outs, masks
}

func softmax(z []float64) []float64 {
	top := z[0]
	for _, v := range z {
		top = math.Max(top, v)
	}
	p := make([]float64, len(z))
	var s float64
	for j, v := range z {
		p[j] = math.Exp(v - top)
		s += p[j]
	}
	for j := range p {
		p[j] /= s
	}
	return p
}

// predict returns class probabilities, row-major.
func (r *ref) predict(data *backends.Batches) []float64 {
	x := make([]float64, len(data.X))
	for i, v := range data.X {
		x[i] = float64(v)
	}
	outs, _ := r.forward(x, data.N, false)
	logits := outs[len(outs)-1]
	c := r.m.Classes
	var probs []float64
	for i := range data.N {
		probs = append(probs, softmax(logits[i*c:(i+1)*c])...)
	}
	return probs
}

// gradients returns the batch-mean loss and the gradient of every tensor.
func (r *ref) gradients(data *backends.Batches, rows []int32) (float64, [][]float64) {
	n, d, c := len(rows), data.D, r.m.Classes
	x := make([]float64, n*d)
	for i, row := range rows {
		for k := range d {
			x[i*d+k] = float64(data.X[int(row)*d+k])
		}
	}
	outs, masks := r.forward(x, n, true)
	logits := outs[len(outs)-1]
	var loss float64
	dy := make([]float64, n*c)
	for i, row := range rows {
		p := softmax(logits[i*c : (i+1)*c])
		label := int(data.Y[row])
		loss -= math.Log(p[label])
		for j := range c {
			dy[i*c+j] = p[j] / float64(n)
		}
		dy[i*c+label] -= 1 / float64(n)
	}
	grads := make([][]float64, len(r.params))
	pi := len(r.params)
	for li := len(r.m.Layers) - 1; li >= 0; li-- {
		l := r.m.Layers[li]
		in := x
		if li > 0 {
			in = outs[li-1]
		}
		switch l.Kind {
		case model.Dense:
			pi -= 2
			w := r.params[pi]
			y := outs[li]
			dz := make([]float64, len(dy))
			for i := range dz {
				dz[i] = dy[i] * activationGrad(l.Activation, y[i])
			}
			dw, db := make([]float64, l.In*l.Out), make([]float64, l.Out)
			dx := make([]float64, n*l.In)
			for i := range n {
				for j := range l.Out {
					g := dz[i*l.Out+j]
					db[j] += g
					for k := range l.In {
						dw[k*l.Out+j] += in[i*l.In+k] * g
						dx[i*l.In+k] += g * w[k*l.Out+j]
					}
				}
			}
			grads[pi], grads[pi+1] = dw, db
			dy = dx
		case model.Dropout:
			if mask, ok := masks[li]; ok {
				dx := make([]float64, len(dy))
				for i := range dx {
					dx[i] = dy[i] * mask[i]
				}
				dy = dx
			}
		}
	}
	return loss / float64(n), grads
}

// epoch trains one pass in order and returns the mean loss over its rows.
func (r *ref) epoch(data *backends.Batches, order []int32) float64 {
	var total float64
	for start := 0; start < len(order); start += r.batch {
		rows := order[start:min(start+r.batch, len(order))]
		loss, grads := r.gradients(data, rows)
		total += loss * float64(len(rows))
		r.update(grads)
		r.step++
	}
	return total / float64(len(order))
}

func (r *ref) update(grads [][]float64) {
	o := r.m.Optimizer
	t := float64(r.step + 1)
	for i, p := range r.params {
		m, v := r.state1[i], r.state2[i]
		for j := range p {
			g := grads[i][j] + o.WeightDecay*p[j]
			switch o.Kind {
			case model.SGD:
				if o.Momentum != 0 {
					m[j] = o.Momentum*m[j] + g
					g = m[j]
				}
				p[j] -= o.LR * g
			case model.Adam:
				m[j] = o.Beta1*m[j] + (1-o.Beta1)*g
				v[j] = o.Beta2*v[j] + (1-o.Beta2)*g*g
				mh := m[j] / (1 - math.Pow(o.Beta1, t))
				vh := v[j] / (1 - math.Pow(o.Beta2, t))
				p[j] -= o.LR * mh / (math.Sqrt(vh) + o.Eps)
			}
		}
	}
}
