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
	d.setBuf(0, y)
	d.setBuf(1, bias)
	d.setInt(2, rows)
	d.setInt(3, cols)
	d.setInt(4, actCode(act))
	d.elementwise("bias_act", d.c.k.biasAct, rows*cols)
	d.leave()
}

// ActivationBackward implements device.Device: the derivative in place,
// then the column sums into dbias.
func (d *Device) ActivationBackward(dy, y, dbias device.Buffer, rows, cols int, act model.Activation) {
	d.enter()
	if act != model.ActNone {
		d.setBuf(0, dy)
		d.setBuf(1, y)
		d.setInt(2, rows*cols)
		d.setInt(3, actCode(act))
		d.elementwise("act_backward", d.c.k.actBackward, rows*cols)
	}
	d.colSums(dbias, dy, rows, cols)
	d.leave()
}

func (d *Device) colSums(sums, m device.Buffer, rows, cols int) {
	d.setBuf(0, sums)
	d.setBuf(1, m)
	d.setInt(2, rows)
	d.setInt(3, cols)
	d.launch("col_sums", d.c.k.colSums, (cols+31)/32, 32, 32)
}

// Activate implements device.Device.
func (d *Device) Activate(y, pre device.Buffer, n int, act model.Activation) {
	d.enter()
	d.setBuf(0, y)
	d.setBuf(1, pre)
	d.setInt(2, n)
	d.setInt(3, actCode(act))
	d.elementwise("act", d.c.k.act, n)
	d.leave()
}

// columns launches a kernel with one thread per column.
func (d *Device) columns(name string, fn uintptr, cols int) {
	d.launch(name, fn, (cols+127)/128, 128, 1)
}

// BatchNormTrain implements device.Device; the column statistics are the
// CPU device's, summed row by row in float64.
func (d *Device) BatchNormTrain(x, out, xhat, invstd, gamma, beta, runMean, runVar device.Buffer, rows, cols int, eps, momentum float64) {
	d.enter()
	mean := d.scratchFor(cols)
	d.setBuf(0, x)
	d.setInt(1, rows)
	d.setInt(2, cols)
	d.setPtr(3, mean)
	d.setBuf(4, invstd)
	d.setBuf(5, runMean)
	d.setBuf(6, runVar)
	d.setF64(7, eps)
	d.setF32(8, float32(momentum))
	d.columns("bn_stats", d.c.k.bnStats, cols)
	d.setBuf(0, x)
	d.setBuf(1, out)
	d.setBuf(2, xhat)
	d.setPtr(3, mean)
	d.setBuf(4, invstd)
	d.setBuf(5, gamma)
	d.setBuf(6, beta)
	d.setInt(7, rows)
	d.setInt(8, cols)
	d.elementwise("bn_apply", d.c.k.bnApply, rows*cols)
	d.leave()
}

// BatchNormBackward implements device.Device.
func (d *Device) BatchNormBackward(dy, xhat, invstd, gamma, dx, dgamma, dbeta device.Buffer, rows, cols int) {
	d.enter()
	sums := d.scratchFor(2 * cols)
	d.setBuf(0, dy)
	d.setBuf(1, xhat)
	d.setInt(2, rows)
	d.setInt(3, cols)
	d.setPtr(4, sums)
	d.setBuf(5, dgamma)
	d.setBuf(6, dbeta)
	d.columns("bn_backward_sums", d.c.k.bnBackwardSums, cols)
	if dx != nil {
		d.setBuf(0, dy)
		d.setBuf(1, xhat)
		d.setBuf(2, invstd)
		d.setBuf(3, gamma)
		d.setPtr(4, sums)
		d.setBuf(5, dx)
		d.setInt(6, rows)
		d.setInt(7, cols)
		d.elementwise("bn_backward_dx", d.c.k.bnBackwardDx, rows*cols)
	}
	d.leave()
}

// BatchNormInfer implements device.Device.
func (d *Device) BatchNormInfer(x, out, gamma, beta, runMean, runVar device.Buffer, rows, cols int, eps float64) {
	d.enter()
	d.setBuf(0, x)
	d.setBuf(1, out)
	d.setBuf(2, gamma)
	d.setBuf(3, beta)
	d.setBuf(4, runMean)
	d.setBuf(5, runVar)
	d.setInt(6, rows)
	d.setInt(7, cols)
	d.setF64(8, eps)
	d.elementwise("bn_infer", d.c.k.bnInfer, rows*cols)
	d.leave()
}

// DropoutMask implements device.Device with model.Keep's draw.
func (d *Device) DropoutMask(mask device.Buffer, n int, seed uint64, step, layer int, rate float64) {
	d.enter()
	d.setBuf(0, mask)
	d.setInt(1, n)
	d.setU64(2, seed)
	d.setU64(3, uint64(step))
	d.setU64(4, uint64(layer))
	d.setF32(5, float32(rate))
	d.setF32(6, float32(1/(1-rate)))
	d.elementwise("dropout_mask", d.c.k.dropoutMask, n)
	d.leave()
}

// Mul implements device.Device.
func (d *Device) Mul(dst, x, y device.Buffer, n int) {
	d.enter()
	d.setBuf(0, dst)
	d.setBuf(1, x)
	d.setBuf(2, y)
	d.setInt(3, n)
	d.elementwise("mul", d.c.k.mul, n)
	d.leave()
}

// Scale implements device.Device.
func (d *Device) Scale(x device.Buffer, n int, factor float32) {
	d.enter()
	d.setBuf(0, x)
	d.setInt(1, n)
	d.setF32(2, factor)
	d.elementwise("scale", d.c.k.scale, n)
	d.leave()
}

