// Package runner turns a loaded experiment into a stored, trained run:
// plan, train, record.
//
// Plan resolves the backend and the data sources (fetching remote ones into
// the cache), hashes them and computes the run key; Run answers a key that
// already succeeded from the store and otherwise trains. Job.Train is one
// training session (session.go), whose steps run in order: prepare the data
// and the model, check the experiment's files against git (package
// provenance; Options.AllowDirty stores a dirty run's exact source
// instead), record the run, then per epoch train, evaluate, record the
// points, heartbeat, early-stop, checkpoint and prune, and at the end test,
// save the weights and fitted preprocessing next to the run, and record how
// it ended.
//
// Rerun rebuilds a past run from its commit (read through git, no
// checkout) or stored source, trains it again and compares the results bit
// for bit; Resume continues an interrupted run from its key's checkpoint;
// Diff compares two runs field by field.
//
// runner is the only package that knows all of cue/spec, data, model,
// backends and store; the cli only parses flags and prints, and package
// predict scores new rows with a run trained here.
package runner
