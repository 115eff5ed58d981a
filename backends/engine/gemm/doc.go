// Package gemm multiplies float32 matrices for the engine's CPU device.
//
// Two implementations sit behind one interface, chosen by New (XP_BLAS=go
// forces the second):
//
//   - OpenBLAS, loaded at run time with purego (dlopen of libopenblas.so.0,
//     no cgo, so xp still builds with CGO_ENABLED=0) and called through its
//     Fortran entry point sgemm_, whose arguments are all pointers: purego's
//     allocation-free SyscallN cannot pass cblas_sgemm's mix of integer and
//     float arguments. OpenBLAS's own threads are off; large products are
//     split by rows of C over xp's goroutines. On an AVX-512 processor that
//     OpenBLAS 0.3.21 does not recognise (AMD Zen 4 and 5, which it takes
//     for Haswell), its SkylakeX kernels are selected, unless the user set
//     OPENBLAS_CORETYPE.
//   - A cache-blocked pure-Go kernel when the library is absent: about
//     7-10 GFLOP/s of scalar code, since Go does not vectorise.
//
// The two give different bits for the same product, and so do OpenBLAS's
// kernel sets and thread counts, so the name of what runs (Sgemm.Name,
// Choice.NameFor) is part of the engine's identity and of every run key.
// Neither allocates per call.
package gemm
