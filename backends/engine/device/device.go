package device

import (
	"math"

	"github.com/xp-ml/xp/model"
)

// Buffer is float32 memory on a device. The engine allocates every buffer
// when it compiles a model and never during training. A Buffer is only
// meaningful to the device that made it.
type Buffer interface {
	// Len is the number of float32s it holds.
	Len() int
}

// Labels is int32 memory on a device holding class indices.
type Labels interface {
	Len() int
}

// Device is what the engine needs from the hardware it trains on: memory,
// transfers, a GEMM and the elementwise kernels. Everything above it (the
// program of layers, the order of kernels, the batching) is shared by every
// device, so a new device (CUDA) supplies only these.
//
// Matrices are row-major; a kernel given rows works on the first rows×cols
// elements of its buffers, which is how a short last batch uses buffers
// sized for a full one.
//
// Kernels do not return errors: a device that can fail asynchronously (a
// GPU) records the first failure and reports it from Sync, which the engine
// calls after every batch. A Device is used by one goroutine at a time.
type Device interface {
	// Name is the device kind, e.g. "cpu".
	Name() string
	// Version identifies everything on the device that can change a bit of
	// a result: the GEMM library and the processor kind.
	Version() string

	// Alloc returns n zeroed float32s.
	Alloc(n int) (Buffer, error)
	// View returns elements [off, off+n) of b, sharing its memory.
	View(b Buffer, off, n int) (Buffer, error)
	// AllocLabels returns n zeroed int32s.
	AllocLabels(n int) (Labels, error)

	// Write copies src from the host into the start of dst.
	Write(dst Buffer, src []float32) error
	// Read copies the first len(dst) elements of src to the host.
	Read(dst []float32, src Buffer) error
	// Gather copies host rows (of width floats) of src, in the order given
	// by rows, into the start of dst, and their labels into the start of
	// labels: the batch assembly of a training step.
	Gather(dst Buffer, labels Labels, src []float32, srcLabels []int32, width int, rows []int32) error
	// GatherRows is Gather without labels: host rows (of width floats) of
	// src, in the order given by rows, into the start of dst. A regression
	// batch assembles its inputs and its float targets with it.
	GatherRows(dst Buffer, src []float32, width int, rows []int32) error

	// Gemm is C = alpha·op(A)·op(B) + beta·C with the shapes of
	// gemm.Sgemm; leading dimensions are the stored row lengths.
	Gemm(transA, transB bool, m, n, k int, alpha float32, a Buffer, b Buffer, beta float32, c Buffer)
	// BiasActivation does y = act(y + bias) in place, bias broadcast over
	// rows: the epilogue of a dense layer's GEMM.
	BiasActivation(y, bias Buffer, rows, cols int, act model.Activation)
	// ActivationBackward turns the gradient at a dense layer's output into
	// the gradient at its pre-activation, in place (dy ⊙ act'(y), from the
	// saved output y), and writes the bias gradient, the column sums, into
	// dbias. GELU's derivative cannot be had from its output: for
	// model.ActGELU, y is the saved pre-activation instead.
	ActivationBackward(dy, y, dbias Buffer, rows, cols int, act model.Activation)
	// Activate writes y = act(pre) over n elements, where the
	// pre-activation is kept: for GELU, whose backward pass needs it
	// (BiasActivation then ran with model.ActNone into pre), and after a
	// batch norm.
	Activate(y, pre Buffer, n int, act model.Activation)
	// BatchNormTrain normalises the columns of x (rows×cols) with the
	// batch's mean and biased variance into out = γ·x̂ + β, keeps x̂ and
	// 1/sqrt(var+eps) for the backward pass, and updates the running mean
	// and variance (the unbiased one) by momentum, as BatchNorm1d.
	BatchNormTrain(x, out, xhat, invstd, gamma, beta, runMean, runVar Buffer, rows, cols int, eps, momentum float64)
	// BatchNormBackward writes the gradients of γ and β and, when dx is
	// not nil, of the input, from the gradient dy at the output.
	BatchNormBackward(dy, xhat, invstd, gamma, dx, dgamma, dbeta Buffer, rows, cols int)
	// BatchNormInfer is out = γ·(x - running mean)/sqrt(running var + eps) + β.
	BatchNormInfer(x, out, gamma, beta, runMean, runVar Buffer, rows, cols int, eps float64)
	// DropoutMask fills mask[i] for i < n with 1/(1-rate) where
	// model.Keep(seed, step, layer, i, rate) and 0 elsewhere.
	DropoutMask(mask Buffer, n int, seed uint64, step, layer int, rate float64)
	// Mul does dst = x ⊙ y over n elements; dst may be x or y.
	Mul(dst, x, y Buffer, n int)
	// SoftmaxCrossEntropy computes, for rows of logits and their labels,
	// the gradient of the batch-mean cross-entropy with respect to the
	// logits, (softmax - onehot)/rows, into dlogits, and stores the batch's
	// summed (not mean) loss in loss[slot], where the host reads it later
	// without a synchronisation per batch.
	SoftmaxCrossEntropy(logits Buffer, labels Labels, rows, cols int, dlogits Buffer, loss Buffer, slot int)
	// WeightedSoftmaxCrossEntropy is SoftmaxCrossEntropy for
	// model.Loss with class weights (one per class; all ones when there
	// are none) and label smoothing: dlogits is the gradient of the batch's
	// weighted-mean loss, and loss[slot] is that mean times rows, so that
	// an epoch's mean loss is still the sum over slots divided by its rows.
	// A batch whose labels all weigh 0 has loss and gradient 0.
	WeightedSoftmaxCrossEntropy(logits Buffer, labels Labels, rows, cols int, weights Buffer, smoothing float64, dlogits Buffer, loss Buffer, slot int)
	// BinaryCrossEntropy is the loss of a binary head, PyTorch's
	// BCEWithLogitsLoss on one logit per row, with class weights: for row
	// i with logit z = logits[i], label y = labels[i] ∈ {0, 1} and weight
	// w = weights[y] (weights holds 2 floats; all ones without class
	// weights),
	//
	//	ℓ_i = max(z, 0) - z·y + log(1 + exp(-|z|))    (the stable form)
	//	S   = Σ_i w_i
	//	dlogits[i] = w_i·(σ(z) - y) / S,  σ(z) = 1/(1 + exp(-z))
	//	loss[slot] = (Σ_i w_i·ℓ_i / S) · rows
	//
	// that is the weighted mean (CrossEntropyLoss's reduction with class
	// weights; the plain mean when every w is 1) times rows, as
	// WeightedSoftmaxCrossEntropy stores it. ℓ, σ, the products and both
	// sums are computed in float64 from the float32 inputs and rounded
	// once to float32 at the end; the CPU sums in row order. A batch whose
	// labels all weigh 0 (S = 0) has loss and gradient 0.
	BinaryCrossEntropy(logits Buffer, labels Labels, rows int, weights Buffer, dlogits Buffer, loss Buffer, slot int)
	// RegressionLoss is the loss of a regression head over rows×cols
	// predictions and targets (n = rows·cols elements), PyTorch's
	// MSELoss, L1Loss or HuberLoss(delta) with reduction "mean" over all
	// elements. With d = pred - target, in float64:
	//
	//	model.LossMSE:   ℓ = d²;  g = 2d
	//	model.LossMAE:   ℓ = |d|; g = sign(d) (0 where d = 0, as torch.sign)
	//	model.LossHuber: ℓ = d²/2 where |d| ≤ delta, else delta·(|d| - delta/2);
	//	                 g = d clamped to [-delta, delta]
	//	dpred[e]   = g_e / n
	//	loss[slot] = (Σ_e ℓ_e / n) · rows
	//
	// d, ℓ, g and the sum are float64 (d is float64(pred) - float64(target)),
	// rounded once to float32; the CPU sums in element order. loss[slot]
	// is the mean times rows, so an epoch's mean loss is still the sum over
	// slots divided by its rows. delta is only read for model.LossHuber.
	RegressionLoss(pred, target Buffer, rows, cols int, kind model.LossKind, delta float64, dpred, loss Buffer, slot int)
	// Softmax writes row-wise softmax of logits into probs.
	Softmax(probs, logits Buffer, rows, cols int)
	// SGD applies one PyTorch SGD step to n parameters in place.
	SGD(params, grads, velocity Buffer, n int, s SGDStep)
	// Adam applies one PyTorch Adam step to n parameters in place.
	Adam(params, grads, m, v Buffer, n int, s AdamStep)
	// RMSprop applies one PyTorch RMSprop step (not centered) in place.
	RMSprop(params, grads, square, momentum Buffer, n int, s RMSpropStep)
	// Scale does x *= factor over n elements: AdamW's decoupled decay.
	Scale(x Buffer, n int, factor float32)
	// ClipGradNorm rescales the first n gradients by
	// maxNorm/(‖g‖₂+1e-6) when that is below 1, as
	// torch.nn.utils.clip_grad_norm_ (the norm summed in float64).
	ClipGradNorm(grads Buffer, n int, maxNorm float64)

	// The embedding kernels assemble a batch's model input from its raw
	// input (the plain features, then one index column per table) and
	// write the tables' gradients.
	// CopyColumns copies the first n columns of each of rows rows of src
	// (rows of srcWidth floats) into the first n columns of dst (rows of
	// dstWidth floats): the plain features of a batch with embeddings.
	CopyColumns(dst, src Buffer, rows, srcWidth, dstWidth, n int)
	// EmbeddingGather writes, for each of rows rows, the table row chosen
	// by the index in column col of src (rows of srcWidth floats; the index
	// is a float holding an integer in [0, vocab)) into columns
	// [dstOff, dstOff+dim) of dst (rows of dstWidth floats). table is
	// vocab×dim, row-major.
	EmbeddingGather(dst, src, table Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int)
	// EmbeddingScatterAdd writes the gradient of a table, vocab×dim: entry
	// (v, j) is the sum, over the rows r whose index (column col of src) is
	// v, of dout[r, dstOff+j] (rows of dstWidth floats), added in float32
	// in row order; entries of indices no row chose are 0. It overwrites
	// dtable, as the GEMMs overwrite the dense gradients.
	EmbeddingScatterAdd(dtable, dout, src Buffer, rows, srcWidth, col, vocab, dim, dstWidth, dstOff int)

	// Sync returns the first error since the last Sync. The engine calls
	// it after every batch. A device that queues work (CUDA) need not wait
	// for the queue each time, only often enough that memory the host
	// reuses is free; Read always waits for the work before it.
	Sync() error
	// Close releases the device's memory and workers.
	Close() error
}

