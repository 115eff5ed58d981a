package gorgonia

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/model"
)

// ErrClosed is returned by a Trainer used after Close.
var ErrClosed = errors.New("gorgonia: trainer closed")

// param is one parameter tensor, shared by every graph of a trainer: the
// graphs read value, the optimizer writes data (its backing array) in place.
type param struct {
	name  string
	shape []int
	data  []float32
	value *tensor.Dense
}

// Trainer trains one model through gorgonia graphs. It is not safe for
// concurrent use.
type Trainer struct {
	m      model.Model
	cfg    backends.Config
	params []*param
	// stats are the batch norms' running statistics, saved with the
	// parameters but updated from each batch rather than trained.
	stats []*param
	opt   *optimizer
	train map[int]*graph // by batch size
	infer map[int]*graph
	step  int // optimizer steps so far, across epochs: the dropout counter
	epoch int // epochs started so far: the schedule's epoch
	// nonFinite is the step of the first non-finite batch loss, or -1.
	nonFinite int
	grads     [][]float32
	closed    bool
}

var _ backends.Trainer = (*Trainer)(nil)

// newTrainer copies params (already checked against m) in layer order.
func newTrainer(m *model.Model, params *model.Params, cfg backends.Config) *Trainer {
	t := &Trainer{
		m:         *m,
		cfg:       cfg,
		train:     map[int]*graph{},
		infer:     map[int]*graph{},
		nonFinite: -1,
	}
	t.m.Layers = append([]model.Layer(nil), m.Layers...)
	t.m.Loss.ClassWeights = append([]float64(nil), m.Loss.ClassWeights...)
	t.m.Embeddings = append([]model.Embedding(nil), m.Embeddings...)
	for i, e := range m.Embeddings {
		name := model.EmbeddingName(i)
		data := append([]float32(nil), params.Get(name).Data...)
		t.params = append(t.params, &param{name: name, shape: []int{e.Vocab, e.Dim}, data: data,
			value: tensor.New(tensor.WithShape(e.Vocab, e.Dim), tensor.WithBacking(data))})
		t.grads = append(t.grads, make([]float32, len(data)))
	}
	for i, l := range m.Layers {
		if l.Kind == model.BatchNorm {
			for _, name := range []string{model.RunningMeanName(i), model.RunningVarName(i)} {
				data := append([]float32(nil), params.Get(name).Data...)
				t.stats = append(t.stats, &param{name: name, shape: []int{l.Out}, data: data,
					value: tensor.New(tensor.WithShape(l.Out), tensor.WithBacking(data))})
			}
		}
		if !l.HasParams() {
			continue
		}
		for _, name := range []string{model.WeightName(i), model.BiasName(i)} {
			src := params.Get(name)
			shape := []int{l.In, l.Out}
			if name == model.BiasName(i) || l.Kind == model.BatchNorm {
				shape = []int{l.Out}
			}
			data := append([]float32(nil), src.Data...)
			t.params = append(t.params, &param{
				name:  name,
				shape: shape,
				data:  data,
				value: tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)),
			})
			t.grads = append(t.grads, make([]float32, len(data)))
		}
	}
	t.opt = newOptimizer(m.Optimizer, t.params)
	return t
}

// Epoch trains one pass over data's rows in order, one optimizer step per
// batch, and returns the mean loss over those rows.
func (t *Trainer) Epoch(ctx context.Context, data *backends.Batches, order []int32, progress func(rows int)) (float64, error) {
	if t.closed {
		return 0, ErrClosed
	}
	if err := data.CheckFor(&t.m, true); err != nil {
		return 0, fmt.Errorf("gorgonia: epoch: %w", err)
	}
	for i, r := range order {
		if r < 0 || int(r) >= data.N {
			return 0, fmt.Errorf("gorgonia: epoch: order[%d] = %d, have %d rows", i, r, data.N)
		}
	}
	if len(order) == 0 {
		return 0, nil
	}
	var sum float64
	epoch := t.epoch
	t.epoch++
	for start := 0; start < len(order); start += t.cfg.BatchSize {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rows := order[start:min(start+t.cfg.BatchSize, len(order))]
		loss, err := t.trainBatch(data, rows, epoch)
		if err != nil {
			return 0, fmt.Errorf("gorgonia: epoch: step %d: %w", t.step, err)
		}
		if t.nonFinite < 0 && (math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0)) {
			t.nonFinite = t.step - 1
		}
		sum += float64(loss) * float64(len(rows))
		if progress != nil {
			progress(start + len(rows))
		}
	}
	return sum / float64(len(order)), nil
}

