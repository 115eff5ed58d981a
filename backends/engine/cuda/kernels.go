package cuda

import (
	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// actCode is the activation's number in kernels.cu.
func actCode(a model.Activation) int {
	switch a {
	case model.ActReLU:
		return 1
	case model.ActTanh:
		return 2
	case model.ActSigmoid:
		return 3
	case model.ActLeakyReLU:
		return 4
	case model.ActGELU:
		return 5
	default:
		return 0
	}
}

// BiasActivation implements device.Device.
func (d *Device) BiasActivation(y, bias device.Buffer, rows, cols int, act model.Activation) {
	d.enter()
	d.elementwise("bias_act", d.c.k.biasAct, rows*cols,
		buf(y), buf(bias), i32(rows), i32(cols), i32(actCode(act)))
	d.leave()
}

// ActivationBackward implements device.Device: the derivative in place,
// then the column sums into dbias.
func (d *Device) ActivationBackward(dy, y, dbias device.Buffer, rows, cols int, act model.Activation) {
	d.enter()
	if act != model.ActNone {
		d.elementwise("act_backward", d.c.k.actBackward, rows*cols,
			buf(dy), buf(y), i32(rows*cols), i32(actCode(act)))
	}
	d.colSums(dbias, dy, rows, cols)
	d.leave()
}

func (d *Device) colSums(sums, m device.Buffer, rows, cols int) {
	d.launch("col_sums", d.c.k.colSums, (cols+31)/32, 32, 32, buf(sums), buf(m), i32(rows), i32(cols))
}

// Activate implements device.Device.
func (d *Device) Activate(y, pre device.Buffer, n int, act model.Activation) {
	d.enter()
	d.elementwise("act", d.c.k.act, n, buf(y), buf(pre), i32(n), i32(actCode(act)))
	d.leave()
}

// columns launches a kernel with one thread per column.
func (d *Device) columns(name string, fn uintptr, cols int, args ...uint64) {
	d.launch(name, fn, (cols+127)/128, 128, 1, args...)
}

// BatchNormTrain implements device.Device; the column statistics are the
// CPU device's, summed row by row in float64.
func (d *Device) BatchNormTrain(x, out, xhat, invstd, gamma, beta, runMean, runVar device.Buffer, rows, cols int, eps, momentum float64) {
	d.enter()
	mean := d.scratchFor(cols)
	d.columns("bn_stats", d.c.k.bnStats, cols,
		buf(x), i32(rows), i32(cols), mean, buf(invstd), buf(runMean), buf(runVar), f64(eps),
		f32(float32(momentum)))
	d.elementwise("bn_apply", d.c.k.bnApply, rows*cols,
		buf(x), buf(out), buf(xhat), mean, buf(invstd), buf(gamma), buf(beta), i32(rows),
		i32(cols))
	d.leave()
}

// BatchNormBackward implements device.Device.
func (d *Device) BatchNormBackward(dy, xhat, invstd, gamma, dx, dgamma, dbeta device.Buffer, rows, cols int) {
	d.enter()
	sums := d.scratchFor(2 * cols)
	d.columns("bn_backward_sums", d.c.k.bnBackwardSums, cols,
		buf(dy), buf(xhat), i32(rows), i32(cols), sums, buf(dgamma), buf(dbeta))
	if dx != nil {
		d.elementwise("bn_backward_dx", d.c.k.bnBackwardDx, rows*cols,
			buf(dy), buf(xhat), buf(invstd), buf(gamma), sums, buf(dx), i32(rows), i32(cols))
	}
	d.leave()
}

// BatchNormInfer implements device.Device.
func (d *Device) BatchNormInfer(x, out, gamma, beta, runMean, runVar device.Buffer, rows, cols int, eps float64) {
	d.enter()
	d.elementwise("bn_infer", d.c.k.bnInfer, rows*cols,
		buf(x), buf(out), buf(gamma), buf(beta), buf(runMean), buf(runVar), i32(rows), i32(cols),
		f64(eps))
	d.leave()
}

// DropoutMask implements device.Device with model.Keep's draw.
func (d *Device) DropoutMask(mask device.Buffer, n int, seed uint64, step, layer int, rate float64) {
	if r := d.fused.recording; r != nil && step != d.fused.current().Step {
		r.mismatch("the dropout counter", step, d.fused.current().Step)
	}
	d.enter()
	d.elementwise("dropout_mask", d.c.k.dropoutMask, n,
		buf(mask), i32(n), seed, uint64(step), uint64(layer), f32(float32(rate)),
		f32(float32(1/(1-rate))))
	d.leave()
}

// Mul implements device.Device.
func (d *Device) Mul(dst, x, y device.Buffer, n int) {
	d.enter()
	d.elementwise("mul", d.c.k.mul, n, buf(dst), buf(x), buf(y), i32(n))
	d.leave()
}

// Scale implements device.Device. In a training step it is AdamW's
// decay, whose factor a replayed step takes from its plan.
func (d *Device) Scale(x device.Buffer, n int, factor float32) {
	if r := d.fused.recording; r != nil && factor != d.fused.current().Decay {
		r.mismatch("the decay factor", factor, d.fused.current().Decay)
	}
	d.enter()
	d.elementwise("scale", d.c.k.scale, n, buf(x), i32(n), f32(factor))
	d.leave()
}

// rowsKernel launches a kernel with one thread per row.
func (d *Device) rowsKernel(name string, fn uintptr, rows int, args ...uint64) {
	d.launch(name, fn, (rows+127)/128, 128, 1, args...)
}

// reduceLoss sums the per-row losses in parts into loss[slot], divided by
// div[0] and times mul when div is not 0, else times mul.
func (d *Device) reduceLoss(parts uint64, rows int, div uint64, mul float64, loss device.Buffer, slot int) {
	if r := d.fused.recording; r != nil && slot != d.fused.current().Slot {
		r.mismatch("the loss slot", slot, d.fused.current().Slot)
	}
	d.launch("reduce_loss", d.c.k.reduceLoss, 1, 256, 1, parts,
		i32(rows), div, f64(mul), buf(loss), i32(slot))
}

// SoftmaxCrossEntropy implements device.Device: one thread per row, then
// the row losses summed in a fixed order.
func (d *Device) SoftmaxCrossEntropy(logits device.Buffer, labels device.Labels, rows, cols int, dlogits device.Buffer, loss device.Buffer, slot int) {
	d.enter()
	parts := d.scratchFor(rows)
	d.rowsKernel("softmax_xent", d.c.k.softmaxXent, rows,
		buf(logits), labels.(*Labels).ptr, i32(rows), i32(cols), buf(dlogits), parts)
	d.reduceLoss(parts, rows, 0, 1, loss, slot)
	d.leave()
}

// WeightedSoftmaxCrossEntropy implements device.Device.
func (d *Device) WeightedSoftmaxCrossEntropy(logits device.Buffer, labels device.Labels, rows, cols int, weights device.Buffer, smoothing float64, dlogits device.Buffer, loss device.Buffer, slot int) {
	d.enter()
	scratch := d.scratchFor(rows + 1)
	sumY, parts := scratch, scratch+8
	lp := labels.(*Labels).ptr
	d.launch("wxent_prep", d.c.k.wxentPrep, 1, 256, 1, lp, buf(weights), i32(rows), sumY)
	d.rowsKernel("wxent", d.c.k.wxent, rows,
		buf(logits), lp, i32(rows), i32(cols), buf(weights), f64(smoothing), sumY, buf(dlogits),
		parts)
	d.reduceLoss(parts, rows, sumY, float64(rows), loss, slot)
	d.leave()
}

// Softmax implements device.Device.
func (d *Device) Softmax(probs, logits device.Buffer, rows, cols int) {
	d.enter()
	d.rowsKernel("softmax", d.c.k.softmax, rows, buf(probs), buf(logits), i32(rows), i32(cols))
	d.leave()
}

// SGD implements device.Device.
func (d *Device) SGD(params, grads, velocity device.Buffer, n int, s device.SGDStep) {
	if r := d.fused.recording; r != nil && s != d.fused.current().SGD {
		r.mismatch("the SGD step", s, d.fused.current().SGD)
	}
	d.enter()
	nesterov := 0
	if s.Nesterov {
		nesterov = 1
	}
	d.elementwise("sgd", d.c.k.sgd, n,
		buf(params), buf(grads), buf(velocity), i32(n), f32(s.LR), f32(s.Momentum),
		f32(s.WeightDecay), i32(nesterov))
	d.leave()
}

// Adam implements device.Device.
func (d *Device) Adam(params, grads, m, v device.Buffer, n int, s device.AdamStep) {
	if r := d.fused.recording; r != nil && s != d.fused.current().Adam {
		r.mismatch("the Adam step", s, d.fused.current().Adam)
	}
	d.enter()
	d.elementwise("adam", d.c.k.adam, n,
		buf(params), buf(grads), buf(m), buf(v), i32(n), f32(s.WeightDecay), f32(s.Beta1),
		f32(s.OneMinusBeta1), f32(s.Beta2), f32(s.OneMinusBeta2), f32(s.BiasCorrection2Sqrt),
		f32(s.Eps), f32(-s.StepSize))
	d.leave()
}

// RMSprop implements device.Device.
func (d *Device) RMSprop(params, grads, square, momentum device.Buffer, n int, s device.RMSpropStep) {
	if r := d.fused.recording; r != nil && s != d.fused.current().RMSprop {
		r.mismatch("the RMSprop step", s, d.fused.current().RMSprop)
	}
	d.enter()
	d.elementwise("rmsprop", d.c.k.rmsprop, n,
		buf(params), buf(grads), buf(square), buf(momentum), i32(n), f32(s.LR), f32(s.Alpha),
		f32(s.OneMinusAlpha), f32(s.Eps), f32(s.Momentum), f32(s.WeightDecay))
	d.leave()
}

// clipBlocks is the fixed grid of the gradient norm's first pass: fixed,
// so the partial sums and their order do not depend on the GPU.
const clipBlocks = 256

// ClipGradNorm implements device.Device: per-block sums of squares in
// float64, then every block adds them in the same order and scales.
func (d *Device) ClipGradNorm(grads device.Buffer, n int, maxNorm float64) {
	d.enter()
	if d.partial == nil {
		p, err := d.alloc(8 * clipBlocks)
		if err != nil {
			if d.err == nil {
				d.err = err
			}
			d.leave()
			return
		}
		d.partial = &Buffer{ptr: p, n: clipBlocks}
	}
	d.launch("sumsq", d.c.k.sumsq, clipBlocks, 256, 1, buf(grads), i32(n), d.partial.ptr)
	d.elementwise("clip_apply", d.c.k.clipApply, n,
		buf(grads), i32(n), d.partial.ptr, i32(clipBlocks), f64(maxNorm))
	d.leave()
}
