package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// Trainer is a compiled model on one device. It is not safe for concurrent
// use.
type Trainer struct {
	m     model.Model
	cfg   backends.Config
	dev   device.Device
	steps []step
	slots []slot

	nparams                       int
	params, grads, state1, state2 device.Buffer
	input                         device.Buffer
	labels                        device.Labels
	logits, dlogits               device.Buffer
	losses                        device.Buffer // one slot per batch of the epoch
	lossHost                      []float32
	step                          int // optimizer steps so far: the dropout counter; Adam's t is step+1
	closed                        bool
	final                         *model.Params // parameters read back at Close
}

var _ backends.Trainer = (*Trainer)(nil)

// Version is the full identity of what this trainer runs: the engine and
// the device it opened (which GEMM, which processor).
func (t *Trainer) Version() string { return Version + " " + t.dev.Version() }

// Epoch implements backends.Trainer. Everything a step needs was allocated
// by Compile; the only allocation here is growing the per-batch loss slots
// the first time an epoch has more batches than any before.
func (t *Trainer) Epoch(ctx context.Context, data *backends.Batches, order []int32, progress func(rows int)) (float64, error) {
	if t.closed {
		return 0, ErrClosed
	}
	if err := t.checkData(data, true); err != nil {
		return 0, fmt.Errorf("engine: epoch: %w", err)
	}
	for i, r := range order {
		if r < 0 || int(r) >= data.N {
			return 0, fmt.Errorf("engine: epoch: order[%d] = %d, have %d rows", i, r, data.N)
		}
	}
	if len(order) == 0 {
		return 0, nil
	}
	batch := t.cfg.BatchSize
	batches := (len(order) + batch - 1) / batch
	if err := t.growLosses(batches); err != nil {
		return 0, fmt.Errorf("engine: epoch: %w", err)
	}
	for bi := range batches {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		start := bi * batch
		rows := order[start:min(start+batch, len(order))]
		if err := t.trainBatch(data, rows, bi); err != nil {
			return 0, fmt.Errorf("engine: epoch: step %d: %w", t.step, err)
		}
		if progress != nil {
			progress(start + len(rows))
		}
	}
	host := t.lossHost[:batches]
	if err := t.dev.Read(host, t.losses); err != nil {
		return 0, fmt.Errorf("engine: epoch: read losses: %w", err)
	}
	var sum float64
	for _, l := range host {
		sum += float64(l)
	}
	return sum / float64(len(order)), nil
}

func (t *Trainer) growLosses(batches int) error {
	if t.losses != nil && t.losses.Len() >= batches {
		return nil
	}
	b, err := t.dev.Alloc(batches)
	if err != nil {
		return fmt.Errorf("loss slots: %w", err)
	}
	t.losses, t.lossHost = b, make([]float32, batches)
	return nil
}

// trainBatch is one optimizer step: assemble the batch, forward, fused
// softmax and cross-entropy, backward, update. It allocates nothing.
func (t *Trainer) trainBatch(data *backends.Batches, rows []int32, slot int) error {
	d, n := t.dev, len(rows)
	if err := d.Gather(t.input, t.labels, data.X, data.Y, data.D, rows); err != nil {
		return err
	}
	for i := range t.steps {
		s := &t.steps[i]
		switch s.kind {
		case model.Dense:
			d.Gemm(false, false, n, s.out, s.in, 1, s.x, s.w, 0, s.y)
			d.BiasActivation(s.y, s.b, n, s.out, s.act)
		case model.Dropout:
			d.DropoutMask(s.mask, n*s.out, t.cfg.Seed, t.step, s.layer, s.rate)
			d.Mul(s.y, s.x, s.mask, n*s.out)
		}
	}
	d.SoftmaxCrossEntropy(t.logits, t.labels, n, t.m.Classes, t.dlogits, t.losses, slot)
	for i := len(t.steps) - 1; i >= 0; i-- {
		s := &t.steps[i]
		switch s.kind {
		case model.Dense:
			d.ActivationBackward(s.dy, s.y, s.db, n, s.out, s.act)
			d.Gemm(true, false, s.in, s.out, n, 1, s.x, s.dy, 0, s.dw)
			if s.dx != nil {
				d.Gemm(false, true, n, s.in, s.out, 1, s.dy, s.w, 0, s.dx)
			}
		case model.Dropout:
			if s.dx != nil {
				d.Mul(s.dx, s.dy, s.mask, n*s.out)
			}
		}
	}
	t.update()
	t.step++
	return d.Sync()
}

