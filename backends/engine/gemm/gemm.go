package gemm

import (
	"errors"
	"fmt"
)

// ErrUnavailable wraps the reason a GEMM library cannot be loaded.
var ErrUnavailable = errors.New("gemm unavailable")

// Sgemm computes, for row-major matrices,
//
//	C = alpha·op(A)·op(B) + beta·C
//
// where op(A) is m×k (A is stored k×m when transA), op(B) is k×n (B is
// stored n×k when transB) and C is m×n. lda, ldb and ldc are the stored row
// lengths. When beta is 0, C is not read, so it may hold anything.
type Sgemm interface {
	// Name says which implementation runs; different implementations give
	// different bits, so it is part of the engine's identity.
	Name() string
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	// Close releases workers or library state the implementation holds.
	Close() error
}

// check reports arguments that would make an implementation read or write
// outside the slices. Implementations call it so that a bad call is an
// error at the boundary rather than memory corruption inside a C library.
func check(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) error {
	if m < 0 || n < 0 || k < 0 {
		return fmt.Errorf("sgemm: negative shape %dx%dx%d", m, n, k)
	}
	if m == 0 || n == 0 {
		return nil
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	switch {
	case k > 0 && (lda < max(ac, 1) || len(a) < (ar-1)*lda+ac):
		return fmt.Errorf("sgemm: A is %d long with lda %d, need %dx%d", len(a), lda, ar, ac)
	case k > 0 && (ldb < max(bc, 1) || len(b) < (br-1)*ldb+bc):
		return fmt.Errorf("sgemm: B is %d long with ldb %d, need %dx%d", len(b), ldb, br, bc)
	case ldc < max(n, 1) || len(c) < (m-1)*ldc+n:
		return fmt.Errorf("sgemm: C is %d long with ldc %d, need %dx%d", len(c), ldc, m, n)
	}
	return nil
}
