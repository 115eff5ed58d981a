package cuda

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"
	"unsafe"

	"github.com/xp-ml/xp/backends/engine/device"
)

// A small model's training step is some 15 to 30 kernels of a few
// microseconds each, so launching them one by one from the host, with
// cuBLAS's GEMMs, costs more than the kernels (credit trained at 163k
// samples/s on an H200, against 1.9M on one CPU core). The device
// therefore records a step's kernel calls as a list of ops and replays
// them itself, in one of several modes that give the same bits:
//
//   - fused_steps: whole epochs of steps in one launch of one block on one
//     multiprocessor (in two block sizes, each with the GEMM read from
//     global memory or staged in shared memory);
//   - calls: the ops launched one by one, with no engine in between.
//
// Which mode is fastest depends on the model and the GPU, and since their
// bits are the same, the device times each on a few steps of the first
// epoch and keeps the fastest (Replay): the choice never changes a result.
//
// The ops are the kernels run by the same code, so they give the same
// bits as the engine's own calls, except the GEMM: a replayed step uses
// xp's (k-order fused multiply-adds; cuBLAS cannot run inside a kernel),
// so a replayed run's bits differ from one run by the engine's calls.
// Which models are replayed is therefore decided from the model alone
// (smallGemms): those whose GEMMs are all small. Large models keep the
// engine's calls and cuBLAS, which their GEMMs need.

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

// FusePolicy names the rule that decides which models are replayed; it is
// part of the backend version, hence of run keys: change it whenever
// smallGemms or the replayed arithmetic changes.
const FusePolicy = "fuse2"

// mode is a way to replay a recorded step; all give the same bits.
type mode int

const (
	modeFused          mode = iota // fused_steps, GEMMs read from global memory
	modeFusedStaged                // fused_steps, GEMMs staged in shared memory
	modeFused512                   // fused_steps_512, GEMMs from global memory
	modeFused512Staged             // fused_steps_512, GEMMs staged
	modeCalls                      // one launch per op
	modeCount
	modeTune mode = -1 // not chosen yet: each is timed on a few steps
)

var modeNames = [modeCount]string{"fused", "fused-staged", "fused512", "fused512-staged", "calls"}

func (m mode) String() string {
	if m >= 0 && m < modeCount {
		return modeNames[m]
	}
	return "tune"
}

// tuneSteps is how many steps each mode is timed on.
const tuneSteps = 4

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

	ops     []uint64 // the recorded step; nil when steps are not replayed
	opsPtr  uint64
	threads [2]int       // fused_steps' and fused_steps_512's blocks
	smem    int          // bytes of dynamic shared memory for the GEMM's staging
	gathers []hostGather // the step's batch assembly, for data not on the GPU

	modes []mode                   // the modes this step can run in
	mode  mode                     // the chosen one, or modeTune
	tried [modeCount]time.Duration // each mode's best time per step so far
	trial int                      // the next mode to time, an index in modes
	args  [opWords - 1]uint64      // an op's arguments, for modeCalls

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
	unfusable string // why the step cannot be replayed, or ""
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
	case !replaying(rec):
		return false, nil
	}
	d.enter()
	defer d.leave()
	modes, err := d.replayModes(rec)
	if err != nil {
		return false, err
	}
	p, err := d.alloc(8 * len(rec.ops))
	if err != nil {
		return false, err
	}
	if err := d.drv.check("cuda: record (cuMemcpyHtoDAsync)", d.copyIn(p, unsafe.Pointer(&rec.ops[0]), 8*len(rec.ops))); err != nil {
		return false, err
	}
	f.ops, f.opsPtr, f.gathers, f.modes = rec.ops, p, rec.gathers, modes
	f.mode, f.trial, f.tried = modeTune, 0, [modeCount]time.Duration{}
	if forced != modeTune && slices.Contains(modes, forced) {
		f.mode = forced
	}
	return true, nil
}

// replaying decides whether a recorded step is replayed.
var replaying = func(r *recording) bool { return r.unfusable == "" && policy() == FusePolicy && smallGemms(r) }

// forced, set by tests, is the mode every replay runs in, or modeTune.
var forced = modeTune

