// Package gorgonia is the reference backend: it trains the model IR through
// gorgonia's expression graph and symbolic differentiation
// (gorgonia.org/gorgonia v0.9.18, gorgonia.org/tensor v0.9.24), float32
// throughout, and registers itself as "gorgonia".
//
// It exists to be checked against, not to be fast. xp's own engine computes
// with hand-written forward and backward kernels over preallocated buffers;
// a mistake there (a transposed gradient, a wrong mask index, a bias
// correction off by one step) would still train, just worse. The
// conformance suite runs the same Model, Params, data, order and seed
// through both and compares the losses and parameters: here every gradient
// comes from gorgonia's G.Grad over a graph written in a few lines, and the
// package's tests check it against a float64 computation by hand to about
// 1e-7. It is also several times slower than the engine (README, "Backends and
// speed"): the
// tape is interpreted op by op and reallocates its buffers every step.
//
// # Semantics
//
// Dense layers are y = x·W + b with W of shape [in, out] then the
// activation; the loss is the mean over the batch of softmax cross-entropy.
// Dropout is inverted dropout with its mask fed to the graph as an input:
// unit u of row r of the batch is kept, and scaled by float32(1/(1-rate)),
// when model.Keep(seed, step, layer, r*width+u, rate) holds, where step is
// the optimizer step counted from 0 across epochs and layer the index in
// Model.Layers. The optimizers are written in Go over the gradients, with
// torch.optim's semantics: SGD with momentum (the first step's buffer is
// the gradient) and Adam with bias correction, weight decay added to the
// gradient in both (see optimizer.go for the exact float32 arithmetic).
// Adam's first moment is computed as β1·m + (1-β1)·g; PyTorch 2 writes it
// as a lerp, which rounds differently in the last bit. An embedding table
// T (vocab×dim) is looked up as the product of a one-hot matrix built on
// the host from the batch's index column with T, the product's gradient
// (onehotᵀ·dy) being the table's: no code shared with the engine's gather
// and scatter-add kernels. The plain columns and the tables' rows are
// joined by G.Concat.
//
// # Pitfalls worked around
//
//   - gorgonia's initialisers seed from the clock: parameters always come
//     from the Params given to Compile (model.Init draws them from the
//     run's seed), copied.
//   - tensor's softmax subtracts the first element of the whole tensor, not
//     each row's maximum, and G.LogSumExp in v0.9.18 puts the maximum inside
//     the logarithm: log-softmax is built from G.Max per row, so logits of
//     ±1000 give a finite, exact loss.
//   - G.Rectify multiplies by (x >= 0), so its gradient at exactly 0 is 1;
//     ReLU here multiplies by (x > 0), PyTorch's convention.
//   - Shapes are fixed when a graph is built, and the last batch of an epoch
//     is usually short: one graph and tape machine per batch size (and one
//     per size for inference), built on first use and cached; all bind the
//     same parameter tensors, which the optimizer updates in place.
//   - A node's value may live in a register that a later instruction
//     reuses: the loss, the gradients and the probabilities are taken with
//     G.Read, which copies them while the tape runs.
//   - gorgonia panics on some shape errors and NewTapeMachine panics when
//     compilation fails: graphs are compiled with G.Compile first, and
//     building and running recover into errors.
//   - On Go 1.26 gorgonia needs go4.org/unsafe/assume-no-moving-gc at
//     v0.0.0-20231121144256-b99613f794b6 or newer (go.mod pins it), or
//     every binary that imports it panics at start.
//
// # Threads
//
// Config.Threads is not used. The tape machine executes one instruction at
// a time; gonum's GEMM, which tensor calls, splits a product into
// goroutines only when it spans 4 or more 64x64 output blocks, and then
// partitions it by the shapes alone, so results do not depend on GOMAXPROCS
// or on what else runs. A run is bit-for-bit repeatable on the same binary
// and architecture.
package gorgonia
