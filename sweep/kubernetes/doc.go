// Package kubernetes is the executor that runs a sweep's points on a
// Kubernetes cluster: one Indexed Job per submission, created through
// client-go, one completion index per point left to train, followed by the
// Job's status and its pods, and stopped by deleting the Job.
//
// It is a cluster.Scheduler: the coordinator, the run directory on the
// shared filesystem (a ReadWriteMany volume mounted at the project's path
// in every pod), the task side and the live progress are sweep/cluster's,
// as for Slurm. This package knows Kubernetes: the Job manifest (Job:
// completions, parallelism, backoffLimitPerIndex and a pod failure policy
// that does not retry an invalid or diverged point, the sweep's resources
// as requests and limits), the spec's sweep.kubernetes block overridden by
// xp run's --k8s-* flags, the task's side in the pod (RunTask: the
// completion index and the attempt from the environment, the log on the
// shared volume), what the Job and its pods say about each index, and the
// reasons a pod ends that are the cluster's (OOMKilled, evicted, an image
// that cannot be pulled).
package kubernetes
