package cuda

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"unsafe"

	"github.com/xp-ml/xp/backends/engine/device"
)

// A small model's training step is some 15 to 30 kernels of a few
// microseconds each, so launching them one by one costs more than the
// kernels (credit trained at 163k samples/s on an H200, against 1.9M on one
// CPU core). The device therefore records a step's kernel calls as a list
// of ops and runs whole epochs of steps in one launch of fused_steps
// (kernels.cu), one block on one multiprocessor, which also lets the
// points of a sweep train side by side on one GPU. Large models keep one
// launch per kernel: their GEMMs need the whole GPU and cuBLAS.
//
// The ops are the kernels run by the same code, so they give the same
// bits, except the GEMM: fused_steps has its own (cuBLAS cannot run inside
// a kernel), which sums each dot product in order with fused
// multiply-adds. A fused run's bits therefore differ from an unfused
// one's, and whether a model's steps are fused is decided from the model
// alone (worthFusing), never from the machine's state, so that a run key
// always names one arithmetic.

// Op kinds, in the order of kernels.cu's enum (TestOpKindsMatchKernels).
const (
	opGemm = iota
	opBiasAct
	opAct
	opActBackward
	opColSums
	opBNStats
	opBNApply
	opBNBackwardSums
	opBNBackwardDx
	opDropoutMask
	opMul
	opScale
	opSoftmaxXent
	opWxentPrep
	opWxent
	opReduceLoss
	opBCE
	opRegressionLoss
	opSGD
	opAdam
	opRMSprop
	opSumsq
	opClipApply
	opGather
	opCopyColumns
	opEmbeddingGather
	opEmbeddingScatterAdd
	opCount
)

const (
	opWords      = 16   // 64-bit words per op: its kind and up to 15 arguments
	maxOps       = 96   // fused_steps keeps the ops in shared memory
	planWords    = 16   // 32-bit words per step of the plan (step_consts)
	fusedThreads = 1024 // fused_steps' block, unless the GPU allows fewer
)

// FusePolicy names the rule that decides which models are fused; it is
// part of the backend version, hence of run keys: change it whenever
// worthFusing or the fused arithmetic changes.
const FusePolicy = "fuse1"

// FuseEnv set to "off" runs every step as one launch per kernel, with
// cuBLAS's GEMMs: the arithmetic of xp before steps were fused. The
// backend version says "fuse=off" then, so such runs have keys of their
// own.
const FuseEnv = "XP_CUDA_FUSE"

// policy is the fusing part of the backend version.
func policy() string {
	if os.Getenv(FuseEnv) == "off" {
		return "fuse=off"
	}
	return FusePolicy
}

var errRecordingCopy = errors.New("cuda: a recorded step copies between host and GPU")

// fused is the device's recorded step and the epoch's plan.
type fused struct {
	recording *recording // between the start and the end of Record

	ops     []uint64 // the recorded step; nil when steps are not fused
	opsPtr  uint64
	threads int
	smem    int          // bytes of dynamic shared memory for the GEMM's staging
	gathers []hostGather // the step's batch assembly, for data not on the GPU

	plan     []device.StepPlan
	order    []int32
	batch    int
	uploaded bool     // the plan and order are on the GPU
	host     []uint32 // the plan's encoding
	planBuf  *Buffer
	orderBuf *Buffer
}

// recording collects a step's ops while Record runs.
type recording struct {
	ops       []uint64
	err       error  // a per-step value that is not the plan's
	unfusable string // why the step cannot be fused, or ""
	macs      int64  // the step's multiply-adds in GEMMs
	elems     int64  // the elements its other ops touch
	launches  int    // kernel launches it takes unfused
	gathers   []hostGather
}

// hostGather is one batch assembly of the recorded step: replayed on the
// GPU when its arrays are resident, else gathered on the host per step.
type hostGather struct {
	dst      *Buffer
	labels   *Labels
	src      []float32
	labelSrc []int32
	width    int
	resident bool
}

// PlanEpoch implements device.Replayer.
func (d *Device) PlanEpoch(order []int32, batch int, plan []device.StepPlan) error {
	if batch <= 0 || len(plan) != (len(order)+batch-1)/batch {
		return fmt.Errorf("cuda: plan of %d steps of %d rows over %d rows", len(plan), batch, len(order))
	}
	f := &d.fused
	f.order, f.batch, f.plan, f.uploaded = order, batch, plan, false
	return nil
}

