package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// PointResult is where one point of a sweep stands.
type PointResult struct {
	Index  int
	Params []spec.Param
	Key    string
	State  store.PointState
	// Status is how a done point ended (succeeded, failed, pruned...);
	// Cached that its result is an earlier run of its key.
	Status store.Status
	Cached bool
	// Remote: Cached by a run pulled from the remote now.
	Remote bool
	// Run holds the point's result; nil when it failed before a run was
	// recorded, or has not run.
	Run   *store.Run
	Error string
	// Value is the sweep's metric of Run; NaN when it has none.
	Value float64
}

// Label is the point's values, "path=value ...".
func (p *PointResult) Label() string { return spec.ParamsLabel(p.Params) }

// Standing is how the point stands: its run's status when done, else its
// state in the queue (pending, claimed), running while its run trains.
func (p *PointResult) Standing() store.Status {
	switch {
	case p.State != store.PointDone && p.Run != nil && p.Run.Status == store.StatusRunning:
		return store.StatusRunning
	case p.State != store.PointDone:
		return store.Status(p.State)
	}
	return p.Status
}

// ParamPaths are the paths of the parameters the points vary, in the
// order the points first name them: a sweep's columns.
func ParamPaths(points []PointResult) []string {
	var paths []string
	for _, p := range points {
		for _, pr := range p.Params {
			if !slices.Contains(paths, pr.Path) {
				paths = append(paths, pr.Path)
			}
		}
	}
	return paths
}

// Failed reports whether the point ended in an error: failed, diverged or
// lost. (A point canceled on its own, from the TUI or xp cancel, is not a
// failure; one canceled by Ctrl-C goes back to the queue.)
func (p *PointResult) Failed() bool {
	return p.State == store.PointDone && (p.Status == store.StatusFailed || p.Status == store.StatusDiverged ||
		p.Status == store.StatusLost)
}

// Result is the outcome of Run, whichever executor ran the sweep: every
// point of the sweep, by index, whichever process trained it.
type Result struct {
	Plan *Plan
	// Executor is the name of the executor that ran it ("local", "slurm").
	Executor string
	Points   []PointResult
	// Best is the succeeded point with the best Value; nil when none has
	// one. Ties are the other succeeded points with exactly Best's Value
	// (see Best for who wins a tie).
	Best *PointResult
	Ties []PointResult
	// Parallel is how many points trained at once in this process (0: as
	// the executor's scheduler decided), Threads the CPU threads of each,
	// PeakThreads the most threads in use at once in this process.
	Parallel, Threads, PeakThreads int
	// Trained counts the points this process trained or submitted, Cached
	// those it found cached; Earlier the points that were done when it
	// started (by an earlier run of the sweep).
	Trained, Cached, Earlier int
	// RemoteHits counts the cached points answered by the remote: runs of
	// their keys that succeeded there, pulled now.
	RemoteHits int
	// Stopped says why the sweep's stop rule ended it early; "" when it
	// did not.
	Stopped string
	// Submission is what the executor handed to an outside scheduler (a
	// Slurm job array); nil when it trained here, or submitted nothing.
	Submission *Submission
	// Elapsed is the wall time of Run; Busy the sum of the time the points
	// this process trained spent in Job.Train (reading the data, training,
	// recording metrics and artifacts). Elapsed - Busy/Parallel is the
	// sweep's own time: planning the points, the queue, the cache lookups,
	// the summary. Planning is the part spent expanding the sweep and
	// validating its points.
	Elapsed, Busy, Planning time.Duration
}

// Failed lists the points that ended without a result.
func (r *Result) Failed() []PointResult {
	var out []PointResult
	for _, p := range r.Points {
		if p.Failed() {
			out = append(out, p)
		}
	}
	return out
}

// Pending counts the points not done: left pending (Ctrl-C) or claimed by
// another process still at work.
func (r *Result) Pending() int {
	n := 0
	for _, p := range r.Points {
		if p.State != store.PointDone {
			n++
		}
	}
	return n
}

// ReadPoints reads where every point of sweep sweepID stands from the
// queue in st, with the run that holds each one's result and its value of
// metric ("<split>.<name>").
func ReadPoints(ctx context.Context, st *store.Store, sweepID, metric string) ([]PointResult, error) {
	queued, err := st.SweepPoints(ctx, sweepID)
	if err != nil {
		return nil, err
	}
	runs, err := st.SweepRuns(ctx, sweepID)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*store.Run, len(runs))
	linked := make(map[int64]bool, len(queued))
	for i := range runs {
		byID[runs[i].ID] = &runs[i]
	}
	for _, q := range queued {
		linked[q.RunID] = true
	}
	// A point claimed by another process (a Slurm or Kubernetes task) is
	// linked to its run only when the task finishes; until then its run is
	// the sweep's latest unlinked run with the point's key (SweepRuns lists
	// those newest first).
	training := map[string]*store.Run{}
	for i := range runs {
		r := &runs[i]
		if !linked[r.ID] && training[r.Key] == nil {
			training[r.Key] = r
		}
	}
	out := make([]PointResult, len(queued))
	for i, q := range queued {
		p := PointResult{Index: q.Index, Key: q.Key, State: q.State, Status: q.Status, Cached: q.Cached,
			Error: q.Error, Value: math.NaN()}
		if err := json.Unmarshal(q.Params, &p.Params); err != nil {
			return nil, fmt.Errorf("sweep %s point %d: params: %w", sweepID, q.Index, err)
		}
		r := byID[q.RunID]
		if r == nil && q.State == store.PointClaimed {
			r = training[q.Key]
		}
		if r != nil {
			p.Run = r
			if q.State == store.PointDone {
				p.Value = MetricValue(r, metric)
				if p.Error == "" {
					p.Error = r.Error
				}
			}
		}
		out[i] = p
	}
	return out, nil
}

// Best is the succeeded point with the best Value in mode (ModeMin,
// ModeMax); nil when none has a value. A tie (values exactly equal) goes
// to the first of the tied points in points' order: a sweep's lowest
// point index, its order of expansion (the grid's, or the random draws').
// Tied lists the others.
func Best(points []PointResult, mode string) *PointResult {
	var best *PointResult
	for i := range points {
		p := &points[i]
		if p.State != store.PointDone || p.Status != store.StatusSucceeded || math.IsNaN(p.Value) {
			continue
		}
		if best == nil || better(p.Value, best.Value, mode) {
			best = p
		}
	}
	return best
}

// Tied lists the succeeded points other than best whose Value is exactly
// best's: the points best won a tie against (Best).
func Tied(points []PointResult, best *PointResult) []PointResult {
	if best == nil {
		return nil
	}
	var out []PointResult
	for _, p := range points {
		if p.Index != best.Index && p.State == store.PointDone && p.Status == store.StatusSucceeded && p.Value == best.Value {
			out = append(out, p)
		}
	}
	return out
}