// trainBatch runs forward and backward on the given rows and applies one
// optimizer step; it returns the batch's mean loss.
func (t *Trainer) trainBatch(data *backends.Batches, rows []int32, epoch int) (float32, error) {
	gr, err := t.graph(len(rows), true)
	if err != nil {
		return 0, err
	}
	d, c := t.m.Inputs, t.m.Classes
	for i, r := range rows {
		copy(gr.x[i*d:(i+1)*d], data.X[int(r)*d:(int(r)+1)*d])
	}
	gr.load()
	if t.m.Regression() {
		w := t.m.Outputs()
		for i, r := range rows {
			copy(gr.targets[i*w:(i+1)*w], data.T[int(r)*w:(int(r)+1)*w])
		}
	} else {
		clear(gr.onehot)
		for i, r := range rows {
			gr.onehot[i*c+int(data.Y[r])] = 1
		}
		if !t.m.Loss.Plain() {
			t.fillTargets(gr.onehot, data, rows)
		}
	}
	for li, mask := range gr.masks {
		fillMask(mask, t.cfg.Seed, t.step, li, t.m.Layers[li].Rate)
	}
	if err := gr.run(); err != nil {
		return 0, err
	}
	loss, err := gr.lossValue()
	if err != nil {
		return 0, err
	}
	for i, p := range t.params {
		g, err := floats(gr.grads[i], len(p.data))
		if err != nil {
			return 0, fmt.Errorf("gradient of %s: %w", p.name, err)
		}
		// The optimizer may modify its gradients; keep the graph's own.
		copy(t.grads[i], g)
	}
	if err := t.updateStats(gr, len(rows)); err != nil {
		return 0, err
	}
	t.opt.update(t.params, t.grads, epoch)
	t.step++
	return loss, nil
}

// fillTargets replaces the one-hot rows with the targets of model.Loss's
// weighted, smoothed cross-entropy: the graph takes the mean over the batch
// of -Σ_c target·log p_c, so row i's target is
// ((1-ε)·w[y_i]·[c=y_i] + ε/C·w[c]) · batch/Σ_i w[y_i]. A batch whose labels
// all weigh 0 gets zero targets: loss and gradient 0.
func (t *Trainer) fillTargets(targets []float32, data *backends.Batches, rows []int32) {
	c := t.m.Classes
	weight := func(k int) float64 {
		if len(t.m.Loss.ClassWeights) == 0 {
			return 1
		}
		return t.m.Loss.ClassWeights[k]
	}
	var sumY float64
	for _, r := range rows {
		sumY += float64(float32(weight(int(data.Y[r]))))
	}
	clear(targets)
	if sumY == 0 {
		return
	}
	eps := t.m.Loss.LabelSmoothing
	scale := float64(len(rows)) / sumY
	for i, r := range rows {
		y := int(data.Y[r])
		for k := range c {
			v := eps / float64(c) * float64(float32(weight(k)))
			if k == y {
				v += (1 - eps) * float64(float32(weight(y)))
			}
			targets[i*c+k] = float32(v * scale)
		}
	}
}