// SGDStep holds SGD's hyperparameters in the precision kernels use:
// g += WeightDecay·p; v = Momentum·v + g (when Momentum ≠ 0; v starts at
// zero, which equals PyTorch's first-step copy); p -= LR·v, or with
// Nesterov p -= LR·(g + Momentum·v).
type SGDStep struct {
	LR, Momentum, WeightDecay float32
	Nesterov                  bool
}

// RMSpropStep holds RMSprop's hyperparameters, in PyTorch's order:
//
//	g += WeightDecay·p
//	s = Alpha·s + (1-Alpha)·g·g
//	avg = sqrt(s) + Eps
//	Momentum > 0: b = Momentum·b + g/avg; p -= LR·b
//	otherwise:    p -= LR·(g/avg)
type RMSpropStep struct {
	LR, Alpha, OneMinusAlpha, Eps, Momentum, WeightDecay float32
}

// NewRMSpropStep rounds o's settings to float32 with the step's rate lr.
func NewRMSpropStep(o model.Optimizer, lr float64) RMSpropStep {
	return RMSpropStep{LR: float32(lr), Alpha: float32(o.Alpha), OneMinusAlpha: float32(1 - o.Alpha),
		Eps: float32(o.Eps), Momentum: float32(o.Momentum), WeightDecay: float32(o.WeightDecay)}
}

