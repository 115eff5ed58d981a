// Package local is the executor that trains a sweep's points in this
// process, several at once: as many as the sweep's parallel asks and the
// machine's CPUs hold (the threads of the points training at once never
// add up to more than the CPUs).
//
// It claims one point ahead of its free slots and answers cached points
// as it claims them, while the others train, so that when a point ends the
// next starts at once; it renews its claims every 2 s and stops a point
// that another process took over (this one's claims went stale).
package local
