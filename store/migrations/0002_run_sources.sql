-- The exact source of every file of a dirty run's experiment (xp run
-- --allow-dirty): a file that git does not hold at the recorded commit can
-- only be rerun from here. path is relative to the provenance's root.
CREATE TABLE run_sources (
	run_id  INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	path    TEXT    NOT NULL,
	content BLOB    NOT NULL,
	PRIMARY KEY (run_id, path)
) STRICT;
