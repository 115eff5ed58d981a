// Package provenance ties a run to where its experiment came from and to
// what ran it.
//
// Inspect finds the git repository holding an experiment and the blob id of
// each of its .cue files (its whole CUE instance), and of its data file when
// that lies in the repository, and tells which differ from HEAD; a caller
// refuses such files through Source.Check unless it allows them, and then
// stores their exact content (SourceFile.Content). Only the experiment's own
// files are hashed, never the whole working tree.
//
// A Record is what a run stores, never hashed: the commit, the files with
// their blobs, the host, the Go and xp versions, the backend and device.
// Record.Restore gives a recorded run's files back, read at its commit
// through git without touching the working tree (or, for a dirty run, from
// the sources stored with it), for a rerun or a resume.
package provenance
