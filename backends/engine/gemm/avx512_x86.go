//go:build amd64 || 386

package gemm

import "golang.org/x/sys/cpu"

// hasAVX512 reports the AVX-512 subsets OpenBLAS's SkylakeX kernels use,
// with the operating system saving the registers (x/sys/cpu checks XCR0).
func hasAVX512() bool {
	x := cpu.X86
	return x.HasAVX512F && x.HasAVX512CD && x.HasAVX512BW && x.HasAVX512DQ && x.HasAVX512VL
}
