package cuda

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
)

// kernelsPTX is kernels/kernels.cu compiled to PTX (see kernels/gen.sh).
//
//go:embed kernels/kernels.ptx
var kernelsPTX string

// KernelsDigest identifies the embedded kernels in a backend version: the
// first 12 hex digits of the PTX's SHA-256.
var KernelsDigest = func() string {
	s := sha256.Sum256([]byte(kernelsPTX))
	return hex.EncodeToString(s[:])[:12]
}()

// kernels are the entry points of the loaded module.
type kernels struct {
	biasAct, act, actBackward, colSums                              uintptr
	bnStats, bnApply, bnBackwardSums, bnBackwardDx, bnInfer         uintptr
	dropoutMask, mul, scale, softmaxXent, softmax, wxentPrep, wxent uintptr
	reduceLoss, sgd, adam, rmsprop, sumsq, clipApply, gather        uintptr
	bce, regressionLoss                                             uintptr
	copyColumns, embeddingGather, embeddingScatterAdd               uintptr
	fusedSteps, fusedSteps512, gemm                                 uintptr
}

// gpuContext is one GPU's primary context with the kernels loaded into
// it. It is made once per process and GPU and shared by every trainer on
// that GPU: the driver's JIT compiles the PTX for the GPU once.
type gpuContext struct {
	gpu GPU
	ctx uintptr
	k   kernels
}

var (
	contextsMu sync.Mutex
	contexts   = map[int]*gpuContext{}
)

// openContext returns the context of GPU ordinal, making it the first
// time. The caller's OS thread is locked and the context is current on it
// when it returns without error.
func openContext(drv *driver, ordinal int) (*gpuContext, error) {
	contextsMu.Lock()
	defer contextsMu.Unlock()
	if c, ok := contexts[ordinal]; ok {
		if err := drv.check("cuCtxSetCurrent", drv.call(drv.ctxSetCurrent, c.ctx)); err != nil {
			return nil, err
		}
		return c, nil
	}
	g, err := drv.gpu(ordinal)
	if err != nil {
		return nil, err
	}
	var dev int32
	if err := drv.check("cuDeviceGet", drv.call(drv.deviceGet, ptr(&dev), uintptr(ordinal))); err != nil {
		return nil, err
	}
	c := &gpuContext{gpu: g}
	if err := drv.check("cuDevicePrimaryCtxRetain", drv.call(drv.primaryCtxRetain, ptr(&c.ctx), uintptr(dev))); err != nil {
		return nil, err
	}
	if err := drv.check("cuCtxSetCurrent", drv.call(drv.ctxSetCurrent, c.ctx)); err != nil {
		return nil, err
	}
	image := append([]byte(kernelsPTX), 0)
	var module uintptr
	if err := drv.check("load kernels (cuModuleLoadData)", drv.call(drv.moduleLoadData, ptr(&module), ptr(&image[0]))); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		p    *uintptr
	}{
		{"bias_act", &c.k.biasAct}, {"act", &c.k.act}, {"act_backward", &c.k.actBackward}, {"col_sums", &c.k.colSums},
		{"bn_stats", &c.k.bnStats}, {"bn_apply", &c.k.bnApply}, {"bn_backward_sums", &c.k.bnBackwardSums},
		{"bn_backward_dx", &c.k.bnBackwardDx}, {"bn_infer", &c.k.bnInfer},
		{"dropout_mask", &c.k.dropoutMask}, {"mul", &c.k.mul}, {"scale", &c.k.scale},
		{"softmax_xent", &c.k.softmaxXent}, {"softmax", &c.k.softmax}, {"wxent_prep", &c.k.wxentPrep}, {"wxent", &c.k.wxent},
		{"reduce_loss", &c.k.reduceLoss}, {"sgd", &c.k.sgd}, {"adam", &c.k.adam}, {"rmsprop", &c.k.rmsprop},
		{"sumsq", &c.k.sumsq}, {"clip_apply", &c.k.clipApply}, {"gather", &c.k.gather},
		{"bce", &c.k.bce}, {"regression_loss", &c.k.regressionLoss},
		{"copy_columns", &c.k.copyColumns}, {"embedding_gather", &c.k.embeddingGather},
		{"embedding_scatter_add", &c.k.embeddingScatterAdd},
		{"fused_steps", &c.k.fusedSteps}, {"fused_steps_512", &c.k.fusedSteps512}, {"gemm", &c.k.gemm},
	} {
		name := append([]byte(f.name), 0)
		if err := drv.check("cuModuleGetFunction "+f.name, drv.call(drv.moduleGetFunction, ptr(f.p), module, ptr(&name[0]))); err != nil {
			return nil, err
		}
	}
	contexts[ordinal] = c
	return c, nil
}

// versionOf is the device part of a backend version for GPU g.
func versionOf(drv *driver, blas *cublas, g GPU) string {
	return fmt.Sprintf("gpu=%s/%s driver=%d.%d cublas=%s kernels=%s %s",
		strings.ReplaceAll(g.Name, " ", "-"), g.Arch(), drv.version/1000, drv.version%1000/10, blas.versionString(), KernelsDigest, policy())
}