// smallGemmMACs bounds the GEMMs of a replayed step: beyond it xp's GEMM,
// one thread an output, is slower than cuBLAS by more than launching a
// step's kernels one by one costs. It is a constant, not measured here, so
// that which arithmetic a model trains with follows from the model alone.
const smallGemmMACs = 4 << 20

// smallGemms reports whether every GEMM of a recorded step is small.
func smallGemms(r *recording) bool {
	for i := 0; i < len(r.ops); i += opWords {
		if r.ops[i] != opGemm {
			continue
		}
		a := r.ops[i+1:]
		if int64(int32(uint32(a[2])))*int64(int32(uint32(a[3])))*int64(int32(uint32(a[4]))) > smallGemmMACs {
			return false
		}
	}
	return true
}

// gemmQ is kernels.cu's GEMM_Q: the outputs a thread of fused_steps
// computes per pass of a GEMM.
const gemmQ = 8

// fitsStaging reports whether every GEMM's staging, one row of op(A) per
// output row of a pass and all of op(B)'s columns, fits floats of shared
// memory at one term of k.
func fitsStaging(ops []uint64, threads, floats int) bool {
	for i := 0; i < len(ops); i += opWords {
		if ops[i] != opGemm {
			continue
		}
		a := ops[i+1:]
		m, n := int(int32(uint32(a[2]))), int(int32(uint32(a[3])))
		if min(m, (gemmQ*threads-1)/max(n, 1)+2)+n > floats {
			return false
		}
	}
	return true
}

// replayModes lists the modes rec can be replayed in on this GPU: always
// one launch per op; fused_steps when the step's ops fit its list and a
// block of it can run, staged when the GEMMs fit its shared memory.
func (d *Device) replayModes(rec *recording) ([]mode, error) {
	modes := []mode{modeCalls}
	if len(rec.ops)/opWords > maxOps {
		return modes, nil
	}
	f := &d.fused
	for i, fn := range []uintptr{d.c.k.fusedSteps, d.c.k.fusedSteps512} {
		threads, smem, err := d.fusedLaunch(fn)
		if err != nil {
			return nil, err
		}
		f.threads[i], f.smem = threads, smem
		if threads < 256 {
			continue
		}
		direct, staged := modeFused, modeFusedStaged
		if i == 1 {
			direct, staged = modeFused512, modeFused512Staged
		}
		modes = append(modes, direct)
		if smem > 0 && fitsStaging(rec.ops, threads, smem/4) {
			modes = append(modes, staged)
		}
	}
	return modes, nil
}

// fusedLaunch is the block of fused kernel fn on this GPU: as many threads
// as its launch bounds, or the most a block may have with its registers,
// in whole groups of 256 (the reductions' shape); and the dynamic shared
// memory it gets for the GEMM's staging: at most maxGemmShared, within
// what a block may opt into beside the kernel's own, or 0.
func (d *Device) fusedLaunch(fn uintptr) (threads, smem int, err error) {
	const (
		maxThreadsPerBlock = 0 // CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK
		sharedSizeBytes    = 1 // CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES
		maxDynamicShared   = 8 // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
		maxGemmShared      = 128 << 10
	)
	var n, static int32
	if err := d.drv.check("cuFuncGetAttribute", d.drv.call(d.drv.funcGetAttribute, ptr(&n), maxThreadsPerBlock, fn)); err != nil {
		return 0, 0, fmt.Errorf("cuda: %w", err)
	}
	if err := d.drv.check("cuFuncGetAttribute", d.drv.call(d.drv.funcGetAttribute, ptr(&static), sharedSizeBytes, fn)); err != nil {
		return 0, 0, fmt.Errorf("cuda: %w", err)
	}
	smem = min(maxGemmShared, d.c.gpu.SharedOptIn-int(static)-1024) / 16 * 16
	if smem < 16<<10 {
		smem = 0
	} else if err := d.drv.check("cuFuncSetAttribute", d.drv.call(d.drv.funcSetAttribute, fn, maxDynamicShared, uintptr(smem))); err != nil {
		return 0, 0, fmt.Errorf("cuda: %w", err)
	}
	return min(fusedThreads, int(n)/256*256), smem, nil
}

