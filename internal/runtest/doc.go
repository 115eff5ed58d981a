// Package runtest trains the experiments xp ships (experiments/*.cue) for
// tests of what is done with a trained run: scoring, serving, exporting.
// Each training is real: a git repository made in the test holding the
// experiment's files, committed, and a store in it.
package runtest
