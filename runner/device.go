package runner

import (
	"context"
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/data"
)

// autoGPUMACs is where device "auto" moves from the CPU to a GPU: the
// multiply-adds of a training step (forward and backward). Measured on an
// H200 against one core of its host (make gpu-check, BenchmarkEpoch), the
// shipped tabular models at batch 32 (credit, churn, digits: 0.4M to 1.6M
// a step as estimated here) and credit at 256 (0.7M) train faster on one
// CPU core, whose step takes a few tens of microseconds, than on the GPU,
// whose step costs about that much in launches and synchronisation however
// small the model; churn at 256 (3.4M), digits at 256 (13M) and the large
// MLP (4G) train faster on the GPU. A run on more threads moves the line
// up with them.
const autoGPUMACs = 2 << 20

// autoDevice settles device "auto" once CUDA can run: cuda for a model
// large enough to gain from it, else the CPU with the reason. It decides
// from the spec and the data's header alone, before the run key is fixed,
// so a run key names one device. The input width is counted from the
// header as the features say (a numeric column is one input, an embedded
// or hashed one its table's or buckets' width, a one-hot one its cap when
// it has one and otherwise one: a lower bound), so a borderline model
// stays on the CPU.
func autoDevice(ctx context.Context, exp *spec.Experiment, o DataOptions, threads int) (cuda bool, why string) {
	s := &exp.Spec
	if s.Model.Logreg == nil && len(s.Model.Layers) == 0 {
		return true, ""
	}
	so := data.SourceOptions{Dir: exp.Dir, CacheDir: o.CacheDir, Limits: s.Data.Limits}
	sc, err := data.Peek(ctx, "data.source", s.Data.Source, so)
	if err != nil {
		return true, "" // the header is unknown: CUDA, as before
	}
	width := inputWidth(s, sc.Names)
	macs := stepMACs(s, width)
	limit := int64(autoGPUMACs) * int64(max(threads, 1))
	if macs >= limit {
		return true, ""
	}
	return false, fmt.Sprintf("the CPU trains this model faster (%.1fM multiply-adds a step, under %dM)", float64(macs)/1e6, limit>>20)
}

// inputWidth counts the inputs columns become, from the header's names
// (see autoDevice).
func inputWidth(s *spec.Spec, names []string) int {
	dropped := map[string]bool{s.Data.Target: true}
	for _, r := range s.Data.Clean {
		if r.DropColumns != nil {
			for _, c := range r.DropColumns.Columns {
				dropped[c] = true
			}
		}
	}
	width := 0
	for _, n := range names {
		if dropped[n] {
			continue
		}
		f := s.Data.Features[n]
		switch {
		case f.Categorical != nil && f.Categorical.Encoding == "embedding":
			width += max(f.Categorical.Dim, 1)
		case f.Categorical != nil && f.Categorical.MaxCategories > 0:
			width += f.Categorical.MaxCategories + 1
		case f.Text != nil:
			width += f.Text.Buckets
		case f.ID != nil && f.ID.Dim > 0:
			width += f.ID.Dim
		case f.ID != nil && f.ID.MaxIDs > 0:
			width += f.ID.MaxIDs + 1
		default:
			width++
		}
	}
	return width
}

// stepMACs is the multiply-adds of one training step: each dense layer's
// batch × in × out, three times (the forward GEMM and two backward ones),
// and the output layer onto two outputs at least.
func stepMACs(s *spec.Spec, width int) int64 {
	batch := int64(max(s.Train.BatchSize, 1))
	in := int64(max(width, 1))
	var macs int64
	for _, l := range s.Model.Layers {
		if l.Dense > 0 {
			macs += batch * in * int64(l.Dense)
			in = int64(l.Dense)
		}
	}
	macs += batch * in * 2
	return 3 * macs
}
