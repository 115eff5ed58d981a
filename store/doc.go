// Package store records runs: an SQLite database, .xp/xp.db, and the
// artifact directories under .xp/runs/. A run's files live in its
// ArtifactDir, .xp/runs/<key>/<id>/: the runs of one key side by side, so a
// forced retrain or a rerun never overwrites another run's weights.
//
// The database holds each run (its key, resolved spec, provenance, status
// and heartbeat), its metric points, and a summary of every metric of every
// split (last and best value) that AddPoints keeps up to date, so that
// listing 100,000 runs never aggregates points: a GROUP BY over a million
// points takes a third of a second, the summary one index lookup per run.
//
// Several processes may use one store at once: a TUI reading while several
// `xp run`s write. The database is in WAL mode, so readers never wait for
// the writer; writers take the write lock at the start of their transaction
// (BEGIN IMMEDIATE), wait for each other under a busy timeout, and keep their
// transactions short (one batch of points, one status change). A writer
// whose wait still times out retries the whole transaction a few times
// before giving up. Within a process, writes go through one connection, so
// goroutines queue for it instead of polling the lock.
//
// A run's life: CreateRun (queued), StartRun (running), Heartbeat while
// training, which also carries cancel requests back to the trainer, AddPoints
// as metrics arrive, FinishRun. A process that dies stops heartbeating;
// MarkLost finds such runs and marks them lost, and a lost run that
// heartbeats again is running again.
//
// Reads page: ListRuns takes a Limit and Offset, CountRuns the total. A page
// of 100 runs out of 100,000 takes a few milliseconds, sorted by a metric too
// (the summaries are indexed by metric and value); all 100,000 at once take
// seconds. A reader that polls (the TUI) asks DataVersion first and re-reads
// only when it moved, and follows a live curve with PointsSince.
//
// Times are stored as unix nanoseconds and read back in UTC. NaN metric
// values survive the round trip (SQLite itself would turn them into NULL).
//
// The store imports none of xp's packages.
package store