// fillMask writes inverted dropout's mask for one layer: unit u of batch
// row r is kept, scaled by 1/(1-rate), when model.Keep says so for index
// r*width+u. Every backend draws the same mask from the same counters.
func fillMask(mask []float32, seed uint64, step, layer int, rate float64) {
	scale := float32(1 / (1 - rate))
	for i := range mask {
		if model.Keep(seed, step, layer, i, rate) {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
	}
}

// Predict writes the probabilities (softmax; the binary head's [1-σ, σ])
// or the regression head's predictions of data's rows into probs, without
// dropout, computed batch by batch.
func (t *Trainer) Predict(ctx context.Context, data *backends.Batches, probs []float32) error {
	if t.closed {
		return ErrClosed
	}
	if err := data.CheckFor(&t.m, false); err != nil {
		return fmt.Errorf("gorgonia: predict: %w", err)
	}
	d, c := t.m.Inputs, t.m.PredictWidth()
	if len(probs) != data.N*c {
		return fmt.Errorf("gorgonia: predict: probs has %d values, want %d x %d", len(probs), data.N, c)
	}
	for start := 0; start < data.N; start += t.cfg.BatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(t.cfg.BatchSize, data.N-start)
		gr, err := t.graph(n, false)
		if err != nil {
			return fmt.Errorf("gorgonia: predict: %w", err)
		}
		copy(gr.x, data.X[start*d:(start+n)*d])
		gr.load()
		if err := gr.run(); err != nil {
			return fmt.Errorf("gorgonia: predict: %w", err)
		}
		p, err := floats(gr.probs, n*c)
		if err != nil {
			return fmt.Errorf("gorgonia: predict: %w", err)
		}
		copy(probs[start*c:(start+n)*c], p)
	}
	return nil
}

// graph returns the cached graph for a batch size, building it the first
// time that size is seen.
func (t *Trainer) graph(batch int, train bool) (*graph, error) {
	cache := t.infer
	if train {
		cache = t.train
	}
	if gr, ok := cache[batch]; ok {
		return gr, nil
	}
	gr, err := buildGraph(&t.m, t.params, t.stats, batch, train)
	if err != nil {
		return nil, err
	}
	cache[batch] = gr
	return gr, nil
}

// Params returns a copy of the current parameters: the embedding tables,
// then in layer order, the batch norms' running statistics after their
// weight and bias.
func (t *Trainer) Params() *model.Params {
	p := &model.Params{}
	add := func(q *param) {
		p.Tensors = append(p.Tensors, model.Tensor{
			Name:  q.name,
			Shape: append([]int(nil), q.shape...),
			Data:  append([]float32(nil), q.data...),
		})
	}
	si, tables := 0, len(t.m.Embeddings)
	for i, q := range t.params {
		add(q)
		if i >= tables && (i-tables)%2 == 1 && si < len(t.stats) && t.stats[si].name == runningMeanOf(q.name) {
			add(t.stats[si])
			add(t.stats[si+1])
			si += 2
		}
	}
	return p
}

// runningMeanOf names the running mean that follows a batch norm's bias.
func runningMeanOf(bias string) string {
	return bias[:len(bias)-len("bias")] + "running_mean"
}

// updateStats moves each batch norm's running statistics towards the
// batch's, as BatchNorm1d: mean by momentum, and the unbiased variance
// (0 for a batch of one row, which PyTorch refuses).
func (t *Trainer) updateStats(gr *graph, rows int) error {
	si := 0
	for i, l := range t.m.Layers {
		if l.Kind != model.BatchNorm {
			continue
		}
		mean, err := floats(*gr.bnMean[i], l.Out)
		if err != nil {
			return fmt.Errorf("batch norm %d mean: %w", i, err)
		}
		vari, err := floats(*gr.bnVar[i], l.Out)
		if err != nil {
			return fmt.Errorf("batch norm %d variance: %w", i, err)
		}
		rm, rv := t.stats[si].data, t.stats[si+1].data
		si += 2
		m := float32(l.Momentum)
		n := float64(rows)
		for j := range rm {
			unbiased := 0.0
			if rows > 1 {
				unbiased = float64(vari[j]) * n / (n - 1)
			}
			rm[j] = float32((1-m)*rm[j]) + float32(m*mean[j])
			rv[j] = float32((1-m)*rv[j]) + float32(m*float32(unbiased))
		}
	}
	return nil
}

// FirstNonFinite implements backends.Trainer.
func (t *Trainer) FirstNonFinite() (int, bool) { return t.nonFinite, t.nonFinite >= 0 }

// Close releases the graphs. The trainer cannot be used afterwards, but
// Params still returns the trained parameters.
func (t *Trainer) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	var errs []error
	for _, cache := range []map[int]*graph{t.train, t.infer} {
		for _, gr := range cache {
			if err := gr.close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	t.train, t.infer = nil, nil
	return errors.Join(errs...)
}
