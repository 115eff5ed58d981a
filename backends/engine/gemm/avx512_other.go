//go:build !(amd64 || 386)

package gemm

func hasAVX512() bool { return false }
