// Package dl loads shared libraries at run time without cgo (through
// purego), for the optional accelerators xp finds when they are installed:
// OpenBLAS for the CPU device, the CUDA driver and cuBLAS for the GPU.
// Where the system has no dynamic loader xp knows, Open fails and the
// callers fall back (a pure-Go GEMM; no CUDA).
package dl
