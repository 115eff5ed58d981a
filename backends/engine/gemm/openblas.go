package gemm

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/xp-ml/xp/internal/dl"
)

// OpenBLASLibrary is the shared object OpenBLAS is loaded from (Debian's
// libopenblas0; the 32-bit-integer interface).
const OpenBLASLibrary = "libopenblas.so.0"

// openblasLib is the process-wide handle: dlopen once, share between every
// trainer. The symbols are plain C entry points, so no state lives here.
type openblasLib struct {
	sgemm      uintptr // sgemm_: Fortran interface, every argument a pointer
	setThreads uintptr
	config     string // openblas_get_config, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64"
	corename   string
}

var (
	openblasOnce sync.Once
	openblasVal  *openblasLib
	openblasErr  error
)

func loadOpenBLAS() (*openblasLib, error) {
	openblasOnce.Do(func() {
		openblasVal, openblasErr = dlopenOpenBLAS(OpenBLASLibrary)
	})
	return openblasVal, openblasErr
}

func dlopenOpenBLAS(library string) (*openblasLib, error) {
	restore := chooseCoreType()
	h, err := dl.Open(library, false)
	restore()
	if err != nil {
		return nil, fmt.Errorf("%w: load %s: %v", ErrUnavailable, library, err)
	}
	sym := func(name string) (uintptr, error) {
		p, err := dl.Sym(h, name)
		if err != nil {
			return 0, fmt.Errorf("%w: %s has no %s: %v", ErrUnavailable, library, name, err)
		}
		return p, nil
	}
	lib := &openblasLib{}
	for _, s := range []struct {
		name string
		p    *uintptr
	}{
		{"sgemm_", &lib.sgemm},
		{"openblas_set_num_threads", &lib.setThreads},
	} {
		if *s.p, err = sym(s.name); err != nil {
			return nil, err
		}
	}
	// xp splits products over threads itself (see OpenBLAS).
	purego.SyscallN(lib.setThreads, 1)
	// The configuration and core name are informative: an OpenBLAS without
	// them still multiplies correctly.
	if p, err := sym("openblas_get_config"); err == nil {
		r, _, _ := purego.SyscallN(p)
		lib.config = dl.GoString(r)
	}
	if p, err := sym("openblas_get_corename"); err == nil {
		r, _, _ := purego.SyscallN(p)
		lib.corename = dl.GoString(r)
	}
	return lib, nil
}

// chooseCoreType points a DYNAMIC_ARCH OpenBLAS at its AVX-512 kernels
// (SkylakeX) on a processor that has AVX-512 but that OpenBLAS does not
// know: 0.3.21, Debian 12's, takes AMD's Zen 4 and Zen 5 for Haswell and
// runs AVX2 kernels at half the speed (measured on a Zen 5: 175-190 GFLOP/s
// against 95-103 on 1024³, 2× on a small MLP's 32×64×32). It reads
// OPENBLAS_CORETYPE once, while it loads; a value the user set is left
// alone, and ours is removed again afterwards so that child processes do
// not inherit it. The returned func restores the environment.
func chooseCoreType() (restore func()) {
	const key = "OPENBLAS_CORETYPE"
	if _, set := os.LookupEnv(key); set || !hasAVX512() {
		return func() {}
	}
	os.Setenv(key, "SkylakeX")
	return func() { os.Unsetenv(key) }
}

// version returns "0.3.21" from "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
func (l *openblasLib) version() string {
	f := strings.Fields(l.config)
	if len(f) >= 2 && f[0] == "OpenBLAS" {
		return f[1]
	}
	return "unknown"
}

// OpenBLAS is sgemm_ from libopenblas, loaded at run time without cgo.
//
// OpenBLAS's own threads are switched off (openblas_set_num_threads(1),
// process-wide): xp splits a large product into blocks of rows of C itself,
// one sgemm_ call per block on its own goroutine. That keeps small products,
// where OpenBLAS's threads cost more than they save, on the calling thread,
// and keeps trainers that run side by side with different thread counts
// from fighting over one global setting.
//
// The bits depend on the thread count: OpenBLAS computes the last few rows
// of each call with edge kernels that round differently, and a split makes
// more last rows (its own threads split too, with the same effect). A
// given thread count always gives the same bits.
//
// A value holds the scalar arguments sgemm_ takes by pointer, so it must not
// be used from two goroutines at once; make one per trainer.
type OpenBLAS struct {
	lib     *openblasLib
	threads int
	args    []*sgemmArgs // one per thread
	work    chan openblasTask
	done    sync.WaitGroup
}

type openblasTask struct {
	args           *sgemmArgs
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
}

// openblasParallelMin is the smallest m·n·k split over threads: about 40 µs
// of single-threaded work, well above the cost of waking a goroutine.
const openblasParallelMin = 1 << 20

// rowAlign is a multiple of every register block OpenBLAS's SGEMM kernels
// use along the dimension xp splits (its N: 2 to 16 depending on the core),
// so that only the last block has a ragged edge.
const rowAlign = 64

// sgemmArgs lives on the heap for the value's lifetime, so passing pointers
// into it to C allocates nothing per call. argv is the argument vector
// handed to SyscallN as an existing slice: a fresh variadic list would be
// allocated on every call. operands holds the matrices for the duration of
// the call; storing them here also makes them escape, so they are heap
// memory, which Go's collector never moves, rather than stack memory, which
// may move while the call's bookkeeping grows the stack.
type sgemmArgs struct {
	transA, transB byte
	m, n, k        int32
	lda, ldb, ldc  int32
	alpha, beta    float32
	argv           [13]uintptr
	operands       [3][]float32
}

