// Package model is the backend-independent description of what is trained:
// the network (layers, loss, optimizer), its parameters initialised from a
// seeded RNG, the counter-based RNG that dropout masks come from, the
// learning-rate schedule, and the formats the trained weights (Params) and
// a trainer's resumable state (TrainState) are saved in.
//
// A Model has a head (multiclass softmax, binary sigmoid on one logit, or
// regression on one output) and a loss that goes with it (cross-entropy,
// binary cross-entropy, mse, mae or huber), each with PyTorch's meaning.
// It may have embedding tables (torch.nn.Embedding) that turn index columns
// of the input into learned rows ahead of the first layer.
//
// Every backend compiles the same Model and starts from the same Params, so
// two backends that implement the maths correctly follow the same trajectory.
package model