// Record implements device.Replayer.
func (d *Device) Record(step func() error) (bool, error) {
	f := &d.fused
	if len(f.plan) == 0 || len(f.order) < f.batch {
		return false, errors.New("cuda: record: no full batch planned")
	}
	f.recording = &recording{}
	err := step()
	rec := f.recording
	f.recording = nil
	switch {
	case err != nil:
		return false, err
	case rec.err != nil:
		return false, rec.err
	}
	d.enter()
	defer d.leave()
	threads, smem, err := d.fusedLaunch()
	if err != nil || threads < 256 {
		return false, err
	}
	rec.checkGemms(threads, smem/4)
	if !fusing(rec) {
		return false, nil
	}
	p, err := d.alloc(8 * len(rec.ops))
	if err != nil {
		return false, err
	}
	if err := d.drv.check("cuda: record (cuMemcpyHtoDAsync)", d.copyIn(p, unsafe.Pointer(&rec.ops[0]), 8*len(rec.ops))); err != nil {
		return false, err
	}
	f.ops, f.opsPtr, f.threads, f.smem, f.gathers = rec.ops, p, threads, smem, rec.gathers
	return true, nil
}

// gemmQ is kernels.cu's GEMM_Q: the outputs a thread of fused_steps
// computes per pass of a GEMM.
const gemmQ = 8

// checkGemms marks the step unfusable when a GEMM's staging, one row of
// op(A) per output row of a pass and all of op(B)'s columns, does not fit
// floats of shared memory at one term of k.
func (r *recording) checkGemms(threads, floats int) {
	for i := 0; i < len(r.ops); i += opWords {
		if r.ops[i] != opGemm {
			continue
		}
		a := r.ops[i+1:]
		m, n := int(int32(uint32(a[2]))), int(int32(uint32(a[3])))
		rows := min(m, (gemmQ*threads-1)/max(n, 1)+2)
		if rows+n > floats && r.unfusable == "" {
			r.unfusable = fmt.Sprintf("a %d×%d GEMM does not fit fused_steps' shared memory", m, n)
		}
	}
}

// fusing decides whether a recorded step is replayed fused.
var fusing = func(r *recording) bool { return r.unfusable == "" && policy() == FusePolicy && worthFusing(r) }

// worthFusing estimates a step's time both ways from what it computes: a
// fused step costs a barrier per op and the GEMMs of one multiprocessor,
// an unfused one a launch per kernel and the GEMMs of the whole GPU. The
// rates are round figures measured on an H200 (make gpu-check); they are
// constants, not measured at run time, so that the choice, and with it a
// run's arithmetic, follows from the model alone.
func worthFusing(r *recording) bool {
	const (
		perOp     = 0.3e-6 // a fused op: barrier and loop overhead
		fusedMACs = 50e9   // multiply-adds per second on one multiprocessor
		fusedElem = 20e9   // other elements per second on one multiprocessor
		perLaunch = 4e-6   // launching one kernel from the host
		gpuMACs   = 2e12   // multiply-adds per second of cuBLAS on small GEMMs
	)
	ops := len(r.ops) / opWords
	if ops > maxOps {
		return false
	}
	fusedTime := float64(ops)*perOp + float64(r.macs)/fusedMACs + float64(r.elems)/fusedElem
	launchTime := float64(r.launches)*perLaunch + float64(r.macs)/gpuMACs
	return fusedTime < launchTime
}

// fusedLaunch is fused_steps' block on this GPU: 1024 threads, or the
// most a block may have with the kernel's registers, in whole groups of
// 256 (the reductions' shape); and the dynamic shared memory it gets for
// the GEMM's staging: at most maxGemmShared, within what a block may opt
// into beside the kernel's own.
func (d *Device) fusedLaunch() (threads, smem int, err error) {
	const (
		maxThreadsPerBlock = 0 // CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK
		sharedSizeBytes    = 1 // CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES
		maxDynamicShared   = 8 // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
		maxGemmShared      = 128 << 10
	)
	fn := d.c.k.fusedSteps
	var n, static int32
	if err := d.drv.check("cuFuncGetAttribute", d.drv.call(d.drv.funcGetAttribute, ptr(&n), maxThreadsPerBlock, fn)); err != nil {
		return 0, 0, fmt.Errorf("cuda: %w", err)
	}
	if err := d.drv.check("cuFuncGetAttribute", d.drv.call(d.drv.funcGetAttribute, ptr(&static), sharedSizeBytes, fn)); err != nil {
		return 0, 0, fmt.Errorf("cuda: %w", err)
	}
	smem = min(maxGemmShared, d.c.gpu.SharedOptIn-int(static)-1024) / 16 * 16
	if smem < 16<<10 {
		return 0, 0, nil // a GPU with too little shared memory: nothing is fused
	}
	if err := d.drv.check("cuFuncSetAttribute", d.drv.call(d.drv.funcSetAttribute, fn, maxDynamicShared, uintptr(smem))); err != nil {
		return 0, 0, fmt.Errorf("cuda: %w", err)
	}
	return min(fusedThreads, int(n)/256*256), smem, nil
}

