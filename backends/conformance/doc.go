// Package conformance is the suite every training backend must pass against
// the reference backend (backends/gorgonia): the same model, initial
// parameters, data, row order and seed go through both, and the results
// must agree within a stated Tolerance.
//
// Run covers the forward pass of every activation and of batch norm, the
// gradient of every layer kind (dense, dropout, batch norm) and loss option (class weights, label smoothing; read from one
// SGD step with lr 1, where a parameter moves by minus its gradient, so no
// backend needs a gradient API), two steps of each optimizer (with weight
// decay, nesterov, decoupled decay, clipping, a step warmup), loss
// trajectories of a few epochs (dropout, weighted loss, step and cosine
// schedules), the binary and regression heads (forward, the gradient after
// one batch and a trajectory for binary cross-entropy with and without
// class weights, mse, mae and huber; see heads.go), models with embedding
// tables (forward, the gradients of the tables with indices that repeat
// within a batch and indices no row chooses, optimizer steps, a
// trajectory and resume; see embeddings.go), and that a trainer
// restored from another's State continues bit for bit (Resume). Forward, Gradient, Steps, Trajectory and Resume are
// exported so a backend's tests can add problems of their own, such as the
// datasets shipped with xp.
//
// The reference itself is checked against PyTorch: torch_test.go trains
// the cases of testdata/torch_cases.json (made by testdata/gen_torch.py
// with torch.optim and torch.nn) on every registered backend, and
// torch_heads_test.go the binary and regression cases of
// testdata/torch_heads.json (testdata/gen_torch_heads.py).
//
// It imports testing: it is a test helper, linked only into test binaries.
package conformance
