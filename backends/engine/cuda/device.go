package cuda

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/xp-ml/xp/backends/engine/device"
)

// Buffer is float32 memory on the GPU.
type Buffer struct {
	ptr uint64 // CUdeviceptr
	n   int
}

// Len implements device.Buffer.
func (b *Buffer) Len() int { return b.n }

// Labels is int32 memory on the GPU.
type Labels struct {
	ptr uint64
	n   int
}

// Len implements device.Labels.
func (l *Labels) Len() int { return l.n }

var (
	_ device.Device   = (*Device)(nil)
	_ device.Replayer = (*Device)(nil)
	_ device.Buffer   = (*Buffer)(nil)
	_ device.Labels   = (*Labels)(nil)
)

// ringSlots is how many batches' row indices can be queued before the
// host waits for the GPU: the host writes each batch's indices into its
// own slot of pinned memory, and a slot is written again only after a
// synchronisation that the copy out of it preceded.
const ringSlots = 64

// syncEvery is how many Syncs (one per training step) pass between real
// waits for the GPU: in between, Sync only reports errors already seen, so
// the host queues the next steps while the GPU runs this one.
const syncEvery = 32

// Device is the engine's device on one NVIDIA GPU. Every kernel, copy and
// GEMM goes to the device's own stream, so they run in the order they are
// queued; devices on one GPU (the points of a sweep) share its context
// and run side by side, each on its stream. It is used by one goroutine at
// a time; each method locks that goroutine to its OS thread and makes the
// GPU's context current there.
type Device struct {
	drv  *driver
	blas *cublas
	c    *gpuContext

	stream      uintptr // CUstream, non-blocking: nothing else orders it
	handle      uintptr // cublasHandle_t
	alpha, beta float32 // GEMM scalars, read by cuBLAS during the call

	// arguments of the kernel being launched: vals holds their values,
	// ptrs the address of each (cuLaunchKernel's kernelParams), argv
	// cuLaunchKernel's own arguments; gemmArgv cublasSgemm's. All are heap
	// memory that lives as long as the device, so no call allocates.
	vals     [16]uint64
	ptrs     [16]uintptr
	argv     [11]uintptr
	gemmArgv [14]uintptr
	oneArg   [1]uintptr
	copyArgv [4]uintptr

	allocs  []uint64 // every cuMemAlloc, freed by Close
	scratch *Buffer  // float64 scratch for reductions, grown at the first step
	partial *Buffer  // clip's 256 float64 partial sums

	data   dataset // the training set, see Gather
	fused  fused   // recorded training steps, see Record
	syncs  int     // Syncs so far
	err    error
	closed bool
}

// Open makes a device on GPU ordinal: the driver, cuBLAS and the GPU's
// context with the kernels loaded. Its errors say in one line why CUDA
// cannot run.
func Open(ordinal int) (*Device, error) {
	drv, err := loadDriver()
	if err != nil {
		return nil, err
	}
	blas, err := loadCUBLAS()
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c, err := openContext(drv, ordinal)
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: %w", ordinal, err)
	}
	d := &Device{drv: drv, blas: blas, c: c}
	for i := range d.ptrs {
		d.ptrs[i] = uintptr(unsafe.Pointer(&d.vals[i]))
	}
	const nonBlocking = 1 // CU_STREAM_NON_BLOCKING
	if err := drv.check("cuStreamCreate", drv.call(drv.streamCreate, ptr(&d.stream), nonBlocking)); err != nil {
		return nil, fmt.Errorf("cuda:%d: %w", ordinal, err)
	}
	if r := callC(blas.create, ptr(&d.handle)); r != 0 {
		drv.call(drv.streamDestroy, d.stream)
		return nil, fmt.Errorf("cuda:%d: cublasCreate: status %d", ordinal, r)
	}
	if r := callC(blas.setStream, d.handle, d.stream); r != 0 {
		callC(blas.destroy, d.handle)
		drv.call(drv.streamDestroy, d.stream)
		return nil, fmt.Errorf("cuda:%d: cublasSetStream: status %d", ordinal, r)
	}
	// Plain float32 products, never TF32 tensor-core ones: the engine
	// promises float32 results that match the CPU's within a float32
	// tolerance (PyTorch makes the same choice by default).
	if r := callC(blas.setMathMode, d.handle, 0); r != 0 {
		callC(blas.destroy, d.handle)
		drv.call(drv.streamDestroy, d.stream)
		return nil, fmt.Errorf("cuda:%d: cublasSetMathMode: status %d", ordinal, r)
	}
	return d, nil
}

// enter pins the goroutine to its thread and makes the context current
// there; leave undoes the pin. Every method that talks to the driver runs
// between the two.
func (d *Device) enter() {
	runtime.LockOSThread()
	d.oneArg[0] = d.c.ctx
	r, _, _ := purego.SyscallN(d.drv.ctxSetCurrent, d.oneArg[:]...)
	d.record("cuCtxSetCurrent", result(r))
}

func (d *Device) leave() { runtime.UnlockOSThread() }

