-- The queue of a sweep: one row per sweep, one per point. Several xp
-- processes may work one queue at once: a point is claimed in a write
-- transaction (BEGIN IMMEDIATE), so no two processes take it, and a claim
-- whose owner stopped beating is taken over.
CREATE TABLE sweeps (
	id         TEXT    PRIMARY KEY, -- "<experiment>-<12 hex>", stable for one sweep spec
	experiment TEXT    NOT NULL,
	spec_hash  TEXT    NOT NULL DEFAULT '',
	method     TEXT    NOT NULL DEFAULT '',
	metric     TEXT    NOT NULL DEFAULT '', -- "<split>.<name>" that picks the best point
	mode       TEXT    NOT NULL DEFAULT '', -- "min" | "max"
	points     INTEGER NOT NULL,
	created    INTEGER NOT NULL,
	updated    INTEGER NOT NULL
) STRICT;
CREATE INDEX sweeps_experiment ON sweeps (experiment, updated);

CREATE TABLE sweep_points (
	sweep_id  TEXT    NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
	idx       INTEGER NOT NULL,             -- the point's place in the sweep, from 0
	key       TEXT    NOT NULL,             -- its run key
	params    TEXT    NOT NULL,             -- JSON [{"path": ..., "value": ...}]
	state     TEXT    NOT NULL,             -- pending | claimed | done
	status    TEXT    NOT NULL DEFAULT '',  -- when done: the run status it ended with
	error     TEXT    NOT NULL DEFAULT '',
	-- The run that holds the point's result (a cached one may belong to
	-- another sweep).
	run_id    INTEGER REFERENCES runs (id) ON DELETE SET NULL,
	cached    INTEGER NOT NULL DEFAULT 0,
	owner     TEXT    NOT NULL DEFAULT '',  -- the claiming process, "" unless claimed
	claimed   INTEGER NOT NULL DEFAULT 0,
	heartbeat INTEGER NOT NULL DEFAULT 0,
	attempts  INTEGER NOT NULL DEFAULT 0,   -- claims so far
	finished  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (sweep_id, idx)
) STRICT;
-- The next pending point, and counts by state.
CREATE INDEX sweep_points_state ON sweep_points (sweep_id, state, idx);
-- A heartbeat updates the claims of one owner.
CREATE INDEX sweep_points_owner ON sweep_points (owner) WHERE state = 'claimed';
-- Deleting a run clears the points that hold it.
CREATE INDEX sweep_points_run ON sweep_points (run_id) WHERE run_id IS NOT NULL;

-- MarkLostProcesses looks at the live runs of one host; finished runs are
-- the vast majority, and this index leaves them out.
CREATE INDEX runs_live ON runs (host) WHERE status IN ('running', 'queued');