// Replay implements device.Replayer. Until a mode is chosen, each mode
// the step can run in runs tuneSteps steps, the GPU waited for before and
// after; then the fastest runs the rest.
func (d *Device) Replay(first, k int) error {
	f := &d.fused
	if f.ops == nil {
		return errors.New("cuda: replay: no step recorded")
	}
	if first < 0 || k < 0 || first+k > len(f.plan) || (first+k)*f.batch > len(f.order) {
		return fmt.Errorf("cuda: replay steps [%d, %d) of a plan of %d over %d rows", first, first+k, len(f.plan), len(f.order))
	}
	d.enter()
	defer d.leave()
	if k > 0 && !f.uploaded {
		if err := d.uploadPlan(); err != nil {
			return err
		}
	}
	for k > 0 {
		m, n := f.mode, k
		if m == modeTune {
			m, n = f.modes[f.trial], min(k, tuneSteps)
			d.wait()
		}
		t0 := time.Now()
		if err := d.runSteps(m, first, n); err != nil {
			return err
		}
		if f.mode == modeTune {
			d.wait()
			f.timed(m, time.Since(t0)/time.Duration(n))
		}
		first, k = first+n, k-n
	}
	return d.err
}

// timed notes a trial of mode m and, after the last mode's, chooses the
// fastest.
func (f *fused) timed(m mode, perStep time.Duration) {
	f.tried[m] = perStep
	if f.trial++; f.trial < len(f.modes) {
		return
	}
	f.mode = f.modes[0]
	for _, c := range f.modes {
		if f.tried[c] < f.tried[f.mode] {
			f.mode = c
		}
	}
}

// runSteps queues plan steps [first, first+k) in mode m. The caller is
// between enter and leave.
func (d *Device) runSteps(m mode, first, k int) error {
	f := &d.fused
	resident := !slices.ContainsFunc(f.gathers, func(g hostGather) bool { return !g.resident })
	if resident && m != modeCalls {
		d.launchFused(m, first, k, false)
		return nil
	}
	for s := first; s < first+k; s++ {
		if !resident {
			rows := f.order[s*f.batch : (s+1)*f.batch]
			for _, g := range f.gathers {
				if err := d.gatherOnHost(g.dst, g.labels, g.src, g.labelSrc, g.width, rows); err != nil {
					return err
				}
			}
		}
		if m == modeCalls {
			d.launchOps(s, !resident)
		} else {
			d.launchFused(m, s, 1, true)
		}
	}
	return nil
}

func (d *Device) launchFused(m mode, first, k int, gathered bool) {
	f := &d.fused
	fn, threads := d.c.k.fusedSteps, f.threads[0]
	if m == modeFused512 || m == modeFused512Staged {
		fn, threads = d.c.k.fusedSteps512, f.threads[1]
	}
	staged, smem := 0, 0
	if m == modeFusedStaged || m == modeFused512Staged {
		staged, smem = 1, f.smem
	}
	g := 0
	if gathered {
		g = 1
	}
	d.launchShared("fused_steps", fn, 1, threads, 1, smem,
		f.opsPtr, i32(len(f.ops)/opWords), f.planBuf.ptr, f.orderBuf.ptr, i32(f.batch), i32(first), i32(k), i32(g),
		i32(smem/4), i32(staged))
}

// launchOps launches plan step s's ops one by one, each as the kernel it
// was recorded from (a GEMM as xp's gemm kernel), with the step's own
// values in place of the recorded ones: fused_steps' substitutions.
func (d *Device) launchOps(s int, gathered bool) {
	f := &d.fused
	p := &f.plan[s]
	for i := 0; i < len(f.ops); i += opWords {
		op := int(f.ops[i])
		a := f.args[:]
		copy(a, f.ops[i+1:i+opWords])
		switch op {
		case opGemm:
			m, n := int(int32(uint32(a[2]))), int(int32(uint32(a[3])))
			d.launchShared("gemm", d.c.k.gemm, d.blocks(m*n), threads, 1, 0, a[:13]...)
			continue
		case opGather:
			if gathered {
				continue
			}
			a[5] = f.orderBuf.ptr + 4*uint64(s*f.batch)
		case opDropoutMask:
			a[3] = uint64(p.Step)
		case opReduceLoss:
			a[5] = i32(p.Slot)
		case opScale:
			a[2] = f32(p.Decay)
		case opSGD, opAdam, opRMSprop:
			var w [8]uint32
			at := 5
			if op == opSGD {
				at = 4
			}
			for j, v := range w[:putOptimizer(w[:], op, p)] {
				a[at+j] = uint64(v)
			}
		}
		gx, bx, by := int(uint32(f.ops[i+opWords-1])), int(uint16(f.ops[i+opWords-1]>>32)), int(uint16(f.ops[i+opWords-1]>>48))
		d.launchShared("replayed op", d.opKernel(op), gx, bx, by, 0, a[:13]...)
	}
}

