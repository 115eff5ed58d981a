// Package cpu is the engine's CPU device: buffers are Go slices, the GEMM
// is OpenBLAS loaded at run time or the pure-Go kernel (backends/engine/gemm),
// and the elementwise kernels are plain Go loops shaped so that the compiler
// removes their bounds checks and no data-dependent branch sits in an inner
// loop. Kernels run on the calling goroutine; only the GEMM uses more than
// one thread, when a run asks for them.
//
// One kernel is also written in assembly: Adam's square root and two
// divisions per parameter run at a quarter of a small MLP's step in scalar
// Go, so on amd64 with AVX eight parameters go through the same IEEE
// operations at once. Its bits equal the scalar loop's (a test checks it),
// so which one runs is not part of the identity.
//
// Kind describes the processor for the engine's Version: the architecture
// and the GOAMD64 level the binary was built for (v3 lets the compiler fuse
// multiply-adds in the pure-Go GEMM, which changes bits), the vector
// extensions OpenBLAS chooses kernels by, and the model name.
package cpu
