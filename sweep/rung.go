package sweep

import (
	"fmt"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
)

// Rung is where a point of an asha sweep stands on its rungs, as xp ls
// --sweep, xp queue and xp report show it (text and JSON).
type Rung struct {
	// Rung is the rung, from 1, of Of; Epochs the epochs it trains to.
	Rung   int `json:"rung"`
	Of     int `json:"of"`
	Epochs int `json:"epochs"`
	// State is RungPaused or RungPromoted for a run paused at the rung;
	// empty otherwise (a run that ended at the last rung, one in
	// training, or the rung a point in training trains to).
	State string `json:"state,omitempty"`
}

// States of a paused run's rung.
const (
	RungPaused   = "paused"   // its point stopped at the rung: not promoted
	RungPromoted = "promoted" // its point goes on from it to the next rung
)

// String is "2/3", "2/3 paused" or "1/3 promoted".
func (r Rung) String() string {
	s := fmt.Sprintf("%d/%d", r.Rung, r.Of)
	if r.State != "" {
		s += " " + r.State
	}
	return s
}

// RunRung is the rung run r of an asha sweep's point ended at (or trains
// in), rungs the point's rungs; held is the state of the point that
// holds r's result: a paused run whose point is done stopped there, one
// whose point is queued again was promoted.
func RunRung(rungs []int, r *store.Run, held store.PointState) Rung {
	k := ashaRung(rungs, &PointResult{State: store.PointDone, Run: r})
	out := Rung{Rung: k + 1, Of: len(rungs), Epochs: rungs[k]}
	switch {
	case r.Status != store.StatusPaused:
	case held == store.PointDone:
		out.State = RungPaused
	default:
		out.State = RungPromoted
	}
	return out
}

// TrainsTo is the rung a pending or claimed point of an asha sweep
// trains to, holding run r (nil: none yet): the one after r's when r
// paused, else its first.
func TrainsTo(rungs []int, r *store.Run) Rung {
	k := ashaRung(rungs, &PointResult{State: store.PointClaimed, Run: r})
	return Rung{Rung: k + 1, Of: len(rungs), Epochs: rungs[k]}
}

// RungsOf are the rungs of sweep sw for a point of epochs epochs, read
// from its experiment in the project at root when that still defines the
// same sweep; nil for a sweep of another method, or one the files have
// moved on from. `xp ls --sweep`, `xp queue` and the TUI show them.
func RungsOf(root string, sw *store.Sweep) func(epochs int) []int {
	if sw == nil || sw.Method != spec.MethodASHA || root == "" {
		return nil
	}
	exp, err := spec.Find(root, sw.Experiment)
	if err != nil || exp.Spec.Sweep == nil || exp.SweepID() != sw.ID {
		return nil
	}
	return exp.Spec.Sweep.Rungs
}

// RungLabel is RunRung as text ("2/3", "1/3 paused", "2/3 promoted"), "-"
// without rungs or a run.
func RungLabel(rungs func(int) []int, r *store.Run, held store.PointState) string {
	if rungs == nil || r == nil {
		return "-"
	}
	return RunRung(rungs(r.Epochs), r, held).String()
}