// Replay implements device.Replayer.
func (d *Device) Replay(first, k int) error {
	f := &d.fused
	if f.ops == nil {
		return errors.New("cuda: replay: no step recorded")
	}
	if first < 0 || k < 0 || first+k > len(f.plan) || (first+k)*f.batch > len(f.order) {
		return fmt.Errorf("cuda: replay steps [%d, %d) of a plan of %d over %d rows", first, first+k, len(f.plan), len(f.order))
	}
	if k == 0 {
		return nil
	}
	d.enter()
	defer d.leave()
	if !f.uploaded {
		if err := d.uploadPlan(); err != nil {
			return err
		}
	}
	if !slices.ContainsFunc(f.gathers, func(g hostGather) bool { return !g.resident }) {
		d.launchFused(first, k, false)
		return d.err
	}
	for s := first; s < first+k; s++ {
		rows := f.order[s*f.batch : (s+1)*f.batch]
		for _, g := range f.gathers {
			if err := d.gatherOnHost(g.dst, g.labels, g.src, g.labelSrc, g.width, rows); err != nil {
				return err
			}
		}
		d.launchFused(s, 1, true)
	}
	return d.err
}

func (d *Device) launchFused(first, k int, gathered bool) {
	f := &d.fused
	g := 0
	if gathered {
		g = 1
	}
	d.launchShared("fused_steps", d.c.k.fusedSteps, 1, f.threads, 1, f.smem,
		f.opsPtr, i32(len(f.ops)/opWords), f.planBuf.ptr, f.orderBuf.ptr, i32(f.batch), i32(first), i32(k), i32(g),
		i32(f.smem/4))
}

// uploadPlan copies the epoch's plan, encoded as fused_steps' step_consts,
// and its order to the GPU, queued after the steps of the last epoch.
func (d *Device) uploadPlan() error {
	f := &d.fused
	f.host = encodePlan(f.host[:0], f.plan, f.ops)
	var err error
	if f.planBuf, err = d.grow(f.planBuf, len(f.host)); err != nil {
		return err
	}
	if f.orderBuf, err = d.grow(f.orderBuf, len(f.order)); err != nil {
		return err
	}
	if err := d.drv.check("cuda: plan (cuMemcpyHtoDAsync)", d.copyIn(f.planBuf.ptr, unsafe.Pointer(&f.host[0]), 4*len(f.host))); err != nil {
		return err
	}
	if n := len(f.order); n > 0 {
		if err := d.drv.check("cuda: order (cuMemcpyHtoDAsync)", d.copyIn(f.orderBuf.ptr, unsafe.Pointer(&f.order[0]), 4*n)); err != nil {
			return err
		}
	}
	f.uploaded = true
	return nil
}

// grow returns b, or a new buffer of at least n 32-bit words when b is
// smaller (after the work that may still read b).
func (d *Device) grow(b *Buffer, n int) (*Buffer, error) {
	if b != nil && b.n >= n {
		return b, nil
	}
	d.wait()
	p, err := d.alloc(4 * max(n, 1))
	if err != nil {
		return nil, err
	}
	return &Buffer{ptr: p, n: max(n, 1)}, nil
}

// encodePlan appends plan as step_consts: the loss slot, the dropout
// counter, the optimizer kernel's float arguments in its order, and
// AdamW's decay factor.
func encodePlan(dst []uint32, plan []device.StepPlan, ops []uint64) []uint32 {
	optimizer := -1
	for i := 0; i < len(ops); i += opWords {
		if k := int(ops[i]); k == opSGD || k == opAdam || k == opRMSprop {
			optimizer = k
		}
	}
	for _, p := range plan {
		var w [planWords]uint32
		w[0] = uint32(int32(p.Slot))
		w[2], w[3] = uint32(uint64(p.Step)), uint32(uint64(p.Step)>>32)
		opt := w[4:12]
		switch optimizer {
		case opSGD:
			putFloats(opt, p.SGD.LR, p.SGD.Momentum, p.SGD.WeightDecay)
		case opAdam:
			a := p.Adam
			putFloats(opt, a.WeightDecay, a.Beta1, a.OneMinusBeta1, a.Beta2, a.OneMinusBeta2, a.BiasCorrection2Sqrt, a.Eps, -a.StepSize)
		case opRMSprop:
			r := p.RMSprop
			putFloats(opt, r.LR, r.Alpha, r.OneMinusAlpha, r.Eps, r.Momentum, r.WeightDecay)
		}
		w[12] = math.Float32bits(p.Decay)
		dst = append(dst, w[:]...)
	}
	return dst
}

