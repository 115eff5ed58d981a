package cuda

import (
	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// BinaryCrossEntropy implements device.Device: S = Σ w[y] in a fixed
// order, then one thread per row, then the row losses summed in a fixed
// order and divided by S (0 when S is).
func (d *Device) BinaryCrossEntropy(logits device.Buffer, labels device.Labels, rows int, weights device.Buffer, dlogits device.Buffer, loss device.Buffer, slot int) {
	d.enter()
	scratch := d.scratchFor(rows + 1)
	sumW, parts := scratch, scratch+8
	lp := labels.(*Labels).ptr
	d.launch("wxent_prep", d.c.k.wxentPrep, 1, 256, 1, lp, buf(weights), i32(rows), sumW)
	d.elementwise("bce", d.c.k.bce, rows, buf(logits), lp, i32(rows), buf(weights), sumW, buf(dlogits), parts)
	d.reduceLoss(parts, rows, sumW, float64(rows), loss, slot)
	d.leave()
}

// regressionCode is the loss's number in kernels.cu.
func regressionCode(k model.LossKind) int {
	switch k {
	case model.LossMAE:
		return 1
	case model.LossHuber:
		return 2
	default:
		return 0
	}
}

// RegressionLoss implements device.Device: one thread per element, then
// the terms summed in a fixed order, times rows/n.
func (d *Device) RegressionLoss(pred, target device.Buffer, rows, cols int, kind model.LossKind, delta float64, dpred, loss device.Buffer, slot int) {
	n := rows * cols
	d.enter()
	parts := d.scratchFor(n)
	d.elementwise("regression_loss", d.c.k.regressionLoss, n,
		buf(pred), buf(target), i32(n), i32(regressionCode(kind)), f64(delta), buf(dpred), parts)
	d.reduceLoss(parts, n, 0, 1/float64(n)*float64(rows), loss, slot)
	d.leave()
}
