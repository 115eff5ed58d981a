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
package cluster
