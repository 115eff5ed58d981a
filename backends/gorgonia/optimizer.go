package gorgonia

import (
	"math"

	"github.com/xp-ml/xp/model"
)

// optimizer applies torch.optim's update rules in Go over the gradients the
// graph computed. gorgonia's solvers are not used: its Momentum solver keeps
// the learning rate inside the buffer (cw = momentum·cw - lr·g; w += cw), so
// it rounds differently from PyTorch's buf = momentum·buf + g; p -= lr·buf
// (and would diverge if the rate changed); its AdamSolver multiplies by
// reciprocal bias corrections and computes 1-β in float32; both also rescale
// the gradient by a batch size and work on dual values bound to the nodes.
// The point of the reference is PyTorch's semantics, so they are written
// out here.
//
// All arithmetic is float32, as PyTorch does it for float32 parameters:
// hyperparameters are rounded to float32 once (PyTorch casts the Python
// float alpha to the tensor's type), bias corrections are computed in
// float64 (PyTorch computes them on Python floats). Each product is
// converted explicitly to float32 before it is added, which forbids the Go
// compiler from fusing it into an FMA (it may on arm64), so the rounding is
// the same on every architecture.
type optimizer struct {
	kind          model.OptimizerKind
	o             model.Optimizer // for the schedule
	lr, wd        float32
	momentum      float32
	nesterov      bool
	alpha         float32 // rmsprop
	oneMinusAlpha float32
	beta1         float32 // adam
	beta2         float32
	oneMinusB1    float32 // 1-beta1, rounded from float64 as PyTorch does
	oneMinusB2    float32
	eps           float32
	beta1f64      float64 // for the bias corrections
	beta2f64      float64
	lrf64         float64
	first, second [][]float32 // sgd: momentum buffers; adam: first and second moments; rmsprop: squares and momentum
	steps         int         // updates done so far
}

func newOptimizer(o model.Optimizer, ps []*param) *optimizer {
	opt := &optimizer{
		kind:          o.Kind,
		o:             o,
		nesterov:      o.Nesterov,
		alpha:         float32(o.Alpha),
		oneMinusAlpha: float32(1 - o.Alpha),
		lr:            float32(o.LR),
		wd:            float32(o.WeightDecay),
		momentum:      float32(o.Momentum),
		beta1:         float32(o.Beta1),
		beta2:         float32(o.Beta2),
		oneMinusB1:    float32(1 - o.Beta1),
		oneMinusB2:    float32(1 - o.Beta2),
		eps:           float32(o.Eps),
		beta1f64:      o.Beta1,
		beta2f64:      o.Beta2,
		lrf64:         o.LR,
	}
	opt.first = make([][]float32, len(ps))
	if o.Kind == model.Adam || o.Kind == model.AdamW || o.Kind == model.RMSprop {
		opt.second = make([][]float32, len(ps))
	}
	for i, p := range ps {
		opt.first[i] = make([]float32, len(p.data))
		if opt.second != nil {
			opt.second[i] = make([]float32, len(p.data))
		}
	}
	return opt
}

// update applies one step, taken in the given epoch, to every parameter;
// grads[i] is the gradient of ps[i]. The gradient slices are scratch and
// may be modified.
func (o *optimizer) update(ps []*param, grads [][]float32, epoch int) {
	if o.o.ClipNorm > 0 {
		clipNorm(grads, o.o.ClipNorm)
	}
	o.lrf64 = o.o.StepLR(epoch, o.steps)
	o.lr = float32(o.lrf64)
	switch o.kind {
	case model.SGD:
		for i, p := range ps {
			o.sgd(p.data, grads[i], o.first[i])
		}
	case model.Adam:
		// torch.optim.Adam (no amsgrad, not maximize):
		//   step_size = lr / (1 - beta1^t)
		//   denom = sqrt(v) / sqrt(1 - beta2^t) + eps
		//   p += -step_size * (m / denom)
		t := float64(o.steps + 1)
		stepSize := float32(o.lrf64 / (1 - math.Pow(o.beta1f64, t)))
		bc2Sqrt := float32(math.Sqrt(1 - math.Pow(o.beta2f64, t)))
		for i, p := range ps {
			o.adam(p.data, grads[i], o.first[i], o.second[i], stepSize, bc2Sqrt)
		}
	case model.AdamW:
		// torch.optim.AdamW: param.mul_(1 - lr·wd), then Adam on the
		// untouched gradient.
		t := float64(o.steps + 1)
		stepSize := float32(o.lrf64 / (1 - math.Pow(o.beta1f64, t)))
		bc2Sqrt := float32(math.Sqrt(1 - math.Pow(o.beta2f64, t)))
		decay := float32(1 - o.lrf64*o.o.WeightDecay)
		wd := o.wd
		o.wd = 0
		for i, p := range ps {
			for j := range p.data {
				p.data[j] *= decay
			}
			o.adam(p.data, grads[i], o.first[i], o.second[i], stepSize, bc2Sqrt)
		}
		o.wd = wd
	case model.RMSprop:
		for i, p := range ps {
			o.rmsprop(p.data, grads[i], o.first[i], o.second[i])
		}
	}
	o.steps++
}

