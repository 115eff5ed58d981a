// Package runner turns a loaded experiment into a stored, trained run: it
// reads and hashes the data, computes the run key, skips keys that already
// succeeded, prepares the matrices, builds the model IR, trains it on a
// backend while recording metrics and heartbeats in the store, and saves the
// weights and fitted preprocessing next to the run.
//
// Every trained run is tied to a git commit: InspectGit finds the repository
// holding the experiment and the blob id of each of its .cue files, and Train
// refuses files that are modified or untracked unless Options.AllowDirty,
// which stores their exact source with the run instead. Rerun rebuilds a past
// run from its commit (read through git, no checkout) or stored source,
// trains it again and compares the results bit for bit; Diff compares two
// runs field by field.
//
// runner is the only package that knows all of cue/spec, data, model,
// backends and store; the cli only parses flags and prints.
package runner
