// Package engine is xp's own training engine: it compiles a model.Model
// into a fixed program of kernel calls over buffers allocated once, and runs
// it on a device (backends/engine/device). It registers the "cpu" backend,
// xp's default for CPU runs; backends/gorgonia stays as the reference it is
// checked against (backends/conformance).
//
// Why not gorgonia: its costs are structural, not tuning. Its tape is
// interpreted op by op (about 1.2 µs of dispatch per op), every step drops
// and reallocates its buffers (about 900 allocations, 118 KB per step),
// RunAll starts a goroutine and locks a thread per call, gonum's SGEMM
// starts a goroutine per 64×64 block, tensor's softmax one per row, and
// gradients are computed for the inputs and labels, which training never
// uses. On a small MLP that left it at 0.46–0.75× PyTorch's single-thread
// speed. A feed-forward classifier has a fixed topology, so none of that
// generality is needed.
//
// The design:
//   - Compile lays out every buffer for cfg.BatchSize rows: activations and
//     their gradients per layer, dropout masks, and one flat buffer each for
//     parameters, gradients and optimizer state (each tensor a view into
//     it). A short last batch uses a prefix of the same buffers.
//   - A training step is a fixed list of kernels: gather the batch, then per
//     dense layer a GEMM followed by a fused bias+activation; a fused
//     softmax+cross-entropy that writes the logits' gradient and the batch
//     loss; backward, per dense layer, a fused activation-gradient+bias-
//     gradient, the weight-gradient GEMM and, only when a layer below has
//     parameters, the input-gradient GEMM (never for the input itself);
//     finally one in-place optimizer kernel over all parameters.
//   - A model with embeddings (model.Embedding) first builds the embedded
//     input the first layer reads from the raw batch: the plain columns
//     (CopyColumns), then each table's row chosen by its index column
//     (EmbeddingGather). The tables are slots of the flat parameter buffer,
//     first, so the optimizer (weight decay included) and checkpoints treat
//     them as any parameter, with dense gradients as nn.Embedding's
//     (sparse=False). Every layer then has an input gradient, down to the
//     embedded input's, from which EmbeddingScatterAdd writes each table's
//     gradient. Every device has the three kernels (the CPU's and CUDA's
//     give the same bits: the scatter-add sums in row order on both).
//   - Nothing is allocated per step (a test proves it with
//     testing.AllocsPerRun), so the garbage collector never runs during
//     training, and per-batch losses stay on the device until the epoch
//     ends.
//
// Semantics match PyTorch, and gorgonia's reference backend: PyTorch's
// nn.Linear initialisation comes from model.Init; inverted dropout with the
// mask of model.Keep(seed, step, layer, row·width+unit, rate), step counting
// optimizer steps from 0 across epochs; loss the batch mean of softmax
// cross-entropy with a per-row max shift (with class weights or label
// smoothing, CrossEntropyLoss's weighted mean, in float64), or for the
// binary head BCEWithLogitsLoss on one logit (stable form, class weights,
// float64) and for the regression head MSELoss, L1Loss or HuberLoss over
// float targets gathered with the batch (device.Device's
// BinaryCrossEntropy and RegressionLoss); SGD (momentum,
// nesterov, L2 weight decay), Adam (bias-corrected, L2 weight decay added
// to the gradient), AdamW (decoupled decay) and RMSprop in PyTorch's order
// of float32 operations; clip_grad_norm_ over all gradients; the learning
// rate of each step from model.Schedule. GELU keeps its pre-activation for
// the backward pass; every other activation is fused in place. Batch norm
// is BatchNorm1d (batch statistics in float64, running statistics kept
// beside the parameters and saved with them, not trained).
//
// The identity of the numerics (Backend.Version, VersionFor) is the engine
// revision, the GEMM that runs (OpenBLAS with its kernel set, and its thread
// count when more than one, or the pure-Go kernel, whose bits do not depend
// on threads) and the processor kind: different GEMMs give different bits.
// On one binary, machine and thread count, a run repeats bit for bit.
package engine
