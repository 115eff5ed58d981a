package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/xp-ml/xp/store"
)

// ui runs the whole program on st in a virtual terminal, polling every
// 20 ms so that flows take a fraction of a second.
func ui(t *testing.T, st *store.Store, opts Options) *teatest.TestModel {
	t.Helper()
	opts.NoColor, opts.Output = true, io.Discard
	m := New(context.Background(), st, opts)
	m.sh.poll = 20 * time.Millisecond
	m.sh.now = func() time.Time { return clock }
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	t.Cleanup(func() { _ = tm.Quit() })
	return tm
}

// waitFor waits until the screen shows every one of texts.
func waitFor(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		plain := []byte(ansi.Strip(string(b)))
		for _, s := range texts {
			if !bytes.Contains(plain, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func send(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
}

// final quits and returns the model as it ended.
func final(t *testing.T, tm *teatest.TestModel) *Model {
	t.Helper()
	send(tm, "ctrl+c")
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
}

func standardStore(t *testing.T) (*store.Store, map[string]*store.Run) {
	st := testStore(t)
	runs := map[string]*store.Run{}
	for _, f := range standardRuns() {
		runs[f.name] = addRun(t, st, f)
	}
	return st, runs
}

// Open the UI, filter to the failed runs, open the one left, go back.
func TestFlowFilterAndOpen(t *testing.T) {
	st, runs := standardStore(t)
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 10", "1 live")
	tm.Type("/status:failed")
	send(tm, "enter")
	waitFor(t, tm, "xp runs 1/10", "filter status:failed")
	send(tm, "enter")
	waitFor(t, tm, "xp › churn", "Overview", `error: read data/churn.csv: line 12: bad float "x"`)
	send(tm, "esc")
	waitFor(t, tm, "STATUS")
	m := final(t, tm)
	if m.page != pageTable {
		t.Errorf("page %v after esc, want the table", m.page)
	}
	if len(m.view.rows) != 1 || m.view.rows[0].ID != runs["d"].ID {
		t.Errorf("filtered rows %v, want only run d", ids(m.view.rows))
	}
}

// Mark two runs and compare them: the curves, the one spec field that
// differs and the metric deltas.
func TestFlowCompare(t *testing.T) {
	st, runs := standardStore(t)
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 10")
	tm.Type("/exp:credit status:succeeded")
	send(tm, "enter")
	waitFor(t, tm, "xp runs 4/10")
	send(tm, " ", " ", "c")
	waitFor(t, tm, "compare 2 runs", "spec: 1 of", "train.optimizer.adam.lr", "final metrics")
	m := final(t, tm)
	want := []int64{runs["c"].ID, runs["b"].ID} // newest first, as the table showed them
	if len(m.compare.ids) != 2 || m.compare.ids[0] != want[0] || m.compare.ids[1] != want[1] {
		t.Errorf("compared %v, want %v", m.compare.ids, want)
	}
}

// Cancel a running run: the UI asks, the store records the request, and
// when the owning process stops the run the UI shows it.
func TestFlowCancelRunning(t *testing.T) {
	st, runs := standardStore(t)
	id := runs["f"].ID
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 10")
	tm.Type("/status:running")
	send(tm, "enter")
	waitFor(t, tm, "xp runs 1/10")
	send(tm, "x")
	waitFor(t, tm, "Cancel 1 run ("+runs["f"].Short()+")?")
	send(tm, "y")
	waitFor(t, tm, "cancel requested for 1 run")
	r, err := st.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !r.CancelRequested {
		t.Fatal("the store has no cancel request")
	}
	waitFor(t, tm, "canceling")
	// What the owning `xp run` does at its next epoch.
	ctx := context.Background()
	stop, err := st.Heartbeat(ctx, id, 13)
	if err != nil || !stop {
		t.Fatalf("heartbeat: stop %v, %v", stop, err)
	}
	if err := st.FinishRun(ctx, id, store.StatusCanceled, "canceled", "", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, `No run matches "status:running"`)
	m := final(t, tm)
	if got := m.ix.rows[id].Status; got != store.StatusCanceled {
		t.Errorf("status %s, want canceled", got)
	}
}

// Delete asks first, refuses running runs, and removes the run from the
// store and the table.
func TestFlowDelete(t *testing.T) {
	st, runs := standardStore(t)
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 10")
	tm.Type("/status:running")
	send(tm, "enter", "d")
	waitFor(t, tm, "refusing to delete 1 running run")
	send(tm, "esc")
	tm.Type("/status:failed")
	send(tm, "enter", "d")
	waitFor(t, tm, "Delete 1 run ("+runs["d"].Short()+") with its artifacts?")
	send(tm, "y")
	waitFor(t, tm, "deleted 1 run")
	if _, err := st.Run(context.Background(), runs["d"].ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("run d after delete: %v, want not found", err)
	}
	send(tm, "esc")
	m := final(t, tm)
	if m.ix.rows[runs["d"].ID] != nil || len(m.view.rows) != 9 {
		t.Errorf("rows after delete: %v", ids(m.view.rows))
	}
}

// Runs started and changed by another process show up within a few polls:
// a new run, its epochs in the detail page, its log, and a deletion.
func TestFlowLiveUpdates(t *testing.T) {
	st := testStore(t)
	old := addRun(t, st, fixture{name: "old", experiment: "iris", status: store.StatusSucceeded, epochs: 5, done: 5,
		startedAgo: time.Hour, took: time.Minute})
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 1")
	f := fixture{name: "live", experiment: "credit", status: store.StatusRunning, epochs: 20, done: 2, startedAgo: time.Minute,
		log: []string{"epoch 1/20", "epoch 2/20"}}
	r := addRun(t, st, f)
	waitFor(t, tm, r.Short(), "2/20")
	// The cursor stays on the run it was on; the new run is above it.
	send(tm, "g", "enter")
	waitFor(t, tm, "running · epoch 2/20", "── log", "epoch 1/20")
	ctx := context.Background()
	if err := st.AddPoints(ctx, r.ID, []store.Point{{Split: store.SplitTrain, Name: "loss", Epoch: 3, Value: 0.3}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Heartbeat(ctx, r.ID, 3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, "running · epoch 3/20", "train 0.3 ")
	send(tm, "esc")
	if err := st.DeleteRun(ctx, old.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, "xp runs 1 ")
	m := final(t, tm)
	if len(m.ix.rows) != 1 || m.ix.rows[r.ID] == nil {
		t.Errorf("rows %v, want only the live run", ids(m.view.rows))
	}
	if c := m.runs; len(c) != 0 {
		t.Errorf("%d runs still held open after leaving the detail page", len(c))
	}
}

// A scope shows only its runs, and picks up runs added to it.
func TestFlowScope(t *testing.T) {
	st, runs := standardStore(t)
	scope := NewScope(runs["a"].ID)
	tm := ui(t, st, Options{Scope: scope})
	waitFor(t, tm, "xp runs 1", runs["a"].Short())
	scope.Add(runs["f"].ID)
	waitFor(t, tm, "xp runs 2", runs["f"].Short())
	m := final(t, tm)
	if len(m.ix.rows) != 2 {
		t.Errorf("rows %v, want a and f", ids(m.view.rows))
	}
}

func ids(rows []*row) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

// The chart controls on a run training: smoothing up and down, the x axis
// in steps and in time, log y, a zoom typed at the prompt and one given to
// the palette, and back to every epoch.
func TestFlowChartControls(t *testing.T) {
	st, runs := standardStore(t)
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 10")
	tm.Type("/status:running")
	send(tm, "enter", "enter")
	waitFor(t, tm, "xp › credit", "└1", "epoch", "12")
	send(tm, ">")
	waitFor(t, tm, "ema 0.3")
	send(tm, ">", ">", "<")
	waitFor(t, tm, "ema 0.6")
	// 3111 training rows (from the log) in batches of 32: 98 steps an
	// epoch, 1176 after 12 epochs.
	send(tm, "t")
	waitFor(t, tm, "x step", "── step ──", "1176")
	send(tm, "t")
	waitFor(t, tm, "x time", "── time ──", "12s")
	send(tm, "t", "L")
	waitFor(t, tm, "ema 0.6 · log y")
	send(tm, "z")
	waitFor(t, tm, "zoom to epochs:")
	tm.Type("4-8")
	send(tm, "enter")
	waitFor(t, tm, "log y · epochs 4–8", "└4", "8")
	send(tm, ":")
	tm.Type("zoom 2-5")
	waitFor(t, tm, "zoom to epochs 2-5")
	send(tm, "enter")
	waitFor(t, tm, "epochs 2–5")
	send(tm, "Z", "L", "<", "<", "<")
	waitFor(t, tm, "smoothing off")
	m := final(t, tm)
	if m.plot != (plotOpts{}) {
		t.Errorf("controls %+v after undoing them all", m.plot)
	}
	if m.detail.id != runs["f"].ID {
		t.Errorf("detail of run %d, want f", m.detail.id)
	}
}

// A sweep's chart: the runs in a band with the best on top, then each run
// faint; the runs ranked below with what the sweep varied.
func TestFlowSweep(t *testing.T) {
	st := testStore(t)
	for _, f := range sweepRuns() {
		addRun(t, st, f)
	}
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 7")
	send(tm, "W")
	waitFor(t, tm, "sweep credit-9e3dab18b8cf · 6 runs", "band: min–max of 6", "best 6ceee7 #3", "★ 6ceee75f305f", "LR")
	send(tm, "b")
	waitFor(t, tm, "5 others faint")
	send(tm, "esc", "G", "W")
	waitFor(t, tm, "this run is not part of a sweep")
	m := final(t, tm)
	if m.page != pageTable || !m.plot.faint {
		t.Errorf("page %v, faint %v", m.page, m.plot.faint)
	}
}

// System metrics recorded while the UI is open appear in the System tab.
func TestFlowSystemMetrics(t *testing.T) {
	st := testStore(t)
	r := addRun(t, st, fixture{name: "live", experiment: "credit", status: store.StatusRunning, epochs: 20, done: 3, startedAgo: time.Minute})
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 1")
	send(tm, "enter", "shift+tab")
	waitFor(t, tm, "[System]", "no system metrics recorded")
	var pts []store.Point
	for i := 0; i < 6; i++ {
		pts = append(pts, store.Point{Split: splitSystem, Name: "rss_mb", Epoch: 3, Value: 512 + float64(i),
			Time: r.StartedAt.Add(time.Duration(i) * 5 * time.Second)})
	}
	if err := st.AddPoints(context.Background(), r.ID, pts); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, "RSS MB", "rss_mb 517", "not recorded: CPU %, GPU util %, GPU memory MB")
	final(t, tm)
}

// A sweep's point answered from the cache holds a run trained under
// another experiment, with no sweep id of its own: the sweep page charts
// and ranks it all the same, as xp best does, and here it is the best: point 0, run #1.
func TestFlowSweepCachedPoint(t *testing.T) {
	st := testStore(t)
	base := addRun(t, st, fixture{name: "base", experiment: "credit_base", status: store.StatusSucceeded, epochs: 20, done: 20,
		startedAgo: 3 * time.Hour, took: time.Minute, lr: 0.003, quality: 0.5})
	var runs []*store.Run
	for i, q := range []float64{0.1, 0.2} {
		runs = append(runs, addRun(t, st, fixture{name: fmt.Sprintf("p%d", i), experiment: "credit_sweep", status: store.StatusSucceeded,
			epochs: 20, done: 20, startedAgo: time.Hour, took: time.Minute, lr: 0.01 * float64(i+1), quality: q, sweep: "credit_sweep-1"}))
	}
	all := append([]*store.Run{base}, runs...)
	enqueueSweep(t, st, "credit_sweep-1", "validation.accuracy", "max", all)
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 3")
	send(tm, "/", "e", "x", "p", ":", "c", "r", "e", "d", "i", "t", "_", "s", "enter", "W")
	waitFor(t, tm, "sweep credit_sweep-1 · 3 runs", "★     0 "+base.Short()+"     #1")
	final(t, tm)
}
