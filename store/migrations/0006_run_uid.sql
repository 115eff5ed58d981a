-- Runs shared through a remote (xp push, xp pull) from many machines.
-- uid is a run's globally unique id (a ULID: its creation time, then
-- randomness), under which it is pushed and pulled, so runs trained
-- anywhere merge without renumbering; id stays the local number (#N).
-- The runs this migration finds get theirs from their creation time, in Go
-- (store/migrate.go: backfills), since SQLite cannot make a ULID.
ALTER TABLE runs ADD COLUMN uid TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX runs_uid ON runs (uid) WHERE uid != '';
-- A pulled run: remote is the remote it was pulled from, '' for a run
-- trained here; with rerun_of, forced and resumed_from (0005), how a run
-- came to be in this store. Who trained it (host, user) stays where every
-- run keeps it, in its provenance.
ALTER TABLE runs ADD COLUMN remote TEXT NOT NULL DEFAULT '';
-- bundle is the sha256 of the run's bundle manifest, fixed when the run is
-- first pushed or pulled, so that every later push of it, from any clone,
-- writes the same objects; '' until then.
ALTER TABLE runs ADD COLUMN bundle TEXT NOT NULL DEFAULT '';
-- The remotes known to hold a run: pushed there, or pulled from there. A
-- push skips them; a run is recorded here only after its visible object
-- was written.
CREATE TABLE remote_runs (
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	remote TEXT    NOT NULL,
	at     INTEGER NOT NULL,
	PRIMARY KEY (remote, run_id)
) STRICT, WITHOUT ROWID;
