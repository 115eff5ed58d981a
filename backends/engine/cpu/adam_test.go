package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// TestAdamVectorMatchesScalar: the vector kernel must give the scalar
// loop's bits, for every length (the tail runs scalar) and for gradients
// from tiny to large, so that which one runs never shows in a result.
func TestAdamVectorMatchesScalar(t *testing.T) {
	if adamVector == nil {
		t.Skip("no vector kernel on this processor")
	}
	o := model.Optimizer{Kind: model.Adam, LR: 3e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2}
	for _, n := range []int{8, 16, 24, 64, 1000, 4096} {
		for _, step := range []int{1, 2, 50} {
			t.Run(fmt.Sprintf("n%d/step%d", n, step), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), uint64(step)))
				draw := func(scale float64) []float32 {
					s := make([]float32, n)
					for i := range s {
						s[i] = float32(rng.NormFloat64() * scale * math.Pow(10, float64(rng.IntN(9)-6)))
					}
					return s
				}
				p, g, m := draw(1), draw(1), draw(0.1)
				v := draw(0.01)
				for i := range v {
					v[i] = v[i] * v[i]
				}
				s := device.NewAdamStep(o, step, o.LR)
				k := &adamConsts{wd: s.WeightDecay, beta1: s.Beta1, oneMinusBeta1: s.OneMinusBeta1, beta2: s.Beta2,
					oneMinusBeta2: s.OneMinusBeta2, bc2Sqrt: s.BiasCorrection2Sqrt, eps: s.Eps, negStepSize: -s.StepSize}
				p2, g2, m2, v2 := clone(p), clone(g), clone(m), clone(v)
				adamVector(p, g, m, v, n, k)
				adamScalar(p2, g2, m2, v2, k)
				for name, pair := range map[string][2][]float32{"p": {p, p2}, "m": {m, m2}, "v": {v, v2}} {
					for i := range pair[0] {
						if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
							t.Fatalf("%s[%d]: vector %v, scalar %v", name, i, pair[0][i], pair[1][i])
						}
					}
				}
			})
		}
	}
}

// TestAdamMatchesPyTorchOrder checks one step of the device kernel on a
// few values against the same operations done one by one in float32, in
// torch.optim.Adam's order, with the vector path and the tail both used.
func TestAdamMatchesPyTorchOrder(t *testing.T) {
	d := newDevice(t)
	o := model.Optimizer{Kind: model.Adam, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5}
	const n = 11
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		p[i], g[i], m[i], v[i] = float32(i)-5, float32(i%3)-1.25, 0.01*float32(i), 0.001*float32(i)
	}
	s := device.NewAdamStep(o, 3, o.LR)
	want := clone(p)
	for i := range want {
		var (
			b1, b2 = float32(0.9), float32(0.999)
			gi     = g[i] + float32(float32(0.5)*want[i])
			mi     = float32(m[i]*b1) + float32(float32(0.1)*gi)
			vi     = float32(v[i]*b2) + float32(float32(float32(1-0.999)*gi)*gi)
			denom  = float32(float32(math.Sqrt(float64(vi)))/s.BiasCorrection2Sqrt) + float32(1e-8)
		)
		want[i] += float32(-s.StepSize*mi) / denom
	}
	pb := &Buffer{Data: p}
	d.Adam(pb, &Buffer{Data: g}, &Buffer{Data: m}, &Buffer{Data: v}, n, s)
	for i := range want {
		if pb.Data[i] != want[i] {
			t.Fatalf("p[%d] = %v, want %v", i, pb.Data[i], want[i])
		}
	}
}

func clone(s []float32) []float32 { return append([]float32(nil), s...) }
