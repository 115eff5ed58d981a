// Package settings reads and edits a project's settings file, xp.cue at
// the project's root, committed with it: its remotes (where runs are
// pushed and pulled), the default one, and whether xp pushes every run it
// trains and asks the remote before training. The file is CUE, unified
// with an embedded schema (#Settings) and checked like an experiment:
// every error names the field and its position, and a misspelt field
// gets the closest one ("did you mean").
//
// Credentials are not settings: xp takes them from the AWS environment or
// profile, as data sources do, and never writes them.
package settings
