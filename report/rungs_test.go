package report

import (
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// ashaSweep is an asha sweep in progress, rungs at 20, 40 and 80 epochs:
// point 0 finished the last rung, 1 stopped at the second, 2 at the
// first, 3 was promoted from the first and waits, 4 has not trained.
func ashaSweep() *Sweep {
	point := func(i int, lr string, state store.PointState, status store.Status, epoch int, value float64) sweep.PointResult {
		p := sweep.PointResult{Index: i, Params: []spec.Param{{Path: "train.optimizer.adam.lr", Value: json.RawMessage(lr)}},
			State: state, Status: status, Value: value}
		if epoch > 0 {
			p.Run = &store.Run{ID: int64(i + 1), Key: key(i), Status: status, Epoch: epoch, Epochs: 80}
		}
		return p
	}
	sw := &store.Sweep{ID: "a5a5a5a5a5a5", Experiment: "credit", Method: spec.MethodASHA, Metric: "validation.loss", Mode: sweep.ModeMin}
	rungs := (&spec.Sweep{Method: spec.MethodASHA, MinEpochs: 20, ReductionFactor: 2}).Rungs
	return &Sweep{Sweep: sw, Metric: sw.Metric, Mode: sw.Mode, Rungs: rungs, Points: []sweep.PointResult{
		point(0, "0.01", store.PointDone, store.StatusSucceeded, 80, 0.2),
		point(1, "0.001", store.PointDone, store.StatusPaused, 40, 0.3),
		point(2, "0.0001", store.PointDone, store.StatusPaused, 20, 0.5),
		point(3, "0.003", store.PointPending, store.StatusPaused, 20, 0.4),
		point(4, "0.03", store.PointPending, "", 0, math.NaN()),
	}}
}

// An asha sweep's report shows each point's rung, and how many points
// reached, stopped at and were promoted from each rung.
func TestAshaRungs(t *testing.T) {
	sw := ashaSweep()
	blocks, err := sweepTablePanel{sw}.build()
	if err != nil {
		t.Fatal(err)
	}
	tbl := blocks[0].Table
	col := slices.Index(tbl.Header, "rung")
	if col < 0 {
		t.Fatalf("header %v: no rung", tbl.Header)
	}
	var got []string
	for _, row := range tbl.Rows {
		got = append(got, row[col])
	}
	if want := []string{"3/3", "2/3 paused", "1/3 paused", "1/3 promoted", "-"}; !slices.Equal(got, want) {
		t.Errorf("rungs %q, want %q", got, want)
	}

	blocks, err = rungsPanel{sw}.build()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"1/3", "20", "5", "1", "3"},
		{"2/3", "40", "3", "1", "1"},
		{"3/3", "80", "1", "0", "-"},
	}
	if rows := blocks[0].Table.Rows; !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("rungs table %q, want %q", rows, want)
	}

	// A grid sweep has neither.
	grid := *sw
	grid.Rungs = nil
	for _, p := range sweepPanels(&grid) {
		if p.name() == (rungsPanel{}).name() {
			t.Error("a sweep without rungs has a rungs panel")
		}
	}
}

// One finished point on a log axis (the asha sweep's only one) draws:
// gonum would widen its range below zero, where a log scale panics.
func TestParamsOnePointLogAxis(t *testing.T) {
	blocks, err := paramsPanel{ashaSweep()}.build()
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 || blocks[0].Figure == nil {
		t.Fatalf("blocks %+v, want one figure", blocks)
	}
	if _, err := blocks[0].Figure.SVG(); err != nil {
		t.Fatal(err)
	}
	if x := blocks[0].Figure.plot.X; !(x.Min > 0 && x.Min < 0.01 && x.Max > 0.01) {
		t.Errorf("x from %v to %v, want around 0.01 and above 0", x.Min, x.Max)
	}
	want := "5 points; 2 paused at a rung before the last left out; 2 without a value of validation.loss (failed or not run) left out"
	if got := blocks[0].Figure.Caption; got != want {
		t.Errorf("caption %q, want %q", got, want)
	}
}
