// Package slurm is the executor that runs a sweep's points on a Slurm
// cluster: one job array submitted through sbatch, one array task per
// point left to train, followed with scontrol and stopped with scancel.
//
// It is a cluster.Scheduler: the coordinator, the run directory on the
// shared filesystem, the task side (`xp slurm-task <dir> <index>`) and the
// live progress are sweep/cluster's. This package knows Slurm: the sbatch
// script and its options (Resources: the spec's sweep.slurm block and
// resources, overridden by xp run's --slurm-* flags), what scontrol says
// about each task, and which of its states mean a task was cancelled or
// killed (TIMEOUT, OUT_OF_MEMORY...) and which xp requeues (TIMEOUT and
// PREEMPTED, sweep.slurm.requeue times; the arrays are --no-requeue, so
// Slurm never restarts a task into the files of the one before).
package slurm