func putFloats(dst []uint32, v ...float32) {
	for i, f := range v {
		dst[i] = math.Float32bits(f)
	}
}

// current is the plan step a recording checks its values against.
func (f *fused) current() *device.StepPlan { return &f.plan[0] }

// mismatch notes a per-step value passed while recording that is not the
// plan's: the engine and the device disagree on what a step is, and a
// replay would train something else.
func (r *recording) mismatch(what string, got, want any) {
	if r.err == nil {
		r.err = fmt.Errorf("cuda: record: %s is %v, the plan says %v", what, got, want)
	}
}

// opOf is the op of a kernel a step launches, or -1 for one that is not
// part of a training step.
func (d *Device) opOf(fn uintptr) int {
	k := &d.c.k
	for _, o := range []struct {
		fn uintptr
		op int
	}{
		{k.biasAct, opBiasAct}, {k.act, opAct}, {k.actBackward, opActBackward}, {k.colSums, opColSums},
		{k.bnStats, opBNStats}, {k.bnApply, opBNApply}, {k.bnBackwardSums, opBNBackwardSums}, {k.bnBackwardDx, opBNBackwardDx},
		{k.dropoutMask, opDropoutMask}, {k.mul, opMul}, {k.scale, opScale}, {k.softmaxXent, opSoftmaxXent},
		{k.wxentPrep, opWxentPrep}, {k.wxent, opWxent}, {k.reduceLoss, opReduceLoss}, {k.bce, opBCE},
		{k.regressionLoss, opRegressionLoss}, {k.sgd, opSGD}, {k.adam, opAdam}, {k.rmsprop, opRMSprop},
		{k.sumsq, opSumsq}, {k.clipApply, opClipApply}, {k.gather, opGather}, {k.copyColumns, opCopyColumns},
		{k.embeddingGather, opEmbeddingGather}, {k.embeddingScatterAdd, opEmbeddingScatterAdd},
	} {
		if o.fn == fn {
			return o.op
		}
	}
	return -1
}

// recordLaunch records a kernel launch of gx blocks of bx×by threads as
// an op.
func (d *Device) recordLaunch(name string, fn uintptr, gx, bx, by int, args []uint64) {
	r := d.fused.recording
	op := d.opOf(fn)
	if op < 0 {
		if r.unfusable == "" {
			r.unfusable = "kernel " + name + " is not part of a training step"
		}
		return
	}
	r.launches++
	r.elems += int64(gx) * int64(bx) * int64(by) // the threads the launch would run: elements, rows or columns
	r.append(op, args)
}

func (r *recording) append(op int, args []uint64) {
	var w [opWords]uint64
	w[0] = uint64(op)
	copy(w[1:], args)
	r.ops = append(r.ops, w[:]...)
}

// recordGemm records a GEMM, row-major as the engine states it.
func (d *Device) recordGemm(transA, transB bool, m, n, k int, alpha float32, a device.Buffer, lda int, b device.Buffer, ldb int, beta float32, c device.Buffer) {
	r := d.fused.recording
	r.launches++
	r.macs += int64(m) * int64(n) * int64(k)
	t := func(v bool) uint64 {
		if v {
			return 1
		}
		return 0
	}
	r.append(opGemm, []uint64{t(transA), t(transB), i32(m), i32(n), i32(k), f32(alpha), buf(a), i32(lda), buf(b), i32(ldb),
		f32(beta), buf(c), i32(n)})
}

// recordGather records a batch assembly: the gather kernel (whose rows
// fused_steps takes from the epoch's order) when the arrays are on the
// GPU, and how to assemble the batch on the host for when they are not.
func (d *Device) recordGather(x *Buffer, y *Labels, src []float32, srcLabels []int32, width int, rows []int32, gx, gy uint64) {
	f := &d.fused
	r := f.recording
	if !slices.Equal(rows, f.order[:f.batch]) && r.err == nil {
		r.err = errors.New("cuda: record: the batch's rows are not the first of the epoch's order")
	}
	resident := gx != 0 && (srcLabels == nil || gy != 0)
	r.gathers = append(r.gathers, hostGather{dst: x, labels: y, src: src, labelSrc: srcLabels, width: width, resident: resident})
	var lp uint64
	if y != nil {
		lp = y.ptr
	}
	if !resident {
		gx, gy = 0, 0 // fused_steps skips the op: the host assembles the batch
	}
	r.launches++
	r.elems += int64(len(rows) * width)
	r.append(opGather, []uint64{x.ptr, lp, gx, gy, i32(width), 0, i32(len(rows))})
}
