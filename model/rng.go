package model

// Dropout masks and batch order come from counters, not from a stateful
// generator, so every backend (and a CUDA kernel) draws exactly the same
// mask for the same (seed, step, layer, unit) whatever order it computes in.

// Mix is SplitMix64's finaliser: a bijective 64-bit hash.
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Uniform returns a float32 in [0, 1) determined by its four counters.
func Uniform(seed uint64, step, layer, index int) float32 {
	h := Mix(seed ^ Mix(uint64(step)<<20^uint64(layer)) ^ Mix(uint64(index)+0x5851f42d4c957f2d))
	return float32(h>>40) / (1 << 24)
}

// Keep reports whether dropout with the given rate keeps a unit.
func Keep(seed uint64, step, layer, index int, rate float64) bool {
	return Uniform(seed, step, layer, index) >= float32(rate)
}
