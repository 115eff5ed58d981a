package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/xp-ml/xp/store"
)

// A tie for the best goes to the first point in the sweep's order; the
// others are its ties. Points not succeeded never tie.
func TestBestTies(t *testing.T) {
	done := func(i int, v float64, st store.Status) PointResult {
		return PointResult{Index: i, State: store.PointDone, Status: st, Value: v}
	}
	points := []PointResult{
		done(0, 0.5, store.StatusSucceeded),
		done(1, 0.2, store.StatusFailed),
		done(2, 0.3, store.StatusSucceeded),
		done(3, math.NaN(), store.StatusSucceeded),
		done(4, 0.3, store.StatusSucceeded),
		done(5, 0.3, store.StatusPruned),
		done(6, 0.3, store.StatusSucceeded),
	}
	best := Best(points, ModeMin)
	if best == nil || best.Index != 2 {
		t.Fatalf("best = %+v, want point 2", best)
	}
	ties := Tied(points, best)
	if len(ties) != 2 || ties[0].Index != 4 || ties[1].Index != 6 {
		t.Errorf("ties = %+v, want points 4 and 6", ties)
	}
	if got := Tied(points, Best(points, ModeMax)); len(got) != 0 {
		t.Errorf("the max, 0.5, has ties %+v", got)
	}
	if Tied(points, nil) != nil {
		t.Error("no best has ties")
	}
}

// A point claimed by another process (a Slurm or Kubernetes task) is
// linked to its run only when the task finishes; while it trains,
// ReadPoints finds the run by its key, so xp ls --sweep shows it running
// and the TUI its epoch. A pending point with the same key's old run from
// elsewhere is left alone.
func TestReadPointsFindsATasksRunningRun(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := func(i int) string { return fmt.Sprintf("%064x", i+1) }
	sw := &store.Sweep{ID: "iris-1", Experiment: "iris", Metric: "validation.loss", Mode: ModeMin}
	points := []store.QueuedPoint{
		{Index: 0, Key: key(0), Params: json.RawMessage(`[{"path":"x","value":0}]`)},
		{Index: 1, Key: key(1), Params: json.RawMessage(`[{"path":"x","value":1}]`)},
	}
	if _, err := st.Enqueue(ctx, sw, points, false); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimPoint(ctx, sw.ID, "slurm-7", time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	// The task's run of point 0, and a run of point 1's key outside the
	// sweep.
	training := &store.Run{Key: key(0), Experiment: "iris", SweepID: sw.ID, Status: store.StatusRunning, Epoch: 3}
	elsewhere := &store.Run{Key: key(1), Experiment: "iris", Status: store.StatusRunning}
	for _, r := range []*store.Run{training, elsewhere} {
		if err := st.CreateRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadPoints(ctx, st, sw.ID, sw.Metric)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Run == nil || got[0].Run.ID != training.ID || got[0].Standing() != store.StatusRunning {
		t.Errorf("point 0: run %+v, standing %s; want run %d, running", got[0].Run, got[0].Standing(), training.ID)
	}
	if got[1].Run != nil || got[1].Standing() != store.Status(store.PointPending) {
		t.Errorf("point 1: run %+v, standing %s; want none, pending", got[1].Run, got[1].Standing())
	}
}
