// Package device is the boundary between the engine and the hardware.
//
// The engine (backends/engine) decides what to compute: it compiles a model
// into a fixed program of kernel calls over buffers allocated once. A Device
// decides how: it owns the memory, the GEMM and the elementwise kernels.
// backends/engine/cpu is the CPU device; a CUDA device implements the same
// interface with cuBLAS and its own kernels, and shares every layer,
// the batching and the optimizer logic with it.
//
// Kernels name their fused operations (bias plus activation, softmax plus
// cross-entropy, activation gradient plus bias gradient, whole optimizer
// steps) so that a device can do each in one pass over memory, which is
// what makes small batches fast on a CPU and is the only sensible shape for
// GPU kernels.
package device
