// Package model is the backend-independent description of what is trained:
// the network (layers, loss, optimizer), its parameters initialised from a
// seeded RNG, the counter-based RNG that dropout masks come from, and the
// checkpoint format the trained weights are saved in.
//
// Every backend compiles the same Model and starts from the same Params, so
// two backends that implement the maths correctly follow the same trajectory.
package model
