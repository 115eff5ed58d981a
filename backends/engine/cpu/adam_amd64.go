package cpu

import "golang.org/x/sys/cpu"

// adamAVX runs Adam over n parameters, n a multiple of 8 (adam_amd64.s).
//
//go:noescape
func adamAVX(params, grads, mean, vari *float32, n int, k *adamConsts)

// adamVector is the vector kernel this processor can run, or nil.
var adamVector func(p, g, m, v []float32, n int, k *adamConsts)

func init() {
	if cpu.X86.HasAVX {
		adamVector = func(p, g, m, v []float32, n int, k *adamConsts) {
			_, _, _, _ = p[n-1], g[n-1], m[n-1], v[n-1] // the assembly trusts n
			adamAVX(&p[0], &g[0], &m[0], &v[0], n, k)
		}
	}
}