// record keeps the first failure for Sync to report.
func (d *Device) record(what string, r result) {
	if r != 0 && d.err == nil {
		d.err = fmt.Errorf("cuda: %s", d.drv.check(what, r))
	}
}

// Name implements device.Device.
func (d *Device) Name() string { return "cuda" }

// PCIBusID names the device's GPU on the PCI bus, as NVML knows it too.
func (d *Device) PCIBusID() string { return d.c.gpu.PCIBusID }

// Version names the GPU, its compute capability, the driver, cuBLAS and
// the kernels.
func (d *Device) Version() string { return versionOf(d.drv, d.blas, d.c.gpu) }

func (d *Device) alloc(bytes int) (uint64, error) {
	var p uint64
	if err := d.drv.check("cuMemAlloc", d.drv.call(d.drv.memAlloc, ptr(&p), uintptr(max(bytes, 4)))); err != nil {
		return 0, fmt.Errorf("cuda: alloc %d bytes on %s: %w", bytes, d.c.gpu.Name, err)
	}
	d.allocs = append(d.allocs, p)
	if err := d.drv.check("cuMemsetD32Async", d.drv.call(d.drv.memsetD32Async, uintptr(p), 0, uintptr(max(bytes, 4)/4), d.stream)); err != nil {
		return 0, fmt.Errorf("cuda: zero %d bytes: %w", bytes, err)
	}
	return p, nil
}

// Alloc implements device.Device.
func (d *Device) Alloc(n int) (device.Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("cuda: alloc %d floats", n)
	}
	d.enter()
	defer d.leave()
	p, err := d.alloc(4 * n)
	if err != nil {
		return nil, err
	}
	return &Buffer{ptr: p, n: n}, nil
}

// View implements device.Device.
func (d *Device) View(b device.Buffer, off, n int) (device.Buffer, error) {
	s := b.(*Buffer)
	if off < 0 || n < 0 || off+n > s.n {
		return nil, fmt.Errorf("cuda: view [%d, %d) of %d floats", off, off+n, s.n)
	}
	return &Buffer{ptr: s.ptr + 4*uint64(off), n: n}, nil
}

// AllocLabels implements device.Device.
func (d *Device) AllocLabels(n int) (device.Labels, error) {
	if n < 0 {
		return nil, fmt.Errorf("cuda: alloc %d labels", n)
	}
	d.enter()
	defer d.leave()
	p, err := d.alloc(4 * n)
	if err != nil {
		return nil, err
	}
	return &Labels{ptr: p, n: n}, nil
}

// Write implements device.Device: a copy queued after the work before it.
// From pageable memory the driver stages src before returning, so the
// caller may reuse it at once.
func (d *Device) Write(dst device.Buffer, src []float32) error {
	b := dst.(*Buffer)
	if len(src) > b.n {
		return fmt.Errorf("cuda: write %d floats into %d", len(src), b.n)
	}
	if len(src) == 0 {
		return nil
	}
	if d.fused.recording != nil {
		return errRecordingCopy
	}
	d.enter()
	defer d.leave()
	return d.drv.check("cuda: write (cuMemcpyHtoDAsync)", d.copyIn(b.ptr, unsafe.Pointer(&src[0]), 4*len(src)))
}

// copyIn queues a copy of bytes from host memory at src to the GPU at dst
// on the device's stream. The caller is between enter and leave.
func (d *Device) copyIn(dst uint64, src unsafe.Pointer, bytes int) result {
	d.copyArgv = [4]uintptr{uintptr(dst), uintptr(src), uintptr(bytes), d.stream}
	r, _, _ := purego.SyscallN(d.drv.memcpyHtoDAsync, d.copyArgv[:]...)
	return result(r)
}

// Read implements device.Device: it waits for the work queued before it.
func (d *Device) Read(dst []float32, src device.Buffer) error {
	b := src.(*Buffer)
	if len(dst) > b.n {
		return fmt.Errorf("cuda: read %d floats from %d", len(dst), b.n)
	}
	if len(dst) == 0 {
		return nil
	}
	if d.fused.recording != nil {
		return errRecordingCopy
	}
	d.enter()
	defer d.leave()
	d.copyArgv = [4]uintptr{ptr(&dst[0]), uintptr(b.ptr), uintptr(4 * len(dst)), d.stream}
	r, _, _ := purego.SyscallN(d.drv.memcpyDtoHAsync, d.copyArgv[:]...)
	if err := d.drv.check("cuda: read (cuMemcpyDtoHAsync)", result(r)); err != nil {
		return err
	}
	d.wait() // into pageable memory the copy is done on return; this also makes it so for pinned
	return d.err
}

// Sync implements device.Device. It returns the first error since the
// last Sync; it waits for the GPU only every syncEvery calls, so that the
// host queues the next training steps while the GPU runs the last ones
// (the engine's per-batch Sync would otherwise leave the GPU idle while
// the host queues each step). Read always waits.
func (d *Device) Sync() error {
	if d.fused.recording != nil {
		return nil
	}
	d.syncs++
	if d.syncs%syncEvery == 0 {
		d.enter()
		d.wait()
		d.leave()
	}
	err := d.err
	d.err = nil
	return err
}

