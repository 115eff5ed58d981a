package gemm_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/xp-ml/xp/backends/engine/gemm"
)

// impls returns every implementation this machine can run, by name.
func impls(t testing.TB, threads int) map[string]gemm.Sgemm {
	t.Helper()
	out := map[string]gemm.Sgemm{"go": gemm.NewGo(threads)}
	o, err := gemm.NewOpenBLAS(threads)
	switch {
	case err == nil:
		out["openblas"] = o
	case errors.Is(err, gemm.ErrUnavailable):
		t.Logf("OpenBLAS path not tested: %v", err)
	default:
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, g := range out {
			g.Close()
		}
	})
	return out
}

type problem struct {
	transA, transB bool
	m, n, k        int
	pad            int // extra stored columns, so lda > the logical width
	alpha, beta    float32
}

func (p problem) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,pad%d,a%g,b%g", p.transA, p.transB, p.m, p.n, p.k, p.pad, p.alpha, p.beta)
}

// operands draws A, B and C with the stored shapes the problem implies.
func (p problem) operands(rng *rand.Rand) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := p.m, p.k
	if p.transA {
		ar, ac = p.k, p.m
	}
	br, bc := p.k, p.n
	if p.transB {
		br, bc = p.n, p.k
	}
	lda, ldb, ldc = ac+p.pad, bc+p.pad, p.n+p.pad
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	return fill(ar * lda), lda, fill(br * ldb), ldb, fill(p.m * ldc), ldc
}

// naive is the float64 definition.
func naive(p problem, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) []float64 {
	out := make([]float64, p.m*p.n)
	for i := range p.m {
		for j := range p.n {
			var s float64
			for q := range p.k {
				var av, bv float32
				if p.transA {
					av = a[q*lda+i]
				} else {
					av = a[i*lda+q]
				}
				if p.transB {
					bv = b[j*ldb+q]
				} else {
					bv = b[q*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			out[i*p.n+j] = float64(p.alpha)*s + float64(p.beta)*float64(c[i*ldc+j])
		}
	}
	return out
}

func TestSgemmMatchesFloat64(t *testing.T) {
	var problems []problem
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {32, 64, 32}, {64, 2, 32}, {32, 64, 2}, {17, 513, 300}, {70, 9, 1030}} {
				problems = append(problems, problem{transA: tA, transB: tB, m: s[0], n: s[1], k: s[2], alpha: 1})
			}
			problems = append(problems,
				problem{transA: tA, transB: tB, m: 9, n: 11, k: 13, pad: 3, alpha: 0.5, beta: 2},
				problem{transA: tA, transB: tB, m: 4, n: 4, k: 0, alpha: 1, beta: 0.5})
		}
	}
	for _, threads := range []int{1, 3} {
		for name, g := range impls(t, threads) {
			for _, p := range problems {
				t.Run(fmt.Sprintf("%s/threads%d/%v", name, threads, p), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(p.m), uint64(p.k)))
					a, lda, b, ldb, c, ldc := p.operands(rng)
					want := naive(p, a, lda, b, ldb, c, ldc)
					g.Sgemm(p.transA, p.transB, p.m, p.n, p.k, p.alpha, a, lda, b, ldb, p.beta, c, ldc)
					for i := range p.m {
						for j := range p.n {
							got, w := float64(c[i*ldc+j]), want[i*p.n+j]
							// float32 accumulation over k terms of unit size.
							if tol := 1e-5 * float64(p.k+4) * (1 + math.Abs(w)); math.Abs(got-w) > tol {
								t.Fatalf("C[%d,%d] = %v, want %v (tol %g)", i, j, got, w, tol)
							}
						}
					}
				})
			}
		}
	}
}

// TestSgemmBetaZeroIgnoresC checks that garbage in C (NaN) does not leak
// into C = A·B, as BLAS promises and the engine relies on.
func TestSgemmBetaZeroIgnoresC(t *testing.T) {
	for name, g := range impls(t, 1) {
		t.Run(name, func(t *testing.T) {
			a := []float32{1, 2, 3, 4}
			b := []float32{5, 6, 7, 8}
			c := []float32{float32(math.NaN()), 1, 2, float32(math.Inf(1))}
			g.Sgemm(false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2)
			if want := []float32{19, 22, 43, 50}; fmt.Sprint(c) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", c, want)
			}
		})
	}
}

