package engine

import (
	"context"
	"errors"
	"fmt"
	"math"

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

	nparams, nstats               int
	params, grads, state1, state2 device.Buffer
	stats                         device.Buffer // batch norms' running statistics; nil without one
	input                         device.Buffer
	// Models with embeddings: the device's embedding kernels, the tables,
	// and the embedded input the first layer reads (batch×EmbeddedWidth)
	// with its gradient.
	embeds              []embed
	embedded, dembedded device.Buffer
	labels              device.Labels // classification heads
	targets             device.Buffer // the regression head: batch×outputs
	logits, dlogits     device.Buffer
	classWeights        device.Buffer // one per class; nil for the plain cross-entropy and regression
	predOut             device.Buffer // Predict's outputs of every row, read back once
	predHost            []float32     // the binary head's σ of every row, expanded by Predict
	losses              device.Buffer // one slot per batch of the epoch
	lossHost            []float32
	step                int // optimizer steps so far: the dropout counter; Adam's t is step+1
	epoch               int // epochs started so far: the schedule's epoch
	nonFinite           int // global step of the first non-finite batch loss, or -1
	closed              bool
	final               *model.Params // parameters read back at Close

	// A device that replays recorded steps (device.Replayer) gets the
	// epoch's plan, one StepPlan per batch, and replays the full batches.
	plan     []device.StepPlan
	replay   replayState
	recorded dataID // the training set the step was recorded on
}

// replayState is whether the trainer's device replays its steps: unknown
// until the first full batch is recorded.
type replayState int

const (
	replayUnknown replayState = iota
	replayYes
	replayNo
)

// replayChunk is how many steps one Replay runs: between chunks the
// trainer checks its context and reports progress.
const replayChunk = 256

var _ backends.Trainer = (*Trainer)(nil)

// Version is the full identity of what this trainer runs: the engine and
// the device it opened (which GEMM, which processor).
func (t *Trainer) Version() string { return Version + " " + t.dev.Version() }

// PCIBusID names the GPU the trainer runs on, on the PCI bus ("" on the
// CPU): where a run's system metrics read the GPU's figures.
func (t *Trainer) PCIBusID() string {
	if g, ok := t.dev.(interface{ PCIBusID() string }); ok {
		return g.PCIBusID()
	}
	return ""
}

