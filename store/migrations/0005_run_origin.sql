-- How a run came to train its key, beyond rerun_of: forced is a run that
-- xp run --force trained again; resumed_from is the run whose checkpoint it
-- continued (xp resume, or xp run of an interrupted key), after that run's
-- epoch resumed_epoch.
ALTER TABLE runs ADD COLUMN forced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN resumed_from INTEGER REFERENCES runs (id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN resumed_epoch INTEGER NOT NULL DEFAULT 0;
