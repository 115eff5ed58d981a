// Package proc tells whether a process of this machine still runs: how
// xp knows, without waiting for a heartbeat to go stale, that the process
// holding a run key or a sweep's point is gone.
package proc