// TestThreadsSameBits: the same thread count always gives the same bits;
// the pure-Go kernel also gives the same bits on any thread count (OpenBLAS
// does not, and says so in its Name).
func TestThreadsSameBits(t *testing.T) {
	tests := []struct {
		impl               string
		threads1, threads2 int
	}{
		{"go", 1, 4},
		{"openblas", 1, 1},
		{"openblas", 4, 4},
	}
	// Each large enough for both implementations to split it.
	problems := []problem{
		{transA: true, m: 260, n: 300, k: 200, alpha: 1},
		{transB: true, m: 1031, n: 65, k: 257, alpha: 1},
		{m: 1030, n: 10, k: 257, alpha: 1},
	}
	for _, tt := range tests {
		first, second := impls(t, tt.threads1)[tt.impl], impls(t, tt.threads2)[tt.impl]
		if first == nil {
			continue // logged by impls
		}
		for _, p := range problems {
			t.Run(fmt.Sprintf("%s/threads%d-vs-%d/%v", tt.impl, tt.threads1, tt.threads2, p), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, 2))
				a, lda, b, ldb, c, ldc := p.operands(rng)
				c2 := append([]float32(nil), c...)
				first.Sgemm(p.transA, p.transB, p.m, p.n, p.k, 1, a, lda, b, ldb, 0, c, ldc)
				second.Sgemm(p.transA, p.transB, p.m, p.n, p.k, 1, a, lda, b, ldb, 0, c2, ldc)
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(c2[i]) {
						t.Fatalf("element %d: %v, then %v", i, c[i], c2[i])
					}
				}
			})
		}
	}
}

func TestSgemmAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	for _, threads := range []int{1, 2} {
		for name, g := range impls(t, threads) {
			t.Run(fmt.Sprintf("%s/threads%d", name, threads), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(3, 4))
				p := problem{transB: true, m: 128, n: 128, k: 128, alpha: 1}
				a, lda, b, ldb, c, ldc := p.operands(rng)
				allocs := testing.AllocsPerRun(20, func() {
					g.Sgemm(p.transA, p.transB, p.m, p.n, p.k, 1, a, lda, b, ldb, 0, c, ldc)
				})
				if allocs != 0 {
					t.Fatalf("%v allocations per call", allocs)
				}
			})
		}
	}
}

func TestSgemmRejectsShortSlices(t *testing.T) {
	for name, g := range impls(t, 1) {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic for a C shorter than m×n")
				}
			}()
			g.Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		})
	}
}

func TestChoose(t *testing.T) {
	_, openblasErr := gemm.OpenBLASName()
	tests := []struct {
		env      string
		wantName string // "" when it depends on the machine
		wantErr  bool
	}{
		{env: "go", wantName: gemm.GoName},
		{env: "auto"},
		{env: "openblas", wantErr: openblasErr != nil},
		{env: "mkl", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(gemm.EnvBLAS, tt.env)
			c, err := gemm.Choose()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if tt.wantName != "" && c.Name != tt.wantName {
				t.Fatalf("name %q, want %q", c.Name, tt.wantName)
			}
			if c.OpenBLAS != (openblasErr == nil && tt.env != "go") {
				t.Fatalf("OpenBLAS = %v with %s=%s and load error %v", c.OpenBLAS, gemm.EnvBLAS, tt.env, openblasErr)
			}
		})
	}
}

func BenchmarkSgemm(b *testing.B) {
	shapes := []problem{
		{m: 32, n: 64, k: 32},               // forward, batch 32
		{transA: true, m: 32, n: 64, k: 32}, // weight gradient
		{m: 256, n: 64, k: 32},
		{transA: true, m: 32, n: 64, k: 256},
		{m: 1024, n: 1024, k: 1024},
		{transB: true, m: 1024, n: 1024, k: 1024},
		{transA: true, m: 1024, n: 1024, k: 1024},
	}
	for name, g := range impls(b, 1) {
		for _, p := range shapes {
			b.Run(fmt.Sprintf("%s/tA=%v,tB=%v,%dx%dx%d", name, p.transA, p.transB, p.m, p.n, p.k), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(5, 6))
				a, lda, bb, ldb, c, ldc := p.operands(rng)
				for b.Loop() {
					g.Sgemm(p.transA, p.transB, p.m, p.n, p.k, 1, a, lda, bb, ldb, 0, c, ldc)
				}
				b.ReportMetric(2*float64(p.m*p.n*p.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
