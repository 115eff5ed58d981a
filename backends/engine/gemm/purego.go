package gemm

import (
	"sync"
)

// GoName identifies the pure-Go kernel. Bump the number whenever a change
// can alter a bit of a product (block sizes, summation order).
const GoName = "purego-gemm/1"

const (
	// kc rows of op(B) (and columns of op(A)) are taken per pass, so that a
	// kc×nc block of B stays in L2 while every row of A streams over it.
	kc = 256
	// nc columns of C per pass: a row segment of C (2 KB) stays in L1 while
	// kc/8 passes of eight rows of B add into it.
	nc = 512
	// parallelMin is the smallest m·n·k worth handing to other goroutines:
	// below it, waking them costs more than the product.
	parallelMin = 1 << 17
)

// Go is a cache-blocked SGEMM in plain Go. Go does not vectorise, so the
// kernel is shaped for what its compiler does well: the innermost loop runs
// along a contiguous row of C and adds eight rows of B scaled by eight
// scalars of A, which keeps the scalars in registers, needs one load and one
// store of C per eight multiply-adds, and lets the bounds checks be proven
// away. Each element of C is summed in the same order whatever the number of
// threads, so results do not depend on Threads.
//
// A Go value keeps its scratch and workers; it must not be used from two
// goroutines at once. Close stops the workers.
type Go struct {
	threads int
	pack    []float32 // one kc×nc block of op(B), interleaved by pack
	work    chan goTask
	done    sync.WaitGroup // lives in g so that fanning out allocates nothing
}

type goTask struct {
	rows     [2]int // C rows [from, to)
	kb, nb   int
	alpha    float32
	a        []float32
	lda      int
	transA   bool
	p0, j0   int // offsets of this block in op(A)'s columns and C's columns
	b        []float32
	c        []float32
	ldc      int
	finished *sync.WaitGroup
}

// NewGo returns a pure-Go SGEMM that splits large products over threads
// goroutines (including the caller's).
func NewGo(threads int) *Go {
	g := &Go{threads: max(threads, 1), pack: make([]float32, (kc+7)/8*8*nc)}
	if g.threads > 1 {
		g.work = make(chan goTask)
		for range g.threads - 1 {
			go g.worker(g.work)
		}
	}
	return g
}

// Name returns GoName.
func (g *Go) Name() string { return GoName }

// Close stops the worker goroutines.
func (g *Go) Close() error {
	if g.work != nil {
		close(g.work)
		g.work = nil
	}
	return nil
}

// worker takes its channel as an argument: Close sets the field to nil.
func (g *Go) worker(work <-chan goTask) {
	for t := range work {
		t.run()
		t.finished.Done()
	}
}

// Sgemm implements Sgemm; see the interface for the contract. Arguments
// that would run outside the slices panic, as an out-of-range index does.
func (g *Go) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		panic(err)
	}
	if m == 0 || n == 0 {
		return
	}
	if beta != 1 {
		scale(m, n, beta, c, ldc)
	}
	if k == 0 || alpha == 0 {
		return
	}
	parallel := g.work != nil && m*n*k >= parallelMin && m >= 2*g.threads
	for j0 := 0; j0 < n; j0 += nc {
		nb := min(nc, n-j0)
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			pack(g.pack, transB, b, ldb, p0, j0, kb, nb)
			t := goTask{kb: kb, nb: nb, alpha: alpha, a: a, lda: lda, transA: transA, p0: p0, j0: j0, b: g.pack, c: c, ldc: ldc}
			if !parallel {
				t.rows = [2]int{0, m}
				t.run()
				continue
			}
			g.fanOut(t, m)
		}
	}
}

// fanOut splits the rows of C into one contiguous range per thread; the
// caller takes the last one.
func (g *Go) fanOut(t goTask, m int) {
	wg := &g.done
	t.finished = wg
	per := (m + g.threads - 1) / g.threads
	wg.Add(g.threads - 1)
	for w := range g.threads - 1 {
		u := t
		u.rows = [2]int{min(w*per, m), min((w+1)*per, m)}
		g.work <- u
	}
	t.rows = [2]int{min((g.threads-1)*per, m), m}
	t.run()
	wg.Wait()
}

// pack copies the kb×nb block of op(B) at (p0, j0) into dst in groups of
// eight rows, interleaved: dst[g·8·nb + j·8 + q] = op(B)[p0+8g+q, j0+j].
// The kernel then reads one contiguous stream whatever B's stride (strides
// of a power of two alias in L1) and whether B is transposed. Rows past kb
// are zero, so every group is full.
func pack(dst []float32, transB bool, b []float32, ldb, p0, j0, kb, nb int) {
	groups := (kb + 7) / 8
	dst = dst[:groups*8*nb]
	for g := range groups {
		out := dst[g*8*nb : (g+1)*8*nb]
		for q := range 8 {
			p := 8*g + q
			if p >= kb {
				for j := range nb {
					out[j*8+q] = 0
				}
				continue
			}
			if transB {
				for j := range nb {
					out[j*8+q] = b[(j0+j)*ldb+p0+p]
				}
				continue
			}
			row := b[(p0+p)*ldb+j0:][:nb]
			for j, v := range row {
				out[j*8+q] = v
			}
		}
	}
}

func (t *goTask) run() {
	var as [8]float32
	groups := (t.kb + 7) / 8
	for i := t.rows[0]; i < t.rows[1]; i++ {
		crow := t.c[i*t.ldc+t.j0:][:t.nb]
		for g := range groups {
			t.loadA(&as, i, 8*g)
			axpy8(crow, &as, t.b[g*8*t.nb:][:8*t.nb])
		}
	}
}

// loadA reads alpha·op(A)[i, p0+p : p0+p+8], zero past the block's kb.
func (t *goTask) loadA(as *[8]float32, i, p int) {
	count := min(8, t.kb-p)
	col := t.p0 + p
	if t.transA {
		for q := range count {
			as[q] = t.alpha * t.a[(col+q)*t.lda+i]
		}
	} else {
		for q, v := range t.a[i*t.lda+col:][:count] {
			as[q] = t.alpha * v
		}
	}
	for q := count; q < 8; q++ {
		as[q] = 0
	}
}

// axpy8 adds Σ_q as[q]·B[q, j] to c[j], where bp holds the eight rows of B
// interleaved (bp[j·8+q] = B[q, j]).
func axpy8(c []float32, as *[8]float32, bp []float32) {
	a0, a1, a2, a3, a4, a5, a6, a7 := as[0], as[1], as[2], as[3], as[4], as[5], as[6], as[7]
	for j := range c {
		if len(bp) < 8 {
			return
		}
		x := bp[:8:8]
		c[j] += a0*x[0] + a1*x[1] + a2*x[2] + a3*x[3] + a4*x[4] + a5*x[5] + a6*x[6] + a7*x[7]
		bp = bp[8:]
	}
}
