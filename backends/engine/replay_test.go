package engine_test

import (
	"fmt"
	"testing"

	"github.com/xp-ml/xp/backends"
	"github.com/xp-ml/xp/backends/conformance"
	"github.com/xp-ml/xp/backends/engine"
	"github.com/xp-ml/xp/backends/engine/cpu"
	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// replayCPU is the CPU device made a device.Replayer the way the CUDA
// device is one: Record keeps each kernel call of a step, with the values
// that change from step to step (rows, loss slot, dropout counter,
// optimizer constants) taken from the plan when replayed, and checks that
// the recorded call passed plan step 0's. Since the arithmetic is the CPU
// device's either way, a replayed epoch must give the bits of a called
// one: the test of the engine's replay path on machines without a GPU.
type replayCPU struct {
	device.Device
	recording bool
	calls     []func(p *device.StepPlan, rows []int32)
	order     []int32
	batch     int
	plan      []device.StepPlan
	err       error
	replays   int // steps replayed, so a test can tell the path ran
}

var _ device.Replayer = (*replayCPU)(nil)

func (d *replayCPU) PlanEpoch(order []int32, batch int, plan []device.StepPlan) error {
	d.order, d.batch, d.plan = order, batch, plan
	return nil
}

func (d *replayCPU) Record(step func() error) (bool, error) {
	d.recording, d.calls, d.err = true, nil, nil
	err := step()
	d.recording = false
	if err == nil {
		err = d.err
	}
	return err == nil, err
}

func (d *replayCPU) Replay(first, k int) error {
	for s := first; s < first+k; s++ {
		rows := d.order[s*d.batch : (s+1)*d.batch]
		for _, c := range d.calls {
			c(&d.plan[s], rows)
		}
		d.replays++
	}
	return nil
}

// record keeps call when recording and reports whether it did; check
// notes a per-step value that is not plan step 0's.
func (d *replayCPU) record(call func(p *device.StepPlan, rows []int32)) bool {
	if d.recording {
		d.calls = append(d.calls, call)
	}
	return d.recording
}

func (d *replayCPU) check(what string, got, want any) {
	if d.recording && got != want && d.err == nil {
		d.err = fmt.Errorf("record: %s is %v, plan step 0 says %v", what, got, want)
	}
}

func (d *replayCPU) Gather(dst device.Buffer, labels device.Labels, src []float32, srcLabels []int32, width int, rows []int32) error {
	if d.recording {
		for i, r := range rows {
			d.check("a row", r, d.order[i])
		}
	}
	if d.record(func(_ *device.StepPlan, rows []int32) { d.Device.Gather(dst, labels, src, srcLabels, width, rows) }) {
		return nil
	}
	return d.Device.Gather(dst, labels, src, srcLabels, width, rows)
}

func (d *replayCPU) GatherRows(dst device.Buffer, src []float32, width int, rows []int32) error {
	if d.record(func(_ *device.StepPlan, rows []int32) { d.Device.GatherRows(dst, src, width, rows) }) {
		return nil
	}
	return d.Device.GatherRows(dst, src, width, rows)
}

func (d *replayCPU) Gemm(transA, transB bool, m, n, k int, alpha float32, a, b device.Buffer, beta float32, c device.Buffer) {
	if !d.record(func(*device.StepPlan, []int32) { d.Device.Gemm(transA, transB, m, n, k, alpha, a, b, beta, c) }) {
		d.Device.Gemm(transA, transB, m, n, k, alpha, a, b, beta, c)
	}
}

func (d *replayCPU) BiasActivation(y, bias device.Buffer, rows, cols int, act model.Activation) {
	if !d.record(func(*device.StepPlan, []int32) { d.Device.BiasActivation(y, bias, rows, cols, act) }) {
		d.Device.BiasActivation(y, bias, rows, cols, act)
	}
}

func (d *replayCPU) ActivationBackward(dy, y, dbias device.Buffer, rows, cols int, act model.Activation) {
	if !d.record(func(*device.StepPlan, []int32) { d.Device.ActivationBackward(dy, y, dbias, rows, cols, act) }) {
		d.Device.ActivationBackward(dy, y, dbias, rows, cols, act)
	}
}

func (d *replayCPU) Activate(y, pre device.Buffer, n int, act model.Activation) {
	if !d.record(func(*device.StepPlan, []int32) { d.Device.Activate(y, pre, n, act) }) {
		d.Device.Activate(y, pre, n, act)
	}
}

func (d *replayCPU) BatchNormTrain(x, out, xhat, invstd, gamma, beta, runMean, runVar device.Buffer, rows, cols int, eps, momentum float64) {
	call := func(*device.StepPlan, []int32) {
		d.Device.BatchNormTrain(x, out, xhat, invstd, gamma, beta, runMean, runVar, rows, cols, eps, momentum)
	}
	if !d.record(call) {
		call(nil, nil)
	}
}

func (d *replayCPU) BatchNormBackward(dy, xhat, invstd, gamma, dx, dgamma, dbeta device.Buffer, rows, cols int) {
	call := func(*device.StepPlan, []int32) {
		d.Device.BatchNormBackward(dy, xhat, invstd, gamma, dx, dgamma, dbeta, rows, cols)
	}
	if !d.record(call) {
		call(nil, nil)
	}
}

func (d *replayCPU) DropoutMask(mask device.Buffer, n int, seed uint64, step, layer int, rate float64) {
	if d.recording {
		d.check("the dropout counter", step, d.plan[0].Step)
	}
	if !d.record(func(p *device.StepPlan, _ []int32) { d.Device.DropoutMask(mask, n, seed, p.Step, layer, rate) }) {
		d.Device.DropoutMask(mask, n, seed, step, layer, rate)
	}
}

func (d *replayCPU) Mul(dst, x, y device.Buffer, n int) {
	if !d.record(func(*device.StepPlan, []int32) { d.Device.Mul(dst, x, y, n) }) {
		d.Device.Mul(dst, x, y, n)
	}
}

func (d *replayCPU) slot(slot int) {
	if d.recording {
		d.check("the loss slot", slot, d.plan[0].Slot)
	}
}

func (d *replayCPU) SoftmaxCrossEntropy(logits device.Buffer, labels device.Labels, rows, cols int, dlogits, loss device.Buffer, slot int) {
	d.slot(slot)
	if !d.record(func(p *device.StepPlan, _ []int32) {
		d.Device.SoftmaxCrossEntropy(logits, labels, rows, cols, dlogits, loss, p.Slot)
	}) {
		d.Device.SoftmaxCrossEntropy(logits, labels, rows, cols, dlogits, loss, slot)
	}
}

func (d *replayCPU) WeightedSoftmaxCrossEntropy(logits device.Buffer, labels device.Labels, rows, cols int, weights device.Buffer, smoothing float64, dlogits, loss device.Buffer, slot int) {
	d.slot(slot)
	if !d.record(func(p *device.StepPlan, _ []int32) {
		d.Device.WeightedSoftmaxCrossEntropy(logits, labels, rows, cols, weights, smoothing, dlogits, loss, p.Slot)
	}) {
		d.Device.WeightedSoftmaxCrossEntropy(logits, labels, rows, cols, weights, smoothing, dlogits, loss, slot)
	}
}

func (d *replayCPU) BinaryCrossEntropy(logits device.Buffer, labels device.Labels, rows int, weights, dlogits, loss device.Buffer, slot int) {
	d.slot(slot)
	if !d.record(func(p *device.StepPlan, _ []int32) {
		d.Device.BinaryCrossEntropy(logits, labels, rows, weights, dlogits, loss, p.Slot)
	}) {
		d.Device.BinaryCrossEntropy(logits, labels, rows, weights, dlogits, loss, slot)
	}
}

func (d *replayCPU) RegressionLoss(pred, target device.Buffer, rows, cols int, kind model.LossKind, delta float64, dpred, loss device.Buffer, slot int) {
	d.slot(slot)
	if !d.record(func(p *device.StepPlan, _ []int32) {
		d.Device.RegressionLoss(pred, target, rows, cols, kind, delta, dpred, loss, p.Slot)
	}) {
		d.Device.RegressionLoss(pred, target, rows, cols, kind, delta, dpred, loss, slot)
	}
}

func (d *replayCPU) SGD(params, grads, velocity device.Buffer, n int, s device.SGDStep) {
	if d.recording {
		d.check("the SGD step", s, d.plan[0].SGD)
	}
	if !d.record(func(p *device.StepPlan, _ []int32) { d.Device.SGD(params, grads, velocity, n, p.SGD) }) {
		d.Device.SGD(params, grads, velocity, n, s)
	}
}

func (d *replayCPU) Adam(params, grads, m, v device.Buffer, n int, s device.AdamStep) {
	if d.recording {
		d.check("the Adam step", s, d.plan[0].Adam)
	}
	if !d.record(func(p *device.StepPlan, _ []int32) { d.Device.Adam(params, grads, m, v, n, p.Adam) }) {
		d.Device.Adam(params, grads, m, v, n, s)
	}
}

func (d *replayCPU) RMSprop(params, grads, square, momentum device.Buffer, n int, s device.RMSpropStep) {
	if d.recording {
		d.check("the RMSprop step", s, d.plan[0].RMSprop)
	}
	if !d.record(func(p *device.StepPlan, _ []int32) { d.Device.RMSprop(params, grads, square, momentum, n, p.RMSprop) }) {
		d.Device.RMSprop(params, grads, square, momentum, n, s)
	}
}

func (d *replayCPU) Scale(x device.Buffer, n int, factor float32) {
	if d.recording {
		d.check("the decay factor", factor, d.plan[0].Decay)
	}
	if !d.record(func(p *device.StepPlan, _ []int32) { d.Device.Scale(x, n, p.Decay) }) {
		d.Device.Scale(x, n, factor)
	}
}

func (d *replayCPU) ClipGradNorm(grads device.Buffer, n int, maxNorm float64) {
	if !d.record(func(*device.StepPlan, []int32) { d.Device.ClipGradNorm(grads, n, maxNorm) }) {
		d.Device.ClipGradNorm(grads, n, maxNorm)
	}
}

func (d *replayCPU) CopyColumns(dst, src device.Buffer, rows, srcWidth, dstWidth, n int) {
	if !d.record(func(*device.StepPlan, []int32) { d.Device.CopyColumns(dst, src, rows, srcWidth, dstWidth, n) }) {
		d.Device.CopyColumns(dst, src, rows, srcWidth, dstWidth, n)
	}
}

func (d *replayCPU) EmbeddingGather(dst, src, table device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	call := func(*device.StepPlan, []int32) {
		d.Device.EmbeddingGather(dst, src, table, rows, srcWidth, col, vocab, dim, dstWidth, dstOff)
	}
	if !d.record(call) {
		call(nil, nil)
	}
}

func (d *replayCPU) EmbeddingScatterAdd(dtable, dout, src device.Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int) {
	call := func(*device.StepPlan, []int32) {
		d.Device.EmbeddingScatterAdd(dtable, dout, src, rows, srcWidth, col, vocab, dim, dstWidth, dstOff)
	}
	if !d.record(call) {
		call(nil, nil)
	}
}

// Sync during a recording runs nothing: the step was not run.
func (d *replayCPU) Sync() error {
	if d.recording {
		return nil
	}
	return d.Device.Sync()
}

// replayBackend is the engine on replayCPU; opened keeps the devices so a
// test can see that steps were replayed.
func replayBackend(opened *[]*replayCPU) *engine.Backend {
	return engine.NewBackend("cpu-replay",
		func(cfg backends.Config) (device.Device, error) {
			c, err := cpu.New(cfg.Threads)
			if err != nil {
				return nil, err
			}
			d := &replayCPU{Device: c}
			*opened = append(*opened, d)
			return d, nil
		},
		func(cfg backends.Config) (string, error) { return cpu.Version(cfg.Threads) },
		func() error { return nil })
}

// TestReplayMatchesCalls runs the conformance suite, the engine on a
// replaying CPU device against the engine on the CPU device, with no
// tolerance: every layer, head, loss, optimizer, schedule, clipping and
// embedding case, recorded once and replayed, gives the same bits as the
// same steps called one by one.
func TestReplayMatchesCalls(t *testing.T) {
	var opened []*replayCPU
	conformance.Run(t, replayBackend(&opened), engine.CPU, conformance.Tolerance{})
	replayed := 0
	for _, d := range opened {
		replayed += d.replays
	}
	if replayed == 0 {
		t.Fatal("no step was replayed: the suite never took the replay path")
	}
	t.Logf("%d devices, %d steps replayed", len(opened), replayed)
}
