// Package cluster runs a sweep's points as the tasks of a batch scheduler
// whose nodes share a filesystem with this machine: the part of such an
// executor that does not depend on the scheduler. sweep/slurm is one
// Scheduler; another (Kubernetes with a ReadWriteMany volume, say) is
// another package implementing Scheduler, and nothing else.
//
// The coordinator (the xp run process) claims the points left in the
// queue, writes a run directory on the shared filesystem (manifest.json:
// the experiment, and the point and planned run key of each task) and
// submits one array of tasks. Each task runs `xp slurm-task <dir> <index>`
// on its node (RunTask): it trains its point against a store of its own in
// a node-local temporary directory, and writes its progress (run.json,
// points.jsonl, after every epoch) and its outcome (result.json, the run's
// artifacts) as files in its task directory. The coordinator polls the
// scheduler, follows the runs in training into the project's store (so
// xp ls and the TUI show them live), and ingests each task's files as it
// ends, so SQLite is only ever written by the coordinator, never over NFS
// by many nodes at once.
//
// A task's checkpoint is the one file of its point that outlives its
// node-local store: it is written in its task directory (checkpoint.gob)
// and names its run by its id in the project's store. Before a
// submission the coordinator puts there the key's checkpoint from the
// project's store (a promoted asha point, a requeued task, a point that
// failed before); when a task ends in a way that may be resumed (paused,
// canceled, failed) the checkpoint it left becomes its key's in the
// project's store. A task its scheduler stopped for a reason that
// training on cures (State.Requeue: a time limit, a preemption) is
// requeued, up to Options.Requeues times: its point goes with the next
// array, and its new task continues the checkpoint.
package cluster
