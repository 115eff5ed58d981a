package cuda

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xp-ml/xp/backends/engine/device"
	"github.com/xp-ml/xp/model"
)

// TestOpKindsMatchKernels: the Go op constants are kernels.cu's enum, in
// its order, so a recorded op runs the kernel it names.
func TestOpKindsMatchKernels(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("kernels", "kernels.cu"))
	if err != nil {
		t.Skip("the kernels' source is not beside this test binary")
	}
	m := regexp.MustCompile(`(?s)enum \{\s*(OP_GEMM.*?)\}`).FindSubmatch(src)
	if m == nil {
		t.Fatal("kernels.cu has no OP_ enum")
	}
	var names []string
	for _, f := range strings.Split(string(m[1]), ",") {
		if f = strings.TrimSpace(f); f != "" {
			names = append(names, f)
		}
	}
	want := map[int]string{
		opGemm: "OP_GEMM", opBiasAct: "OP_BIAS_ACT", opAct: "OP_ACT", opActBackward: "OP_ACT_BACKWARD",
		opColSums: "OP_COL_SUMS", opBNStats: "OP_BN_STATS", opBNApply: "OP_BN_APPLY",
		opBNBackwardSums: "OP_BN_BACKWARD_SUMS", opBNBackwardDx: "OP_BN_BACKWARD_DX", opDropoutMask: "OP_DROPOUT_MASK",
		opMul: "OP_MUL", opScale: "OP_SCALE", opSoftmaxXent: "OP_SOFTMAX_XENT", opWxentPrep: "OP_WXENT_PREP",
		opWxent: "OP_WXENT", opReduceLoss: "OP_REDUCE_LOSS", opBCE: "OP_BCE", opRegressionLoss: "OP_REGRESSION_LOSS",
		opSGD: "OP_SGD", opAdam: "OP_ADAM", opRMSprop: "OP_RMSPROP", opSumsq: "OP_SUMSQ", opClipApply: "OP_CLIP_APPLY",
		opGather: "OP_GATHER", opCopyColumns: "OP_COPY_COLUMNS", opEmbeddingGather: "OP_EMBEDDING_GATHER",
		opEmbeddingScatterAdd: "OP_EMBEDDING_SCATTER_ADD", opCount: "OP_COUNT",
	}
	if len(names) != len(want) {
		t.Fatalf("kernels.cu has %d op kinds, Go %d: %v", len(names), len(want), names)
	}
	for i, n := range names {
		if want[i] != n {
			t.Errorf("op %d: kernels.cu says %s, Go %s", i, n, want[i])
		}
	}
	for _, def := range []string{fmt.Sprintf("#define OP_WORDS %d", opWords), fmt.Sprintf("#define MAX_OPS %d", maxOps),
		fmt.Sprintf("#define GEMM_Q %d", gemmQ), fmt.Sprintf("#define FUSED_THREADS %d", fusedThreads)} {
		if !strings.Contains(string(src), def) {
			t.Errorf("kernels.cu lacks %q: it and fused.go disagree", def)
		}
	}
}

// TestEncodePlan: each step of the plan becomes step_consts, with the
// optimizer's constants in the order its kernel takes them.
func TestEncodePlan(t *testing.T) {
	o := model.Optimizer{Kind: model.AdamW, LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	plan := []device.StepPlan{
		{Slot: 0, Step: 7, Adam: device.NewAdamStep(o, 8, 1e-3), Decay: 0.99999},
		{Slot: 1, Step: 1<<33 + 5, Adam: device.NewAdamStep(o, 9, 1e-3), Decay: 0.5},
	}
	adam := []uint64{opAdam}
	got := encodePlan(nil, plan, append(adam, make([]uint64, opWords-1)...))
	if len(got) != 2*planWords {
		t.Fatalf("%d words, want %d", len(got), 2*planWords)
	}
	f := func(w uint32) float32 { return math.Float32frombits(w) }
	s := got[planWords:]
	if s[0] != 1 || uint64(s[2])|uint64(s[3])<<32 != 1<<33+5 {
		t.Errorf("slot %d, step %d", s[0], uint64(s[2])|uint64(s[3])<<32)
	}
	a := plan[1].Adam
	for i, want := range []float32{a.WeightDecay, a.Beta1, a.OneMinusBeta1, a.Beta2, a.OneMinusBeta2, a.BiasCorrection2Sqrt, a.Eps, -a.StepSize} {
		if f(s[4+i]) != want {
			t.Errorf("adam constant %d: %v, want %v", i, f(s[4+i]), want)
		}
	}
	if f(s[12]) != 0.5 {
		t.Errorf("decay %v", f(s[12]))
	}
	sgd := encodePlan(nil, []device.StepPlan{{SGD: device.SGDStep{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4}}},
		append([]uint64{opSGD}, make([]uint64, opWords-1)...))
	if f(sgd[4]) != 0.1 || f(sgd[5]) != 0.9 || f(sgd[6]) != 1e-4 {
		t.Errorf("sgd constants %v %v %v", f(sgd[4]), f(sgd[5]), f(sgd[6]))
	}
}

// TestSmallGemms: the shipped tabular models' steps are replayed; the
// large benchmark MLP's are not (its GEMMs need cuBLAS and the whole GPU).
func TestSmallGemms(t *testing.T) {
	step := func(batch int, widths ...int) *recording {
		r := &recording{}
		for i := 0; i+1 < len(widths); i++ {
			in, out := widths[i], widths[i+1]
			r.append(opGemm, []uint64{0, 0, i32(batch), i32(out), i32(in)})
			r.append(opGemm, []uint64{1, 0, i32(in), i32(out), i32(batch)})
		}
		return r
	}
	tests := []struct {
		name string
		r    *recording
		want bool
	}{
		{"credit, batch 32", step(32, 26, 64, 2), true},
		{"churn, batch 256", step(256, 70, 64, 32, 2), true},
		{"digits, batch 256", step(256, 64, 128, 64, 10), true},
		{"large MLP, batch 1024", step(1024, 256, 1024, 1024, 2), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := smallGemms(tt.r); got != tt.want {
				t.Errorf("smallGemms = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestFitsStaging: a GEMM whose staging cannot fit fused_steps' shared
// memory at one term of k is not staged; a small one is.
func TestFitsStaging(t *testing.T) {
	gemm := func(m, n int) []uint64 {
		r := &recording{}
		r.append(opGemm, []uint64{0, 0, i32(m), i32(n), i32(64)})
		return r.ops
	}
	if !fitsStaging(gemm(256, 128), 1024, 32<<10) {
		t.Error("a 256×128 GEMM does not fit 128 KiB")
	}
	if fitsStaging(gemm(32, 40000), 1024, 32<<10) {
		t.Error("a 32×40000 GEMM fits 128 KiB")
	}
}
