package engine

import (
	"fmt"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// step is one layer of the compiled program, with every buffer it touches
// resolved at compile time, so running it is a fixed sequence of kernel
// calls with no decisions left but the batch's row count.
type step struct {
	kind    model.LayerKind
	layer   int // index in Model.Layers: the dropout counter's layer
	in, out int
	act     model.Activation
	rate    float64

	x, y   device.Buffer // input and output activations, batch×width
	dx, dy device.Buffer // gradients at them; dx is nil when nothing below needs it
	// inferX is the input at inference, where dropout is the identity and
	// its buffer is skipped.
	inferX device.Buffer

	w, b, dw, db device.Buffer // dense: views into the flat parameter and gradient buffers
	// pre is the pre-activation, kept for activations whose derivative
	// needs it (GELU); nil otherwise, when y is activated in place.
	pre  device.Buffer
	mask device.Buffer // dropout: 1/(1-rate) or 0 per unit of the batch
	// batch norm: its running statistics (views into the stats buffer),
	// x̂ and 1/std saved by the forward pass, and where the activation's
	// backward pass puts the column sums nobody reads.
	rm, rv, xhat, invstd, sums device.Buffer
	eps, momentum              float64
}

// embed is one embedding table of the compiled program: where its index
// is in the raw input, where its rows go in the embedded input, and its
// views into the flat parameter and gradient buffers.
type embed struct {
	col, vocab, dim, off int
	table, dtable        device.Buffer
}

// slot places one parameter tensor in the flat buffers: in params (and
// grads and optimizer state), or, for a batch norm's running statistics,
// which are saved but not trained, in stats.
type slot struct {
	name  string
	shape []int
	off   int
	n     int
	stat  bool
}

// align keeps every tensor on a 64-byte boundary (16 floats): rows of a
// weight start on a cache line on the CPU and meet a GPU's alignment. The
// padding stays zero through every optimizer step (zero gradient, zero
// state, zero parameter).
const align = 16

func roundUp(n int) int { return (n + align - 1) / align * align }

// compile lays out the program over buffers sized for cfg.BatchSize and
// copies params in. All allocation happens here.
func compile(dev device.Device, m *model.Model, params *model.Params, cfg backends.Config) (*Trainer, error) {
	t := &Trainer{m: *m, cfg: cfg, dev: dev, nonFinite: -1}
	t.m.Layers = append([]model.Layer(nil), m.Layers...)
	t.m.Loss.ClassWeights = append([]float64(nil), m.Loss.ClassWeights...)
	if t.cfg.Threads == 0 {
		t.cfg.Threads = 1
	}
	batch := cfg.BatchSize

	// One flat buffer each for parameters, gradients and optimizer state,
	// so an optimizer step is one kernel over all of them: the embedding
	// tables are slots like the layers', first, trained and saved with
	// them.
	total, stats := 0, 0
	t.m.Embeddings = append([]model.Embedding(nil), m.Embeddings...)
	for i, e := range m.Embeddings {
		t.slots = append(t.slots, slot{name: model.EmbeddingName(i), shape: []int{e.Vocab, e.Dim}, off: total, n: e.Vocab * e.Dim})
		total += roundUp(e.Vocab * e.Dim)
	}
	for i, l := range m.Layers {
		switch l.Kind {
		case model.Dense:
			t.slots = append(t.slots,
				slot{name: model.WeightName(i), shape: []int{l.In, l.Out}, off: total, n: l.In * l.Out})
			total += roundUp(l.In * l.Out)
		case model.BatchNorm:
			t.slots = append(t.slots, slot{name: model.WeightName(i), shape: []int{l.Out}, off: total, n: l.Out})
			total += roundUp(l.Out)
		default:
			continue
		}
		t.slots = append(t.slots, slot{name: model.BiasName(i), shape: []int{l.Out}, off: total, n: l.Out})
		total += roundUp(l.Out)
		if l.Kind == model.BatchNorm {
			t.slots = append(t.slots,
				slot{name: model.RunningMeanName(i), shape: []int{l.Out}, off: stats, n: l.Out, stat: true},
				slot{name: model.RunningVarName(i), shape: []int{l.Out}, off: stats + roundUp(l.Out), n: l.Out, stat: true})
			stats += 2 * roundUp(l.Out)
		}
	}
	t.nparams, t.nstats = total, stats
	var err error
	alloc := func(n int) device.Buffer {
		if err != nil {
			return nil
		}
		var b device.Buffer
		b, err = dev.Alloc(n)
		return b
	}
	view := func(b device.Buffer, s slot) device.Buffer {
		if err != nil {
			return nil
		}
		var v device.Buffer
		v, err = dev.View(b, s.off, s.n)
		return v
	}
	t.params, t.grads = alloc(total), alloc(total)
	if stats > 0 {
		t.stats = alloc(stats)
	}
	switch m.Optimizer.Kind {
	case model.SGD:
		if m.Optimizer.Momentum != 0 {
			t.state1 = alloc(total)
		}
	case model.Adam, model.AdamW:
		t.state1, t.state2 = alloc(total), alloc(total)
	case model.RMSprop:
		t.state1 = alloc(total)
		if m.Optimizer.Momentum > 0 {
			t.state2 = alloc(total)
		}
	}
	if t.state1 == nil {
		t.state1 = t.grads // SGD without momentum never touches it
	}
	if t.state2 == nil {
		t.state2 = t.state1
	}

	t.input = alloc(batch * m.Inputs)
	x, dx, inferX := t.input, device.Buffer(nil), t.input
	si := 0
	if len(m.Embeddings) > 0 {
		// The first layer reads the embedded input, and with it its
		// gradient, from which the tables' gradients are gathered.
		width := m.EmbeddedWidth()
		t.embedded, t.dembedded = alloc(batch*width), alloc(batch*width)
		x, dx, inferX = t.embedded, t.dembedded, t.embedded
		off := m.PlainInputs()
		for i, e := range m.Embeddings {
			t.embeds = append(t.embeds, embed{col: e.Column, vocab: e.Vocab, dim: e.Dim, off: off,
				table: view(t.params, t.slots[i]), dtable: view(t.grads, t.slots[i])})
			off += e.Dim
		}
		si = len(m.Embeddings)
	}
	if m.Regression() {
		t.targets = alloc(batch * m.Outputs())
	} else if err == nil {
		t.labels, err = dev.AllocLabels(batch)
	}
	// Which layer outputs need a gradient: those at or above the first
	// layer with parameters (Validate guarantees a dense one). Below it
	// there is nothing to train, so the input, and a dropout on it, get
	// none; unless there are embeddings, trained from the gradient at the
	// input: then every layer's.
	firstDense := 0
	for i, l := range m.Layers {
		if l.HasParams() {
			firstDense = i
			break
		}
	}
	if len(m.Embeddings) > 0 {
		firstDense = -1
	}
	for i, l := range m.Layers {
		s := step{kind: l.Kind, layer: i, in: l.In, out: l.Out, act: l.Activation, rate: l.Rate, x: x, dx: dx, inferX: inferX,
			eps: l.Eps, momentum: l.Momentum}
		switch {
		case l.Kind == model.Dropout && l.Rate == 0:
			// The identity: later steps read its input directly.
			continue
		case l.Kind == model.Dropout:
			s.y, s.mask = alloc(batch*l.Out), alloc(batch*l.Out)
			if i > firstDense {
				s.dy = alloc(batch * l.Out)
			}
		default:
			s.y, s.dy = alloc(batch*l.Out), alloc(batch*l.Out)
			if l.Activation == model.ActGELU {
				s.pre = alloc(batch * l.Out)
			}
			if l.Kind == model.BatchNorm {
				s.pre, s.xhat, s.invstd, s.sums = alloc(batch*l.Out), alloc(batch*l.Out), alloc(l.Out), alloc(l.Out)
			}
			w, b := t.slots[si], t.slots[si+1]
			si += 2
			s.w, s.b, s.dw, s.db = view(t.params, w), view(t.params, b), view(t.grads, w), view(t.grads, b)
			if l.Kind == model.BatchNorm {
				s.rm, s.rv = view(t.stats, t.slots[si]), view(t.stats, t.slots[si+1])
				si += 2
			}
			inferX = s.y
		}
		t.steps = append(t.steps, s)
		x, dx = s.y, s.dy
	}
	if err != nil {
		return nil, err
	}
	last := &t.steps[len(t.steps)-1]
	t.logits, t.dlogits = last.y, last.dy

	if !m.Loss.Plain() || m.Binary() {
		// The binary loss always reads its two weights: ones without
		// class weights.
		w := make([]float32, m.Classes)
		for c := range w {
			w[c] = 1
			if len(m.Loss.ClassWeights) > 0 {
				w[c] = float32(m.Loss.ClassWeights[c])
			}
		}
		if t.classWeights, err = dev.Alloc(m.Classes); err != nil {
			return nil, err
		}
		if err := dev.Write(t.classWeights, w); err != nil {
			return nil, fmt.Errorf("copy class weights to %s: %w", dev.Name(), err)
		}
	}
	if err := t.writeSlots(params, "", false, t.params); err != nil {
		return nil, err
	}
	if err := t.writeSlots(params, "", true, t.stats); err != nil {
		return nil, err
	}
	return t, nil
}

// writeSlots copies the tensors named prefix+slot name from p into dst:
// the trained slots (stat false) into the params buffer or an optimizer
// state buffer laid out like it, the running statistics (stat true) into
// the stats buffer.
func (t *Trainer) writeSlots(p *model.Params, prefix string, stat bool, dst device.Buffer) error {
	n := t.nparams
	if stat {
		n = t.nstats
	}
	if n == 0 {
		return nil
	}
	host := make([]float32, n)
	for _, s := range t.slots {
		if s.stat != stat {
			continue
		}
		src := p.Get(prefix + s.name)
		if src == nil || len(src.Data) != s.n {
			return fmt.Errorf("params: %s%s missing or mis-sized", prefix, s.name)
		}
		copy(host[s.off:s.off+s.n], src.Data)
	}
	if err := t.dev.Write(dst, host); err != nil {
		return fmt.Errorf("copy params to %s: %w", t.dev.Name(), err)
	}
	return nil
}