// clipNorm is torch.nn.utils.clip_grad_norm_ over all gradients together:
// the global L2 norm (summed here in float64), and the gradients scaled by
// max/(norm+1e-6) when that is below 1.
func clipNorm(grads [][]float32, maxNorm float64) {
	var sum float64
	for _, g := range grads {
		for _, v := range g {
			sum += float64(v) * float64(v)
		}
	}
	coef := maxNorm / (math.Sqrt(sum) + 1e-6)
	if coef >= 1 {
		return
	}
	c := float32(coef)
	for _, g := range grads {
		for j := range g {
			g[j] *= c
		}
	}
}

// rmsprop is torch.optim.RMSprop (not centered): g += wd·p;
// s = α·s + (1-α)·g·g; avg = sqrt(s) + eps; with momentum
// b = momentum·b + g/avg and p -= lr·b, else p -= lr·g/avg.
func (o *optimizer) rmsprop(p, g, sq, buf []float32) {
	for j := range p {
		gj := g[j]
		if o.wd != 0 {
			gj += float32(o.wd * p[j])
		}
		sq[j] = float32(o.alpha*sq[j]) + float32(float32(o.oneMinusAlpha*gj)*gj)
		avg := sqrt32(sq[j]) + o.eps
		if o.momentum > 0 {
			buf[j] = float32(o.momentum*buf[j]) + gj/avg
			p[j] -= float32(o.lr * buf[j])
		} else {
			p[j] -= float32(o.lr * (gj / avg))
		}
	}
}

// sgd is torch.optim.SGD with dampening 0:
// g += wd·p; buf = g on the first step, else buf = momentum·buf + g;
// p -= lr·buf, or with nesterov p -= lr·(g + momentum·buf).
func (o *optimizer) sgd(p, g, buf []float32) {
	for j := range p {
		gj := g[j]
		if o.wd != 0 {
			gj += float32(o.wd * p[j])
		}
		if o.momentum != 0 {
			if o.steps == 0 {
				buf[j] = gj
			} else {
				buf[j] = float32(o.momentum*buf[j]) + gj
			}
			if o.nesterov {
				gj += float32(o.momentum * buf[j])
			} else {
				gj = buf[j]
			}
		}
		p[j] -= float32(o.lr * gj)
	}
}

// adam is torch.optim.Adam's element update with L2 weight decay added to
// the gradient (not AdamW's decoupled decay).
func (o *optimizer) adam(p, g, m, v []float32, stepSize, bc2Sqrt float32) {
	for j := range p {
		gj := g[j]
		if o.wd != 0 {
			gj += float32(o.wd * p[j])
		}
		m[j] = float32(o.beta1*m[j]) + float32(o.oneMinusB1*gj)
		v[j] = float32(o.beta2*v[j]) + float32(float32(o.oneMinusB2*gj)*gj)
		denom := float32(sqrt32(v[j])/bc2Sqrt) + o.eps
		p[j] -= float32(stepSize * float32(m[j]/denom))
	}
}

// sqrt32 is the correctly rounded float32 square root (rounding the float64
// root once more cannot double-round wrongly for a square root).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
