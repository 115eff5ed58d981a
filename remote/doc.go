// Package remote shares a project's runs between machines through a
// remote: an S3 bucket prefix (package remote/s3) or a directory that the
// team shares (remote/dir), behind one interface, Objects. `xp push` sends
// runs there, `xp pull` brings them back, and `xp run` asks it for a key
// before training (Hit): a run key includes the data and the backend's
// numerics, so a run that a teammate trained under the same key is the run
// this machine would train, bit for bit.
//
// # Layout
//
// Everything but a run's ref is immutable and named by the sha256 of its
// bytes:
//
//	xp-remote.json                  the format, written by the first push
//	objects/sha256/ab/ab12…         blobs: a run's bundle (its manifest), its
//	                                points, its sources, its artifact files,
//	                                the data files pushed with --data, checkpoints
//	runs/<uid>                      a run's ref: the object that makes it visible
//	keys/<key>/<uid>                index entries, holding the ref's bytes:
//	experiments/<experiment>/<uid>  the runs of a key, of an experiment
//	checkpoints/<uid>               the checkpoint an interrupted run left
//	tasks/<submission>/...          a cluster's task files (see below)
//
// A run's bundle is a JSON manifest: the run's row (its globally unique
// uid, key, resolved spec, data hashes, provenance, status, timing), its
// summaries, and the sha256 and size of its points (JSON Lines), of the
// sources stored with a dirty run and of every file of its artifact
// directory (weights, preprocessing, predictions, confusion matrix, data
// report, log). Its bytes are fixed by the run's first push or pull and
// kept next to its artifacts (bundle.json), so a run pushed again, from
// any clone, writes the same objects.
//
// # Pushing without locks
//
// A push writes a run's blobs, then its manifest, then its index entries,
// and its ref last. A reader believes an index entry only when the ref
// exists, and everything a ref leads to was written before it: a push
// killed at any point leaves no run half visible, and the next push
// (whose writes are the same bytes under the same names) completes it.
// Two machines pushing the same runs at once write the same objects.
// Objects.Put must be atomic (S3's PUT is; remote/dir renames a finished
// temporary file into place).
//
// # Reading
//
// Everything read is checked before use: a blob against the sha256 and
// size its reference gives, a ref and a manifest by their format and
// against each other. A corrupt or truncated object is an error naming it
// (ErrCorrupt), never a wrong run. A pull records the run's row, points
// and sources in the store (store.ImportRun), marked with the remote (who
// trained it stays in its provenance); its artifacts are fetched when a command needs
// them (FetchArtifacts: predict, rerun, resume, serve), or with
// PullOptions.Artifacts.
//
// # Kubernetes and other clusters without a shared filesystem
//
// A task that trains a point on a node with no filesystem shared with the
// coordinator reports through a remote (sweep/cluster's relay): it reads
// its submission's manifest and sends its live run, its metric points in
// numbered chunks, its log and its result as task files (PutTaskFile,
// GetTaskFile, TaskFiles: the only objects that are replaced, and only
// meaningful while the submission runs), and pushes its run (Push of one
// run, visible at once and whole); the coordinator fetches the run's
// artifacts by its uid (FetchRunFiles). Nothing here assumes that pushes
// come from people.
package remote
