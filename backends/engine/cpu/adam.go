package cpu

import (
	"math"

	"github.com/xp-ml/xp/backends/engine/device"
)

// adamConsts is one Adam step's constants in the layout the vector kernel
// reads.
type adamConsts struct {
	wd, beta1, oneMinusBeta1, beta2, oneMinusBeta2, bc2Sqrt, eps, negStepSize float32
}

// Adam implements device.Device, in PyTorch's order of float32 operations
// (torch.optim.Adam, single-tensor path): g += wd·p; m.mul_(β1).add_(g,
// 1-β1); v.mul_(β2).addcmul_(g, g, 1-β2); denom = v.sqrt()/sqrt(bc2) + eps;
// p.addcdiv_(m, denom, -step_size). Its square root and two divisions per
// parameter bound a scalar loop (about 4.5 ns a parameter, a quarter of a
// small MLP's step), so where the processor has AVX a vector kernel does
// eight parameters at a time with the same IEEE operations in the same
// order: the bits are those of the scalar loop.
func (d *Device) Adam(pb, gb, mb, vb device.Buffer, n int, s device.AdamStep) {
	p, g, m, v := buf(pb)[:n], buf(gb)[:n], buf(mb)[:n], buf(vb)[:n]
	k := &d.adam
	*k = adamConsts{wd: s.WeightDecay, beta1: s.Beta1, oneMinusBeta1: s.OneMinusBeta1, beta2: s.Beta2,
		oneMinusBeta2: s.OneMinusBeta2, bc2Sqrt: s.BiasCorrection2Sqrt, eps: s.Eps, negStepSize: -s.StepSize}
	done := 0
	if adamVector != nil {
		done = n &^ 7
		if done > 0 {
			adamVector(p, g, m, v, done, k)
		}
	}
	adamScalar(p[done:], g[done:], m[done:], v[done:], k)
}

// adamScalar is the reference loop. Every product is converted to float32
// explicitly, which forbids the compiler to fuse it into an FMA (it would
// under GOAMD64=v3), so it rounds exactly as the vector kernel does.
// PyTorch skips the weight-decay term when it is zero; adding 0·p changes no
// finite parameter's bits, so it is always added, as the vector kernel does.
func adamScalar(p, g, m, v []float32, k *adamConsts) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	for i, pi := range p {
		gi := g[i] + float32(k.wd*pi)
		mi := float32(m[i]*k.beta1) + float32(k.oneMinusBeta1*gi)
		vi := float32(v[i]*k.beta2) + float32(float32(k.oneMinusBeta2*gi)*gi)
		m[i], v[i] = mi, vi
		denom := float32(float32(math.Sqrt(float64(vi)))/k.bc2Sqrt) + k.eps
		p[i] = pi + float32(k.negStepSize*mi)/denom
	}
}
