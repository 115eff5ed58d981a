// Package runner turns a loaded experiment into a stored, trained run: it
// reads and hashes the data, computes the run key, skips keys that already
// succeeded, prepares the matrices, builds the model IR, trains it on a
// backend while recording metrics and heartbeats in the store, and saves the
// weights and fitted preprocessing next to the run.
//
// runner is the only package that knows all of cue/spec, data, model,
// backends and store; the cli only parses flags and prints.
package runner