func (t *Trainer) update() {
	o := t.m.Optimizer
	switch o.Kind {
	case model.SGD:
		t.dev.SGD(t.params, t.grads, t.state1, t.nparams, device.SGDStep{
			LR: float32(o.LR), Momentum: float32(o.Momentum), WeightDecay: float32(o.WeightDecay),
		})
	case model.Adam:
		t.dev.Adam(t.params, t.grads, t.state1, t.state2, t.nparams, device.NewAdamStep(o, t.step+1))
	}
}

// Predict implements backends.Trainer: batches in row order through the
// inference program (dropout is the identity), softmax into probs.
func (t *Trainer) Predict(ctx context.Context, data *backends.Batches, probs []float32) error {
	if t.closed {
		return ErrClosed
	}
	if err := t.checkData(data, false); err != nil {
		return fmt.Errorf("engine: predict: %w", err)
	}
	c, dim := t.m.Classes, t.m.Inputs
	if len(probs) != data.N*c {
		return fmt.Errorf("engine: predict: probs has %d values, want %d x %d", len(probs), data.N, c)
	}
	d := t.dev
	for start := 0; start < data.N; start += t.cfg.BatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(t.cfg.BatchSize, data.N-start)
		if err := d.Write(t.input, data.X[start*dim:(start+n)*dim]); err != nil {
			return fmt.Errorf("engine: predict: %w", err)
		}
		for i := range t.steps {
			s := &t.steps[i]
			if s.kind == model.Dense {
				d.Gemm(false, false, n, s.out, s.in, 1, s.inferX, s.w, 0, s.y)
				d.BiasActivation(s.y, s.b, n, s.out, s.act)
			}
		}
		// dlogits is free outside a training step: the probabilities go there.
		d.Softmax(t.dlogits, t.logits, n, c)
		if err := d.Read(probs[start*c:(start+n)*c], t.dlogits); err != nil {
			return fmt.Errorf("engine: predict: %w", err)
		}
		if err := d.Sync(); err != nil {
			return fmt.Errorf("engine: predict: %w", err)
		}
	}
	return nil
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

// Params implements backends.Trainer. After Close it returns the
// parameters as they were when the trainer closed.
func (t *Trainer) Params() *model.Params {
	if t.closed {
		return t.final.Clone()
	}
	p, err := t.readParams()
	if err != nil {
		// The CPU device cannot fail to read; a device that can has
		// already reported the failure from Sync during training.
		return &model.Params{}
	}
	return p
}

func (t *Trainer) readParams() (*model.Params, error) {
	host := make([]float32, t.nparams)
	if err := t.dev.Read(host, t.params); err != nil {
		return nil, fmt.Errorf("engine: read params: %w", err)
	}
	p := &model.Params{Tensors: make([]model.Tensor, len(t.slots))}
	for i, s := range t.slots {
		p.Tensors[i] = model.Tensor{
			Name:  s.name,
			Shape: append([]int(nil), s.shape...),
			Data:  append([]float32(nil), host[s.off:s.off+s.n]...),
		}
	}
	return p, nil
}

// Close reads the parameters back and releases the device.
func (t *Trainer) Close() error {
	if t.closed {
		return nil
	}
	p, readErr := t.readParams()
	if readErr != nil {
		p = &model.Params{}
	}
	t.final, t.closed = p, true
	return errors.Join(readErr, t.dev.Close())
}