// AdamStep holds Adam's hyperparameters and the bias corrections of step t
// (counting from 1), computed on the host in float64 as PyTorch does:
//
//	g += WeightDecay·p
//	m = Beta1·m + (1-Beta1)·g
//	v = Beta2·v + (1-Beta2)·g·g
//	p -= StepSize·m / (sqrt(v)/BiasCorrection2Sqrt + Eps)
type AdamStep struct {
	Beta1, Beta2, Eps, WeightDecay float32
	OneMinusBeta1, OneMinusBeta2   float32
	StepSize                       float32 // lr / (1 - beta1^t)
	BiasCorrection2Sqrt            float32 // sqrt(1 - beta2^t)
}

// NewAdamStep derives step t's constants from the optimizer's settings,
// at the step's learning rate lr. AdamW's decay is decoupled (applied by
// Scale before the step), so its WeightDecay here is zero.
func NewAdamStep(o model.Optimizer, t int, lr float64) AdamStep {
	bc1 := 1 - math.Pow(o.Beta1, float64(t))
	bc2 := 1 - math.Pow(o.Beta2, float64(t))
	wd := float32(o.WeightDecay)
	if o.Kind == model.AdamW {
		wd = 0
	}
	return AdamStep{
		Beta1: float32(o.Beta1), Beta2: float32(o.Beta2), Eps: float32(o.Eps), WeightDecay: wd,
		OneMinusBeta1: float32(1 - o.Beta1), OneMinusBeta2: float32(1 - o.Beta2),
		StepSize:            float32(lr / bc1),
		BiasCorrection2Sqrt: float32(math.Sqrt(bc2)),
	}
}