// opKernel is the kernel an op was recorded from.
func (d *Device) opKernel(op int) uintptr {
	k := &d.c.k
	return [opCount]uintptr{
		opGemm: k.gemm, opBiasAct: k.biasAct, opAct: k.act, opActBackward: k.actBackward, opColSums: k.colSums,
		opBNStats: k.bnStats, opBNApply: k.bnApply, opBNBackwardSums: k.bnBackwardSums, opBNBackwardDx: k.bnBackwardDx,
		opDropoutMask: k.dropoutMask, opMul: k.mul, opScale: k.scale, opSoftmaxXent: k.softmaxXent,
		opWxentPrep: k.wxentPrep, opWxent: k.wxent, opReduceLoss: k.reduceLoss, opBCE: k.bce,
		opRegressionLoss: k.regressionLoss, opSGD: k.sgd, opAdam: k.adam, opRMSprop: k.rmsprop, opSumsq: k.sumsq,
		opClipApply: k.clipApply, opGather: k.gather, opCopyColumns: k.copyColumns,
		opEmbeddingGather: k.embeddingGather, opEmbeddingScatterAdd: k.embeddingScatterAdd,
	}[op]
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
	for i := range plan {
		p := &plan[i]
		var w [planWords]uint32
		w[0] = uint32(int32(p.Slot))
		w[2], w[3] = uint32(uint64(p.Step)), uint32(uint64(p.Step)>>32)
		putOptimizer(w[4:12], optimizer, p)
		w[12] = math.Float32bits(p.Decay)
		dst = append(dst, w[:]...)
	}
	return dst
}

// putOptimizer writes the float arguments that optimizer op's kernel takes
// after its count, in the kernel's order, as p sets them, and returns how
// many.
func putOptimizer(dst []uint32, op int, p *device.StepPlan) int {
	put := func(v ...float32) int {
		for i, f := range v {
			dst[i] = math.Float32bits(f)
		}
		return len(v)
	}
	switch op {
	case opSGD:
		return put(p.SGD.LR, p.SGD.Momentum, p.SGD.WeightDecay)
	case opAdam:
		a := &p.Adam
		return put(a.WeightDecay, a.Beta1, a.OneMinusBeta1, a.Beta2, a.OneMinusBeta2, a.BiasCorrection2Sqrt, a.Eps, -a.StepSize)
	case opRMSprop:
		r := &p.RMSprop
		return put(r.LR, r.Alpha, r.OneMinusAlpha, r.Eps, r.Momentum, r.WeightDecay)
	}
	return 0
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
// an op, its launch geometry in the op's last word.
func (d *Device) recordLaunch(name string, fn uintptr, gx, bx, by int, args []uint64) {
	r := d.fused.recording
	op := d.opOf(fn)
	if op < 0 {
		if r.unfusable == "" {
			r.unfusable = "kernel " + name + " is not part of a training step"
		}
		return
	}
	r.append(op, args)
	r.ops[len(r.ops)-1] = uint64(uint32(gx)) | uint64(uint16(bx))<<32 | uint64(uint16(by))<<48
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
	r.append(opGather, []uint64{x.ptr, lp, gx, gy, i32(width), 0, i32(len(rows))})
	n := len(rows) * width
	r.ops[len(r.ops)-1] = uint64(uint32(d.blocks(n))) | uint64(threads)<<32 | 1<<48
}
