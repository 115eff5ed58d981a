//go:build !amd64

package cpu

// adamVector is nil: only amd64 has a vector kernel.
var adamVector func(p, g, m, v []float32, n int, k *adamConsts)
