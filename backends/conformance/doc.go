// Package conformance is the suite every training backend must pass against
// the reference backend (backends/gorgonia): the same model, initial
// parameters, data, row order and seed go through both, and the results
// must agree within a stated Tolerance.
//
// Run covers the forward pass of every activation, the gradient of every
// layer kind (read from one SGD step with lr 1, where a parameter moves by
// minus its gradient, so no backend needs a gradient API), two steps of
// each optimizer with weight decay, and the loss trajectory of a few epochs
// of an MLP with dropout. Forward, Gradient, Steps and Trajectory are
// exported so a backend's tests can add problems of their own, such as the
// datasets shipped with xp.
//
// It imports testing: it is a test helper, linked only into test binaries.
package conformance