// rowsKernel launches a kernel with one thread per row.
func (d *Device) rowsKernel(name string, fn uintptr, rows int) {
	d.launch(name, fn, (rows+127)/128, 128, 1)
}

// reduceLoss sums the per-row losses in parts into loss[slot], divided by
// div[0] and times mul when div is not 0, else times mul.
func (d *Device) reduceLoss(parts uint64, rows int, div uint64, mul float64, loss device.Buffer, slot int) {
	d.setPtr(0, parts)
	d.setInt(1, rows)
	d.setPtr(2, div)
	d.setF64(3, mul)
	d.setBuf(4, loss)
	d.setInt(5, slot)
	d.launch("reduce_loss", d.c.k.reduceLoss, 1, 256, 1)
}

// SoftmaxCrossEntropy implements device.Device: one thread per row, then
// the row losses summed in a fixed order.
func (d *Device) SoftmaxCrossEntropy(logits device.Buffer, labels device.Labels, rows, cols int, dlogits device.Buffer, loss device.Buffer, slot int) {
	d.enter()
	parts := d.scratchFor(rows)
	d.setBuf(0, logits)
	d.setPtr(1, labels.(*Labels).ptr)
	d.setInt(2, rows)
	d.setInt(3, cols)
	d.setBuf(4, dlogits)
	d.setPtr(5, parts)
	d.rowsKernel("softmax_xent", d.c.k.softmaxXent, rows)
	d.reduceLoss(parts, rows, 0, 1, loss, slot)
	d.leave()
}

// WeightedSoftmaxCrossEntropy implements device.Device.
func (d *Device) WeightedSoftmaxCrossEntropy(logits device.Buffer, labels device.Labels, rows, cols int, weights device.Buffer, smoothing float64, dlogits device.Buffer, loss device.Buffer, slot int) {
	d.enter()
	scratch := d.scratchFor(rows + 1)
	sumY, parts := scratch, scratch+8
	lp := labels.(*Labels).ptr
	d.setPtr(0, lp)
	d.setBuf(1, weights)
	d.setInt(2, rows)
	d.setPtr(3, sumY)
	d.launch("wxent_prep", d.c.k.wxentPrep, 1, 256, 1)
	d.setBuf(0, logits)
	d.setPtr(1, lp)
	d.setInt(2, rows)
	d.setInt(3, cols)
	d.setBuf(4, weights)
	d.setF64(5, smoothing)
	d.setPtr(6, sumY)
	d.setBuf(7, dlogits)
	d.setPtr(8, parts)
	d.rowsKernel("wxent", d.c.k.wxent, rows)
	d.reduceLoss(parts, rows, sumY, float64(rows), loss, slot)
	d.leave()
}

// Softmax implements device.Device.
func (d *Device) Softmax(probs, logits device.Buffer, rows, cols int) {
	d.enter()
	d.setBuf(0, probs)
	d.setBuf(1, logits)
	d.setInt(2, rows)
	d.setInt(3, cols)
	d.rowsKernel("softmax", d.c.k.softmax, rows)
	d.leave()
}

// SGD implements device.Device.
func (d *Device) SGD(params, grads, velocity device.Buffer, n int, s device.SGDStep) {
	d.enter()
	d.setBuf(0, params)
	d.setBuf(1, grads)
	d.setBuf(2, velocity)
	d.setInt(3, n)
	d.setF32(4, s.LR)
	d.setF32(5, s.Momentum)
	d.setF32(6, s.WeightDecay)
	nesterov := 0
	if s.Nesterov {
		nesterov = 1
	}
	d.setInt(7, nesterov)
	d.elementwise("sgd", d.c.k.sgd, n)
	d.leave()
}

// Adam implements device.Device.
func (d *Device) Adam(params, grads, m, v device.Buffer, n int, s device.AdamStep) {
	d.enter()
	d.setBuf(0, params)
	d.setBuf(1, grads)
	d.setBuf(2, m)
	d.setBuf(3, v)
	d.setInt(4, n)
	d.setF32(5, s.WeightDecay)
	d.setF32(6, s.Beta1)
	d.setF32(7, s.OneMinusBeta1)
	d.setF32(8, s.Beta2)
	d.setF32(9, s.OneMinusBeta2)
	d.setF32(10, s.BiasCorrection2Sqrt)
	d.setF32(11, s.Eps)
	d.setF32(12, -s.StepSize)
	d.elementwise("adam", d.c.k.adam, n)
	d.leave()
}

// RMSprop implements device.Device.
func (d *Device) RMSprop(params, grads, square, momentum device.Buffer, n int, s device.RMSpropStep) {
	d.enter()
	d.setBuf(0, params)
	d.setBuf(1, grads)
	d.setBuf(2, square)
	d.setBuf(3, momentum)
	d.setInt(4, n)
	d.setF32(5, s.LR)
	d.setF32(6, s.Alpha)
	d.setF32(7, s.OneMinusAlpha)
	d.setF32(8, s.Eps)
	d.setF32(9, s.Momentum)
	d.setF32(10, s.WeightDecay)
	d.elementwise("rmsprop", d.c.k.rmsprop, n)
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
	d.setBuf(0, grads)
	d.setInt(1, n)
	d.setPtr(2, d.partial.ptr)
	d.launch("sumsq", d.c.k.sumsq, clipBlocks, 256, 1)
	d.setBuf(0, grads)
	d.setInt(1, n)
	d.setPtr(2, d.partial.ptr)
	d.setInt(3, clipBlocks)
	d.setF64(4, maxNorm)
	d.elementwise("clip_apply", d.c.k.clipApply, n)
	d.leave()
}