// Epoch implements backends.Trainer. Everything a step needs was allocated
// by Compile; the only allocation here is growing the per-batch loss slots
// the first time an epoch has more batches than any before.
func (t *Trainer) Epoch(ctx context.Context, data *backends.Batches, order []int32, progress func(rows int)) (float64, error) {
	if t.closed {
		return 0, ErrClosed
	}
	if err := data.CheckFor(&t.m, true); err != nil {
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
	first := t.step
	epoch := t.epoch
	t.epoch++
	t.planEpoch(epoch, batches)
	done := 0
	if r, ok := t.dev.(device.Replayer); ok && t.replay != replayNo && len(order) >= batch {
		var err error
		if done, err = t.replayEpoch(ctx, r, data, order, progress); err != nil {
			return 0, err
		}
	}
	for bi := done; bi < batches; bi++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		start := bi * batch
		rows := order[start:min(start+batch, len(order))]
		if err := t.trainBatch(data, rows, &t.plan[bi]); err != nil {
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
	for i, l := range host {
		sum += float64(l)
		if t.nonFinite < 0 && (math.IsNaN(float64(l)) || math.IsInf(float64(l), 0)) {
			t.nonFinite = first + i
		}
	}
	return sum / float64(len(order)), nil
}

// FirstNonFinite implements backends.Trainer.
func (t *Trainer) FirstNonFinite() (int, bool) { return t.nonFinite, t.nonFinite >= 0 }

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

// planEpoch fills t.plan with the StepPlan of each of the epoch's batches:
// the values that change from step to step, computed here for every
// device so that a replayed step and a called one agree.
func (t *Trainer) planEpoch(epoch, batches int) {
	if cap(t.plan) < batches {
		t.plan = make([]device.StepPlan, batches)
	}
	t.plan = t.plan[:batches]
	o := t.m.Optimizer
	for i := range t.plan {
		step := t.step + i
		lr := o.StepLR(epoch, step)
		p := device.StepPlan{Slot: i, Step: step}
		switch o.Kind {
		case model.SGD:
			p.SGD = device.SGDStep{LR: float32(lr), Momentum: float32(o.Momentum), WeightDecay: float32(o.WeightDecay), Nesterov: o.Nesterov}
		case model.Adam:
			p.Adam = device.NewAdamStep(o, step+1, lr)
		case model.AdamW:
			p.Decay = float32(1 - lr*o.WeightDecay)
			p.Adam = device.NewAdamStep(o, step+1, lr)
		case model.RMSprop:
			p.RMSprop = device.NewRMSpropStep(o, lr)
		}
		t.plan[i] = p
	}
}

// replayEpoch runs the epoch's full batches on a device that replays
// recorded steps, recording the step first when the trainer has not yet,
// and returns how many batches it ran: 0 when the device does not replay
// this model's steps.
func (t *Trainer) replayEpoch(ctx context.Context, r device.Replayer, data *backends.Batches, order []int32, progress func(rows int)) (int, error) {
	batch := t.cfg.BatchSize
	full := len(order) / batch
	if err := r.PlanEpoch(order, batch, t.plan); err != nil {
		return 0, fmt.Errorf("engine: epoch: %w", err)
	}
	// A recorded step gathers from the arrays it was recorded with: other
	// data is recorded again.
	if id := dataIdentity(data); t.replay == replayYes && id != t.recorded {
		t.replay = replayUnknown
	}
	if t.replay == replayUnknown {
		t.recorded = dataIdentity(data)
		ok, err := r.Record(func() error { return t.stepKernels(data, order[:batch], &t.plan[0]) })
		if err != nil {
			return 0, fmt.Errorf("engine: epoch: record a step: %w", err)
		}
		t.replay = replayNo
		if !ok {
			return 0, nil
		}
		t.replay = replayYes
	}
	for done := 0; done < full; {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		k := min(replayChunk, full-done)
		if err := r.Replay(done, k); err != nil {
			return 0, fmt.Errorf("engine: epoch: steps %d to %d: %w", t.step, t.step+k, err)
		}
		t.step += k
		done += k
		if err := t.dev.Sync(); err != nil {
			return 0, fmt.Errorf("engine: epoch: steps to %d: %w", t.step, err)
		}
		if progress != nil {
			progress(done * batch)
		}
	}
	return full, nil
}

// dataID tells training sets apart by the arrays they hold.
type dataID struct {
	x, t *float32
	y    *int32
}

func dataIdentity(b *backends.Batches) dataID {
	var id dataID
	if len(b.X) > 0 {
		id.x = &b.X[0]
	}
	if len(b.T) > 0 {
		id.t = &b.T[0]
	}
	if len(b.Y) > 0 {
		id.y = &b.Y[0]
	}
	return id
}

// trainBatch is one optimizer step, p's: its kernels, then the device's
// Sync. It allocates nothing.
func (t *Trainer) trainBatch(data *backends.Batches, rows []int32, p *device.StepPlan) error {
	if err := t.stepKernels(data, rows, p); err != nil {
		return err
	}
	t.step++
	return t.dev.Sync()
}

// stepKernels makes the kernel calls of one optimizer step: assemble the
// batch, forward, fused softmax and cross-entropy, backward, update, with
// p's per-step values. A Replayer records them.
func (t *Trainer) stepKernels(data *backends.Batches, rows []int32, p *device.StepPlan) error {
	d, n, slot := t.dev, len(rows), p.Slot
	if t.m.Regression() {
		if err := d.GatherRows(t.input, data.X, data.D, rows); err != nil {
			return err
		}
		if err := d.GatherRows(t.targets, data.T, t.m.Outputs(), rows); err != nil {
			return err
		}
	} else if err := d.Gather(t.input, t.labels, data.X, data.Y, data.D, rows); err != nil {
		return err
	}
	t.embed(n)
	for i := range t.steps {
		s := &t.steps[i]
		switch s.kind {
		case model.Dense:
			s.forward(d, s.x, n)
		case model.BatchNorm:
			d.BatchNormTrain(s.x, s.pre, s.xhat, s.invstd, s.w, s.b, s.rm, s.rv, n, s.out, s.eps, s.momentum)
			d.Activate(s.y, s.pre, n*s.out, s.act)
		case model.Dropout:
			d.DropoutMask(s.mask, n*s.out, t.cfg.Seed, p.Step, s.layer, s.rate)
			d.Mul(s.y, s.x, s.mask, n*s.out)
		}
	}
	switch kind := t.m.LossKind(); {
	case t.m.Regression():
		d.RegressionLoss(t.logits, t.targets, n, t.m.Outputs(), kind, t.m.Loss.Delta, t.dlogits, t.losses, slot)
	case t.m.Binary():
		d.BinaryCrossEntropy(t.logits, t.labels, n, t.classWeights, t.dlogits, t.losses, slot)
	case t.classWeights == nil:
		d.SoftmaxCrossEntropy(t.logits, t.labels, n, t.m.Classes, t.dlogits, t.losses, slot)
	default:
		d.WeightedSoftmaxCrossEntropy(t.logits, t.labels, n, t.m.Classes, t.classWeights, t.m.Loss.LabelSmoothing, t.dlogits, t.losses, slot)
	}
	for i := len(t.steps) - 1; i >= 0; i-- {
		s := &t.steps[i]
		switch s.kind {
		case model.Dense:
			saved := s.y
			if s.pre != nil {
				saved = s.pre
			}
			d.ActivationBackward(s.dy, saved, s.db, n, s.out, s.act)
			d.Gemm(true, false, s.in, s.out, n, 1, s.x, s.dy, 0, s.dw)
			if s.dx != nil {
				d.Gemm(false, true, n, s.in, s.out, 1, s.dy, s.w, 0, s.dx)
			}
		case model.BatchNorm:
			saved := s.y
			if s.act == model.ActGELU {
				saved = s.pre
			}
			d.ActivationBackward(s.dy, saved, s.sums, n, s.out, s.act)
			d.BatchNormBackward(s.dy, s.xhat, s.invstd, s.w, s.dx, s.dw, s.db, n, s.out)
		case model.Dropout:
			if s.dx != nil {
				d.Mul(s.dx, s.dy, s.mask, n*s.out)
			}
		}
	}
	for _, e := range t.embeds {
		t.dev.EmbeddingScatterAdd(e.dtable, t.dembedded, t.input, n, t.m.Inputs, e.col, e.vocab, e.dim, t.m.EmbeddedWidth(), e.off)
	}
	t.update(p)
	return nil
}

// embed builds the embedded input of a batch of n rows from the raw one:
// the plain columns, then each table's rows.
func (t *Trainer) embed(n int) {
	if len(t.embeds) == 0 {
		return
	}
	width := t.m.EmbeddedWidth()
	if plain := t.m.PlainInputs(); plain > 0 {
		t.dev.CopyColumns(t.embedded, t.input, n, t.m.Inputs, width, plain)
	}
	for _, e := range t.embeds {
		t.dev.EmbeddingGather(t.embedded, t.input, e.table, n, t.m.Inputs, e.col, e.vocab, e.dim, width, e.off)
	}
}

// forward runs a dense step on input x: GEMM, then bias and activation
// fused in place, or, where the pre-activation must be kept, into pre and
// activated from there into y.
func (s *step) forward(d device.Device, x device.Buffer, n int) {
	if s.pre == nil {
		d.Gemm(false, false, n, s.out, s.in, 1, x, s.w, 0, s.y)
		d.BiasActivation(s.y, s.b, n, s.out, s.act)
		return
	}
	d.Gemm(false, false, n, s.out, s.in, 1, x, s.w, 0, s.pre)
	d.BiasActivation(s.pre, s.b, n, s.out, model.ActNone)
	d.Activate(s.y, s.pre, n*s.out, s.act)
}

// update clips the gradients when asked and applies one optimizer step
// with p's constants (the schedule's rate for its epoch and step).
func (t *Trainer) update(p *device.StepPlan) {
	o := t.m.Optimizer
	if o.ClipNorm > 0 {
		t.dev.ClipGradNorm(t.grads, t.nparams, o.ClipNorm)
	}
	switch o.Kind {
	case model.SGD:
		t.dev.SGD(t.params, t.grads, t.state1, t.nparams, p.SGD)
	case model.Adam:
		t.dev.Adam(t.params, t.grads, t.state1, t.state2, t.nparams, p.Adam)
	case model.AdamW:
		if o.WeightDecay != 0 {
			t.dev.Scale(t.params, t.nparams, p.Decay)
		}
		t.dev.Adam(t.params, t.grads, t.state1, t.state2, t.nparams, p.Adam)
	case model.RMSprop:
		t.dev.RMSprop(t.params, t.grads, t.state1, t.state2, t.nparams, p.RMSprop)
	}
}

// Predict implements backends.Trainer: batches in row order through the
// inference program (dropout is the identity), then softmax (multiclass),
// sigmoid (binary) or nothing (regression) into a device buffer of all the
// rows' outputs, read back once at the end: a device that queues work
// (CUDA) is waited for once, not once a batch.
func (t *Trainer) Predict(ctx context.Context, data *backends.Batches, probs []float32) error {
	if t.closed {
		return ErrClosed
	}
	if err := data.CheckFor(&t.m, false); err != nil {
		return fmt.Errorf("engine: predict: %w", err)
	}
	c, dim := t.m.PredictWidth(), t.m.Inputs
	if len(probs) != data.N*c {
		return fmt.Errorf("engine: predict: probs has %d values, want %d x %d", len(probs), data.N, c)
	}
	w := t.outputWidth()
	if err := t.growPredictions(data.N * w); err != nil {
		return fmt.Errorf("engine: predict: %w", err)
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
		t.embed(n)
		for i := range t.steps {
			s := &t.steps[i]
			switch s.kind {
			case model.Dense:
				s.forward(d, s.inferX, n)
			case model.BatchNorm:
				d.BatchNormInfer(s.inferX, s.pre, s.w, s.b, s.rm, s.rv, n, s.out, s.eps)
				d.Activate(s.y, s.pre, n*s.out, s.act)
			}
		}
		out, err := d.View(t.predOut, start*w, n*w)
		if err != nil {
			return fmt.Errorf("engine: predict: %w", err)
		}
		t.outputs(out, n)
		if err := d.Sync(); err != nil {
			return fmt.Errorf("engine: predict: %w", err)
		}
	}
	return t.readPredictions(probs, data.N)
}

// outputWidth is the floats a row's prediction takes on the device: the
// classes' probabilities, the binary head's σ, the regression's outputs.
func (t *Trainer) outputWidth() int {
	switch {
	case t.m.Regression():
		return t.m.Outputs()
	case t.m.Binary():
		return 1
	}
	return t.m.Classes
}

// growPredictions makes t.predOut hold at least n floats, and t.predHost
// the binary head's σ of as many rows.
func (t *Trainer) growPredictions(n int) error {
	if t.predOut == nil || t.predOut.Len() < n {
		b, err := t.dev.Alloc(max(n, 1))
		if err != nil {
			return fmt.Errorf("predictions of %d values: %w", n, err)
		}
		t.predOut = b
	}
	if t.m.Binary() && len(t.predHost) < n {
		t.predHost = make([]float32, n)
	}
	return nil
}

// outputs writes what Predict returns for a batch of n rows, from its
// logits, into out: the regression's values as they are, the binary head's
// σ, the classes' softmax.
func (t *Trainer) outputs(out device.Buffer, n int) {
	d := t.dev
	switch {
	case t.m.Regression():
		d.Activate(out, t.logits, n*t.m.Outputs(), model.ActNone)
	case t.m.Binary():
		d.Activate(out, t.logits, n, model.ActSigmoid)
	default:
		d.Softmax(out, t.logits, n, t.m.Classes)
	}
}

// readPredictions reads the outputs of n rows into dst, the binary head's
// σ expanded on the host into both classes' probabilities.
func (t *Trainer) readPredictions(dst []float32, n int) error {
	if !t.m.Binary() {
		if err := t.dev.Read(dst, t.predOut); err != nil {
			return fmt.Errorf("engine: predict: %w", err)
		}
		return nil
	}
	p := t.predHost[:n]
	if err := t.dev.Read(p, t.predOut); err != nil {
		return fmt.Errorf("engine: predict: %w", err)
	}
	for i, v := range p {
		dst[2*i], dst[2*i+1] = 1-v, v
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
	stats := make([]float32, t.nstats)
	if t.nstats > 0 {
		if err := t.dev.Read(stats, t.stats); err != nil {
			return nil, fmt.Errorf("engine: read batch norm statistics: %w", err)
		}
	}
	p := &model.Params{Tensors: make([]model.Tensor, len(t.slots))}
	for i, s := range t.slots {
		from := host
		if s.stat {
			from = stats
		}
		p.Tensors[i] = model.Tensor{
			Name:  s.name,
			Shape: append([]int(nil), s.shape...),
			Data:  append([]float32(nil), from[s.off:s.off+s.n]...),
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