// Close waits for the GPU and frees the device's memory and cuBLAS handle.
// The context and the loaded kernels stay for the next trainer.
func (d *Device) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	d.enter()
	defer d.leave()
	err := d.drv.check("cuda: close (cuStreamSynchronize)", d.drv.call(d.drv.streamSynchronize, d.stream))
	for _, p := range d.allocs {
		d.drv.call(d.drv.memFree, uintptr(p))
	}
	d.allocs = nil
	d.data.free(d)
	d.fused = fused{}
	callC(d.blas.destroy, d.handle)
	d.drv.call(d.drv.streamDestroy, d.stream)
	return err
}

// Gemm implements device.Device with cublasSgemm. cuBLAS is column-major:
// a row-major matrix is its transpose, so C = op(A)·op(B) is computed as
// Cᵀ = op(B)ᵀ·op(A)ᵀ, B first.
func (d *Device) Gemm(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, b device.Buffer, beta float32, c device.Buffer) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	if d.fused.recording != nil {
		d.recordGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c)
		return
	}
	d.alpha, d.beta = alpha, beta
	d.enter()
	d.gemmArgv = [14]uintptr{d.handle, op(transB), op(transA), uintptr(n), uintptr(m), uintptr(k),
		uintptr(unsafe.Pointer(&d.alpha)), uintptr(b.(*Buffer).ptr), uintptr(ldb), uintptr(a.(*Buffer).ptr), uintptr(lda),
		uintptr(unsafe.Pointer(&d.beta)), uintptr(c.(*Buffer).ptr), uintptr(n)}
	r, _, _ := purego.SyscallN(d.blas.sgemm, d.gemmArgv[:]...)
	if r != 0 && d.err == nil {
		d.err = fmt.Errorf("cuda: cublasSgemm(%d×%d×%d): status %d", m, n, k, r)
	}
	d.leave()
}

func op(trans bool) uintptr {
	if trans {
		return 1 // CUBLAS_OP_T
	}
	return 0
}

// Launch configuration: elementwise kernels run 256 threads a block over
// at most blocksPerSM blocks a multiprocessor, looping over the rest.
const (
	threads     = 256
	blocksPerSM = 8
)

func (d *Device) blocks(n int) int {
	return max(1, min((n+threads-1)/threads, d.c.gpu.SMs*blocksPerSM))
}

// Kernel arguments travel as 64-bit words, each read by the kernel as its
// parameter's type (the low bytes on this little-endian machine).
func buf(b device.Buffer) uint64 {
	if b == nil {
		return 0
	}
	return b.(*Buffer).ptr
}
func i32(v int) uint64     { return uint64(uint32(int32(v))) }
func f32(v float32) uint64 { return uint64(math.Float32bits(v)) }
func f64(v float64) uint64 { return math.Float64bits(v) }

// launch runs fn with args on a grid of gx blocks of bx×by threads. The
// caller is between enter and leave. args does not escape (it is copied
// into the device's argument slots), so a call allocates nothing.
func (d *Device) launch(name string, fn uintptr, gx, bx, by int, args ...uint64) {
	if d.fused.recording != nil {
		d.recordLaunch(name, fn, gx, bx, by, args)
		return
	}
	d.launchShared(name, fn, gx, bx, by, 0, args...)
}

// launchShared is launch with shared bytes of dynamic shared memory a
// block; it is never recorded.
func (d *Device) launchShared(name string, fn uintptr, gx, bx, by, shared int, args ...uint64) {
	copy(d.vals[:], args)
	d.argv = [11]uintptr{fn, uintptr(gx), 1, 1, uintptr(bx), uintptr(by), 1, uintptr(shared), d.stream,
		uintptr(unsafe.Pointer(&d.ptrs[0])), 0}
	r, _, _ := purego.SyscallN(d.drv.launchKernel, d.argv[:]...)
	d.record(name, result(r))
}

// elementwise launches fn over n elements.
func (d *Device) elementwise(name string, fn uintptr, n int, args ...uint64) {
	if n > 0 {
		d.launch(name, fn, d.blocks(n), threads, 1, args...)
	}
}

// wait blocks until the GPU has done everything queued on the device's
// stream.
func (d *Device) wait() {
	d.oneArg[0] = d.stream
	r, _, _ := purego.SyscallN(d.drv.streamSynchronize, d.oneArg[:]...)
	d.record("cuStreamSynchronize", result(r))
	d.data.sinceWait = 0
}

// scratchFor returns float64 scratch of at least n values, growing it
// (after waiting for the kernels that may still read the old one) the
// first time a step needs more.
func (d *Device) scratchFor(n int) uint64 {
	if d.scratch != nil && d.scratch.n >= n {
		return d.scratch.ptr
	}
	d.wait()
	p, err := d.alloc(8 * n)
	if err != nil {
		if d.err == nil {
			d.err = err
		}
		return 0
	}
	d.scratch = &Buffer{ptr: p, n: n}
	return p
}
