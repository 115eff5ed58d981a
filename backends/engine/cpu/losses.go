package cpu

import (
	"math"

	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// GatherRows implements device.Device.
func (d *Device) GatherRows(dst device.Buffer, src []float32, width int, rows []int32) error {
	x := buf(dst)
	if len(rows)*width > len(x) {
		return errGather(len(rows), width, len(x))
	}
	for i, r := range rows {
		copy(x[i*width:(i+1)*width], src[int(r)*width:(int(r)+1)*width])
	}
	return nil
}

// BinaryCrossEntropy implements device.Device in float64, summing in row
// order. log1p(exp(-|z|)) keeps the loss exact for large |z|, where
// log(1 + exp(z)) would overflow or lose every digit.
func (d *Device) BinaryCrossEntropy(logitsb device.Buffer, labelsb device.Labels, rows int, weightsb device.Buffer, dlogitsb device.Buffer, lossb device.Buffer, slot int) {
	z, dz := buf(logitsb)[:rows], buf(dlogitsb)[:rows]
	labels := labelsb.(*Labels).Data[:rows]
	w := buf(weightsb)[:2]
	var sumW float64
	for _, y := range labels {
		sumW += float64(w[y])
	}
	if sumW == 0 {
		clear(dz)
		buf(lossb)[slot] = 0
		return
	}
	var total float64
	for i, y := range labels {
		v, t, wi := float64(z[i]), float64(y), float64(w[y])
		total += wi * (max(v, 0) - v*t + math.Log1p(math.Exp(-math.Abs(v))))
		dz[i] = float32(wi * (1/(1+math.Exp(-v)) - t) / sumW)
	}
	buf(lossb)[slot] = float32(total / sumW * float64(rows))
}

// RegressionLoss implements device.Device in float64, summing in element
// order.
func (d *Device) RegressionLoss(predb, targetb device.Buffer, rows, cols int, kind model.LossKind, delta float64, dpredb, lossb device.Buffer, slot int) {
	n := rows * cols
	p, t, g := buf(predb)[:n], buf(targetb)[:n], buf(dpredb)[:n]
	t, g = t[:len(p)], g[:len(p)]
	inv := 1 / float64(n)
	var total float64
	switch kind {
	case model.LossMAE:
		for i, v := range p {
			diff := float64(v) - float64(t[i])
			total += math.Abs(diff)
			s := 0.0
			if diff > 0 {
				s = 1
			} else if diff < 0 {
				s = -1
			}
			g[i] = float32(s * inv)
		}
	case model.LossHuber:
		for i, v := range p {
			diff := float64(v) - float64(t[i])
			if a := math.Abs(diff); a <= delta {
				total += 0.5 * diff * diff
			} else {
				total += delta * (a - 0.5*delta)
			}
			g[i] = float32(min(max(diff, -delta), delta) * inv)
		}
	default: // model.LossMSE
		for i, v := range p {
			diff := float64(v) - float64(t[i])
			total += diff * diff
			g[i] = float32(2 * diff * inv)
		}
	}
	buf(lossb)[slot] = float32(total * inv * float64(rows))
}
