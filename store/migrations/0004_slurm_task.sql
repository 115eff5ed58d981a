-- The Slurm array task ("<job>_<index>") that trains a point submitted by
-- `xp run --executor slurm`, so that `xp cancel`, from any process, can
-- scancel it; '' for a point trained here. Kept once the point is done, as
-- a record of where it ran.
ALTER TABLE sweep_points ADD COLUMN slurm_task TEXT NOT NULL DEFAULT '';
