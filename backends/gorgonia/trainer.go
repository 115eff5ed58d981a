package gorgonia

import (
	"context"
	"errors"
	"fmt"

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
	opt    *optimizer
	train  map[int]*graph // by batch size
	infer  map[int]*graph
	step   int // optimizer steps so far, across epochs: the dropout counter
	grads  [][]float32
	closed bool
}

var _ backends.Trainer = (*Trainer)(nil)

// newTrainer copies params (already checked against m) in layer order.
func newTrainer(m *model.Model, params *model.Params, cfg backends.Config) *Trainer {
	t := &Trainer{
		m:     *m,
		cfg:   cfg,
		train: map[int]*graph{},
		infer: map[int]*graph{},
	}
	t.m.Layers = append([]model.Layer(nil), m.Layers...)
	for i, l := range m.Layers {
		if l.Kind != model.Dense {
			continue
		}
		for _, name := range []string{model.WeightName(i), model.BiasName(i)} {
			src := params.Get(name)
			shape := []int{l.In, l.Out}
			if name == model.BiasName(i) {
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
	if err := t.checkData(data, true); err != nil {
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
	for start := 0; start < len(order); start += t.cfg.BatchSize {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rows := order[start:min(start+t.cfg.BatchSize, len(order))]
		loss, err := t.trainBatch(data, rows)
		if err != nil {
			return 0, fmt.Errorf("gorgonia: epoch: step %d: %w", t.step, err)
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
func (t *Trainer) trainBatch(data *backends.Batches, rows []int32) (float32, error) {
	gr, err := t.graph(len(rows), true)
	if err != nil {
		return 0, err
	}
	d, c := t.m.Inputs, t.m.Classes
	clear(gr.onehot)
	for i, r := range rows {
		copy(gr.x[i*d:(i+1)*d], data.X[int(r)*d:(int(r)+1)*d])
		gr.onehot[i*c+int(data.Y[r])] = 1
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
	t.opt.update(t.params, t.grads)
	t.step++
	return loss, nil
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

// Predict writes the softmax probabilities of data's rows into probs,
// without dropout, computed batch by batch.
func (t *Trainer) Predict(ctx context.Context, data *backends.Batches, probs []float32) error {
	if t.closed {
		return ErrClosed
	}
	if err := t.checkData(data, false); err != nil {
		return fmt.Errorf("gorgonia: predict: %w", err)
	}
	d, c := t.m.Inputs, t.m.Classes
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
	gr, err := buildGraph(&t.m, t.params, batch, train)
	if err != nil {
		return nil, err
	}
	cache[batch] = gr
	return gr, nil
}

// checkData reports a matrix that does not fit the model; labels are only
// needed for training.
func (t *Trainer) checkData(data *backends.Batches, labels bool) error {
	if data == nil {
		return errors.New("no data")
	}
	if data.D != t.m.Inputs {
		return fmt.Errorf("data has %d features, model takes %d", data.D, t.m.Inputs)
	}
	if data.N < 0 || len(data.X) != data.N*data.D {
		return fmt.Errorf("data has %d values for %d x %d", len(data.X), data.N, data.D)
	}
	if !labels {
		return nil
	}
	if len(data.Y) != data.N {
		return fmt.Errorf("data has %d labels for %d rows", len(data.Y), data.N)
	}
	for i, y := range data.Y {
		if y < 0 || int(y) >= t.m.Classes {
			return fmt.Errorf("row %d: label %d, model has %d classes", i, y, t.m.Classes)
		}
	}
	return nil
}

// Params returns a copy of the current parameters, in layer order.
func (t *Trainer) Params() *model.Params {
	p := &model.Params{Tensors: make([]model.Tensor, len(t.params))}
	for i, q := range t.params {
		p.Tensors[i] = model.Tensor{
			Name:  q.name,
			Shape: append([]int(nil), q.shape...),
			Data:  append([]float32(nil), q.data...),
		}
	}
	return p
}

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
