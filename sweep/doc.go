// Package sweep runs the points of a sweep, wherever they train.
//
// A sweep is planned (NewPlan: one runner.Job, so one run key, per point
// of the spec's sweep block), queued in the store under the sweep's id,
// and trained by an Executor: sweep/local trains the points in this
// process, sweep/slurm submits them to Slurm as a job array (through
// sweep/cluster, which serves any batch scheduler whose nodes share a
// filesystem with this machine). Run drives one executor over one sweep
// and returns one Result, whichever executor ran it; progress comes as
// Events of one type, which the CLI prints.
//
// The package owns what every executor shares: the queue's claims (a
// Session claims points one at a time in a store transaction, beats for
// them, and gives back or finishes them, so several processes share a
// sweep and none trains a point twice), owner liveness (the claims and
// runs of a process that is gone are taken over, or marked lost, at once
// on its own host and after StaleAfter elsewhere), the median stopping
// rule, a tpe sweep's proposals, an asha sweep's rungs and promotions
// (asha.go), and reading back where every point stands (ReadPoints,
// Best).
//
// Expanding the sweep block into points (grid, random draws, each point
// validated against the schema with positions) stays in cue/spec, next to
// the schema: xp vet and xp hash need it, and nothing of it runs. The SQL
// of the queue stays in store, which holds every table.
package sweep
