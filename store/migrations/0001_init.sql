-- Times are unix nanoseconds in UTC; 0 means "not yet".
-- JSON columns (spec, data_hashes, provenance, timing) are TEXT so that SQLite's
-- json functions can read them; NULL means absent.
CREATE TABLE runs (
	id               INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: artifact directories are named by id
	key              TEXT    NOT NULL CHECK (length(key) = 64),
	experiment       TEXT    NOT NULL,
	spec_hash        TEXT    NOT NULL DEFAULT '',
	spec             TEXT,
	data_hashes      TEXT,
	backend          TEXT    NOT NULL DEFAULT '',
	device           TEXT    NOT NULL DEFAULT '',
	status           TEXT    NOT NULL,
	error            TEXT    NOT NULL DEFAULT '',
	epoch            INTEGER NOT NULL DEFAULT 0,
	epochs           INTEGER NOT NULL DEFAULT 0,
	provenance       TEXT,
	dirty            INTEGER NOT NULL DEFAULT 0,
	rerun_of         INTEGER REFERENCES runs (id) ON DELETE SET NULL,
	sweep_id         TEXT    NOT NULL DEFAULT '',
	weights_sha256   TEXT    NOT NULL DEFAULT '',
	timing           TEXT,
	pid              INTEGER NOT NULL DEFAULT 0,
	host             TEXT    NOT NULL DEFAULT '',
	created          INTEGER NOT NULL,
	started          INTEGER NOT NULL DEFAULT 0,
	finished         INTEGER NOT NULL DEFAULT 0,
	heartbeat        INTEGER NOT NULL DEFAULT 0,
	cancel_requested INTEGER NOT NULL DEFAULT 0
) STRICT;

-- (key, created): prefix ranges for Resolve and "newest run of a key" for the cache.
CREATE INDEX runs_key ON runs (key, created);
CREATE INDEX runs_created ON runs (created);
CREATE INDEX runs_experiment ON runs (experiment, created);
CREATE INDEX runs_sweep ON runs (sweep_id, created);
-- MarkLost looks only at running runs; a partial index keeps that cheap with
-- 100,000 finished runs in the table.
CREATE INDEX runs_running ON runs (heartbeat) WHERE status = 'running';
-- Deleting a run looks up its reruns to clear rerun_of.
CREATE INDEX runs_rerun_of ON runs (rerun_of) WHERE rerun_of IS NOT NULL;

CREATE TABLE points (
	id     INTEGER PRIMARY KEY, -- PointsSince reads by id
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	split  TEXT    NOT NULL,
	name   TEXT    NOT NULL,
	epoch  INTEGER NOT NULL,
	step   INTEGER NOT NULL,
	value  REAL,             -- NULL holds NaN, which SQLite cannot store
	time   INTEGER NOT NULL
) STRICT;

-- Curves, and the run's points for PointsSince and ON DELETE CASCADE. A second
-- index on (run_id, id) would serve PointsSince better but costs a third of
-- the insert rate; PointsSince reads new rows by id instead.
CREATE INDEX points_metric ON points (run_id, split, name, epoch);

-- One row per run, split and metric, kept up to date by AddPoints so that
-- listing runs never aggregates points.
CREATE TABLE summaries (
	run_id     INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	split      TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	last       REAL,             -- value at the largest (epoch, step); NULL for NaN
	last_epoch INTEGER NOT NULL,
	last_step  INTEGER NOT NULL,
	best       REAL,             -- NULL while every value was NaN
	best_epoch INTEGER NOT NULL,
	count      INTEGER NOT NULL,
	PRIMARY KEY (run_id, split, name)
) STRICT, WITHOUT ROWID;
-- Sorting runs by a metric walks this index instead of joining every run.
CREATE INDEX summaries_sort ON summaries (split, name, last);
