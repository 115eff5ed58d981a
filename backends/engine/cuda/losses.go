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
	d.setPtr(0, lp)
	d.setBuf(1, weights)
	d.setInt(2, rows)
	d.setPtr(3, sumW)
	d.launch("wxent_prep", d.c.k.wxentPrep, 1, 256, 1)
	d.setBuf(0, logits)
	d.setPtr(1, lp)
	d.setInt(2, rows)
	d.setBuf(3, weights)
	d.setPtr(4, sumW)
	d.setBuf(5, dlogits)
	d.setPtr(6, parts)
	d.elementwise("bce", d.c.k.bce, rows)
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
	d.setBuf(0, pred)
	d.setBuf(1, target)
	d.setInt(2, n)
	d.setInt(3, regressionCode(kind))
	d.setF64(4, delta)
	d.setBuf(5, dpred)
	d.setPtr(6, parts)
	d.elementwise("regression_loss", d.c.k.regressionLoss, n)
	d.reduceLoss(parts, n, 0, 1/float64(n)*float64(rows), loss, slot)
	d.leave()
}