// NewOpenBLAS loads OpenBLAS (once per process) and returns an Sgemm that
// splits large products over threads goroutines, the caller's included.
// Its Name includes the thread count when it is more than one.
func NewOpenBLAS(threads int) (*OpenBLAS, error) {
	lib, err := loadOpenBLAS()
	if err != nil {
		return nil, err
	}
	o := &OpenBLAS{lib: lib, threads: max(threads, 1)}
	for range o.threads {
		o.args = append(o.args, &sgemmArgs{})
	}
	if o.threads > 1 {
		o.work = make(chan openblasTask)
		for range o.threads - 1 {
			go o.worker(o.work)
		}
	}
	return o, nil
}

// OpenBLASName returns the name an OpenBLAS Sgemm would report, or an error
// wrapping ErrUnavailable.
func OpenBLASName() (string, error) {
	lib, err := loadOpenBLAS()
	if err != nil {
		return "", err
	}
	return lib.name(), nil
}

func (l *openblasLib) name() string {
	n := "openblas-" + l.version()
	if l.corename != "" {
		n += "-" + strings.ToLower(l.corename)
	}
	return n
}

// Name is "openblas-<version>-<core>", and "/<n>threads" after it for more
// than one thread: the core is the kernel set OpenBLAS picked for this CPU,
// and it and the thread count decide the bits.
func (o *OpenBLAS) Name() string {
	return Choice{Name: o.lib.name(), OpenBLAS: true}.NameFor(o.threads)
}

// Config is OpenBLAS's own build description.
func (o *OpenBLAS) Config() string { return o.lib.config }

// Close stops the worker goroutines; the library stays loaded for the
// process.
func (o *OpenBLAS) Close() error {
	if o.work != nil {
		close(o.work)
		o.work = nil
	}
	return nil
}

// worker takes its channel as an argument: Close sets the field to nil.
func (o *OpenBLAS) worker(work <-chan openblasTask) {
	for t := range work {
		t.run(o.lib.sgemm)
		o.done.Done()
	}
}

// Sgemm maps the row-major product onto the column-major sgemm_: a row-major
// matrix is its transpose in column-major order, so C = op(A)·op(B) is
// computed as Cᵀ = op(B)ᵀ·op(A)ᵀ with the operands swapped. Arguments that
// would run outside the slices panic, as an out-of-range index does, rather
// than reach C.
func (o *OpenBLAS) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if err := check(transA, transB, m, n, k, a, lda, b, ldb, c, ldc); err != nil {
		panic(err)
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	t := openblasTask{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
	if o.work == nil || m*n*k < openblasParallelMin || m < 2*rowAlign {
		t.args = o.args[0]
		t.run(o.lib.sgemm)
		return
	}
	// Rows of C in contiguous blocks of a multiple of rowAlign rows, the
	// caller taking the last; row i of op(A) starts at a[i·lda] (or,
	// transposed, at column i: a[i]).
	per := (m + o.threads - 1) / o.threads
	per = (per + rowAlign - 1) / rowAlign * rowAlign
	o.done.Add(o.threads - 1)
	for w := range o.threads {
		r0, r1 := min(w*per, m), min((w+1)*per, m)
		u := t
		u.args, u.m, u.c = o.args[w], r1-r0, c[r0*ldc:]
		if transA {
			u.a = a[r0:]
		} else {
			u.a = a[r0*lda:]
		}
		if w == o.threads-1 {
			if u.m > 0 {
				u.run(o.lib.sgemm)
			}
			break
		}
		if u.m == 0 {
			o.done.Done()
			continue
		}
		o.work <- u
	}
	o.done.Wait()
}

// run makes one sgemm_ call with the task's arguments.
func (t *openblasTask) run(fn uintptr) {
	s := t.args
	s.transA, s.transB = flag(t.transB), flag(t.transA)
	s.m, s.n, s.k = int32(t.n), int32(t.m), int32(t.k)
	s.lda, s.ldb, s.ldc = int32(t.ldb), int32(t.lda), int32(t.ldc)
	s.alpha, s.beta = t.alpha, t.beta
	s.operands = [3][]float32{t.a, t.b, t.c}
	s.argv = [13]uintptr{
		uintptr(unsafe.Pointer(&s.transA)), uintptr(unsafe.Pointer(&s.transB)),
		uintptr(unsafe.Pointer(&s.m)), uintptr(unsafe.Pointer(&s.n)), uintptr(unsafe.Pointer(&s.k)),
		uintptr(unsafe.Pointer(&s.alpha)),
		uintptr(unsafe.Pointer(&t.b[0])), uintptr(unsafe.Pointer(&s.lda)),
		uintptr(unsafe.Pointer(&t.a[0])), uintptr(unsafe.Pointer(&s.ldb)),
		uintptr(unsafe.Pointer(&s.beta)),
		uintptr(unsafe.Pointer(&t.c[0])), uintptr(unsafe.Pointer(&s.ldc)),
	}
	purego.SyscallN(fn, s.argv[:]...)
	runtime.KeepAlive(s)
	s.operands = [3][]float32{}
}

func flag(t bool) byte {
	if t {
		return 'T'
	}
	return 'N'
}

// scale does C = beta·C, the whole product when k is 0.
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			if beta == 0 {
				row[j] = 0
			} else {
				row[j] *= beta
			}
		}
	}
}
