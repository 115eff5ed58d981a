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
		case model.ActLeakyReLU:
			// max(v,0) + slope·min(v,0) is v or slope·v exactly.
			for j, b := range bias {
				v := row[j] + b
				row[j] = max(v, 0) + float32(leakySlope*min(v, 0))
			}
		case model.ActGELU:
			for j, b := range bias {
				row[j] = gelu(row[j] + b)
			}
		default:
			for j, b := range bias {
				row[j] += b
			}
		}
	}
}

const leakySlope = float32(model.LeakySlope)

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
	case model.ActLeakyReLU:
		// The output has the input's sign; at 0 PyTorch takes the slope.
		for i, o := range y {
			if o <= 0 {
				dy[i] *= leakySlope
			}
		}
	case model.ActGELU:
		for i, x := range y { // the pre-activation, see device.Device
			dy[i] *= geluGrad(x)
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
			vi := float32(v[i]*s.Momentum) + gi
			v[i] = vi
			if s.Nesterov {
				gi += float32(s.Momentum * vi)
			} else {
				gi = vi
			}
		}
		p[i] = pi + float32(neg*gi)
	}
}

// Activate implements device.Device, with the same arithmetic as
// BiasActivation's.
func (d *Device) Activate(yb, preb device.Buffer, n int, act model.Activation) {
	y, pre := buf(yb)[:n], buf(preb)[:n]
	pre = pre[:len(y)]
	switch act {
	case model.ActGELU:
		for i, x := range pre {
			y[i] = gelu(x)
		}
	case model.ActReLU:
		for i, x := range pre {
			y[i] = max(x, 0)
		}
	case model.ActLeakyReLU:
		for i, x := range pre {
			y[i] = max(x, 0) + float32(leakySlope*min(x, 0))
		}
	case model.ActTanh:
		for i, x := range pre {
			y[i] = float32(math.Tanh(float64(x)))
		}
	case model.ActSigmoid:
		for i, x := range pre {
			y[i] = sigmoid(x)
		}
	default:
		copy(y, pre)
	}
}

// gelu is x·Φ(x) = x/2·(1 + erf(x/√2)), computed in float64 and rounded
// once.
func gelu(x float32) float32 {
	v := float64(x)
	return float32(0.5 * v * (1 + math.Erf(v/math.Sqrt2)))
}

// geluGrad is GELU's derivative Φ(x) + x·φ(x).
func geluGrad(x float32) float32 {
	v := float64(x)
	return float32(0.5*(1+math.Erf(v/math.Sqrt2)) + v*math.Exp(-0.5*v*v)/math.Sqrt(2*math.Pi))
}

// Scale implements device.Device.
func (d *Device) Scale(xb device.Buffer, n int, factor float32) {
	x := buf(xb)[:n]
	for i, v := range x {
		x[i] = v * factor
	}
}

// ClipGradNorm implements device.Device. The padding between tensors is
// zero and adds nothing to the norm.
func (d *Device) ClipGradNorm(gb device.Buffer, n int, maxNorm float64) {
	g := buf(gb)[:n]
	var sum float64
	for _, v := range g {
		sum += float64(v) * float64(v)
	}
	coef := maxNorm / (math.Sqrt(sum) + 1e-6)
	if coef >= 1 {
		return
	}
	c := float32(coef)
	for i, v := range g {
		g[i] = v * c
	}
}

// RMSprop implements device.Device, in PyTorch's order of float32
// operations (torch.optim.RMSprop, single-tensor path, not centered).
func (d *Device) RMSprop(pb, gb, sb, bb device.Buffer, n int, s device.RMSpropStep) {
	p, g, sq, mb := buf(pb)[:n], buf(gb)[:n], buf(sb)[:n], buf(bb)[:n]
	g, sq, mb = g[:len(p)], sq[:len(p)], mb[:len(p)]
	for i, pi := range p {
		gi := g[i] + float32(s.WeightDecay*pi)
		si := float32(sq[i]*s.Alpha) + float32(float32(s.OneMinusAlpha*gi)*gi)
		sq[i] = si
		avg := float32(math.Sqrt(float64(si))) + s.Eps
		if s.Momentum > 0 {
			bi := float32(mb[i]*s.Momentum) + gi/avg
			mb[i] = bi
			p[i] = pi - float32(s.LR*bi)
		} else {
			p[i] = pi - float32(s.LR*(gi/avg))
		}
	}
}

// WeightedSoftmaxCrossEntropy implements device.Device in float64 (see
// model.Loss): with ℓ_c = -log p_c, row i adds (1-ε)·w[y]·ℓ_y +
// ε/C·Σ_c w[c]·ℓ_c to the loss, and its gradient at logit c is
// ((1-ε)·w[y]·(p_c - [c=y]) + ε/C·(W·p_c - w[c])) / S, where W = Σ_c w[c]
// and S = Σ_i w[y_i].
func (d *Device) WeightedSoftmaxCrossEntropy(logitsb device.Buffer, labelsb device.Labels, rows, cols int, weightsb device.Buffer, smoothing float64, dlogitsb device.Buffer, lossb device.Buffer, slot int) {
	z, dz := buf(logitsb)[:rows*cols], buf(dlogitsb)[:rows*cols]
	labels := labelsb.(*Labels).Data[:rows]
	w := buf(weightsb)[:cols]
	e := d.scratch(cols)
	var sumW, sumY float64
	for _, v := range w {
		sumW += float64(v)
	}
	for _, y := range labels {
		sumY += float64(w[y])
	}
	if sumY == 0 {
		clear(dz)
		buf(lossb)[slot] = 0
		return
	}
	keep, spread := 1-smoothing, smoothing/float64(cols)
	var total float64
	for r, label := range labels {
		zr := z[r*cols : (r+1)*cols]
		dr := dz[r*cols : (r+1)*cols]
		dr, e, wr := dr[:len(zr)], e[:len(zr)], w[:len(zr)]
		sum, top := exps(e, zr)
		logSum := math.Log(sum) + float64(top)
		wy := float64(wr[label])
		total += keep * wy * (logSum - float64(zr[label]))
		if spread != 0 {
			var smooth float64
			for c, v := range zr {
				smooth += float64(wr[c]) * (logSum - float64(v))
			}
			total += spread * smooth
		}
		for c, v := range e {
			p := v / sum
			g := keep*wy*p + spread*(sumW*p-float64(wr[c]))
			if c == int(label) {
				g -= keep * wy
			}
			dr[c] = float32(g / sumY)
		}
	}
	buf(lossb)[slot] = float32(total / sumY * float64(rows))
}
