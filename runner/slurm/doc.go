// Package slurm runs the points of a sweep on a Slurm cluster: one job
// array submitted through sbatch, one array task per point left to train.
//
// The coordinator (the `xp run --executor slurm` process) plans the sweep
// as usual, claims its pending points in the store's queue, writes a run
// directory on the shared filesystem (a manifest and the sbatch script)
// and submits the array. Each task runs `xp slurm-task <dir> <index>` on
// its node: it trains its point against a store of its own in a node-local
// temporary directory and writes the outcome to the run directory as
// files (result.json and the run's artifacts). The coordinator polls
// scontrol and ingests what the finished tasks left into the project's
// store, so SQLite is only ever written by the coordinator: never over
// NFS by many nodes at once.
package slurm
