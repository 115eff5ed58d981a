package tui

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xp-ml/xp/store"
)

// rowOf is the screen line of run key short.
func rowOf(t *testing.T, screen, short string) string {
	t.Helper()
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, short) {
			return l
		}
	}
	t.Fatalf("no row of %s on the screen:\n%s", short, screen)
	return ""
}

// The metric column shows each run's main metric: a regression its test
// rmse, a classifier its test accuracy. With both on screen each cell
// names its metric and the header says TEST; with one kind the header
// names it. In group mode each group names its metrics.
func TestMainMetricColumn(t *testing.T) {
	st, runs := standardStore(t)
	m := newTestModel(t, st, 120, 40)
	s := screen(m)
	if l := rowOf(t, s, runs["h"].Short()); !strings.Contains(l, "rmse 293.4") {
		t.Errorf("regression row without its test rmse: %q", l)
	}
	if l := rowOf(t, s, runs["b"].Short()); !strings.Contains(l, "acc 0.79") {
		t.Errorf("classifier row without its test accuracy: %q", l)
	}
	for _, run := range []string{"h", "b", "g"} {
		m.setCursor(m.view.indexOf(runs[run].ID))
		header := strings.Split(screen(m), "\n")[1]
		if !strings.Contains(header, " TEST ") || strings.Contains(header, "RMSE") || strings.Contains(header, "ACCURACY") {
			t.Errorf("cursor on run %s: header %q, want TEST", run, header)
		}
	}
	// Classifiers alone: the header names their metric, cells are bare.
	press(m, "/")
	for _, r := range "exp:credit" {
		press(m, string(r))
	}
	press(m, "enter")
	s = screen(m)
	if header := strings.Split(s, "\n")[1]; !strings.Contains(header, " ACCURACY") {
		t.Errorf("classifiers only: header %q, want ACCURACY", header)
	}
	if l := rowOf(t, s, runs["b"].Short()); strings.Contains(l, "acc ") || !strings.Contains(l, "0.79") {
		t.Errorf("classifiers only: row %q, want a bare 0.79", l)
	}
	press(m, "esc")
	press(m, "w")
	if s := screen(m); !strings.Contains(s, "· accuracy, rmse") {
		t.Errorf("the no-sweep group, of classifiers and a regression, does not name both metrics:\n%s", s)
	}
	// Sorted on it, best first: classifiers by accuracy, then regressions
	// by rmse, lowest first.
	press(m, "w", "6")
	order := ids(m.view.rows)
	if i, j := slices.Index(order, runs["b"].ID), slices.Index(order, runs["h"].ID); i < 0 || j < i {
		t.Errorf("sorted by the main metric: %v, want the best classifier (b) before the regression (h)", order)
	}
}

func TestSortMainMetric(t *testing.T) {
	ix := newIndex()
	ix.apply([]store.RunRow{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}, {ID: 5}}, nil)
	ix.setSeries(mainParts[0], map[int64]float64{1: 0.7, 2: 0.9})
	ix.setSeries(mainParts[1], map[int64]float64{3: 300, 4: 250})
	v := rowView{order: ordering{col: colMetric, desc: true}, metric: mainMetric}
	v.rebuild(ix, clock)
	if got, want := ids(v.rows), []int64{2, 1, 4, 3, 5}; !slices.Equal(got, want) {
		t.Errorf("best first: %v, want %v", got, want)
	}
}

// The title's live count is the running runs: queued and lost runs are
// watched, but nothing trains them.
func TestLiveMeansRunning(t *testing.T) {
	st := testStore(t)
	for i, s := range []store.Status{store.StatusRunning, store.StatusLost, store.StatusLost, store.StatusQueued} {
		f := fixture{name: string(rune('a' + i)), experiment: "credit", status: s, epochs: 10}
		if s != store.StatusQueued {
			f.startedAgo, f.done = time.Minute, 2
		}
		addRun(t, st, f)
	}
	m := newTestModel(t, st, 100, 30)
	title := strings.Split(screen(m), "\n")[0]
	if !strings.Contains(title, " 1 live") {
		t.Errorf("title %q, want 1 live", title)
	}
}

// A run that early stopping ended succeeded: its progress is a full bar
// and says where it stopped, and the detail page says so in words.
func TestEarlyStopReadsDone(t *testing.T) {
	st, runs := standardStore(t)
	m := newTestModel(t, st, 120, 40)
	l := rowOf(t, screen(m), runs["i"].Short())
	if !strings.Contains(l, "█ ") || !strings.Contains(l, " early 15 ") || strings.Contains(l, "░") {
		t.Errorf("early-stopped row: %q, want a full bar and \"early 15\"", l)
	}
	openRun(m, runs["i"].ID)
	if s := screen(m); !strings.Contains(s, "succeeded · stopped early at epoch 15 of 30") {
		t.Errorf("detail page:\n%s", s)
	}
}

// Columns follow their content: an experiment name is shown whole up to
// a cap, and a long metric header is not cut where there is room.
func TestColumnsFollowContent(t *testing.T) {
	st := testStore(t)
	long := "credit-default-prediction-v2" // 28 cells
	addRun(t, st, fixture{name: "a", experiment: long, status: store.StatusSucceeded, epochs: 20, done: 20,
		startedAgo: time.Hour, took: time.Minute})
	addRun(t, st, fixture{name: "b", experiment: strings.Repeat("x", 60), status: store.StatusSucceeded, epochs: 20, done: 20,
		startedAgo: 2 * time.Hour, took: time.Minute})
	m := newTestModel(t, st, 120, 40)
	for i := 0; i < 10 && m.view.metric != (store.SplitMetric{Split: store.SplitValidation, Name: "accuracy"}); i++ {
		press(m, "m")
	}
	s := screen(m)
	if !strings.Contains(s, long+" ") {
		t.Errorf("experiment name cut at 120 columns:\n%s", s)
	}
	if !strings.Contains(s, strings.Repeat("x", maxExpW-1)+"…") || strings.Contains(s, strings.Repeat("x", maxExpW+1)) {
		t.Errorf("a 60-cell name is not capped at %d cells:\n%s", maxExpW, s)
	}
	header := strings.Split(s, "\n")[1]
	if !strings.Contains(header, "VAL.ACCURACY") {
		t.Errorf("metric header cut: %q", header)
	}
	for _, w := range []int{120, 160} {
		m := newTestModel(t, st, w, 24)
		for i, l := range strings.Split(screen(m), "\n")[:4] {
			if strings.Contains(l, "…") && i != 3 {
				t.Errorf("width %d: line %d cut: %q", w, i, l)
			}
		}
	}
}

// The hint bar drops its least important hints to fit, never cutting one
// in the middle and always keeping help.
func TestHintBarFits(t *testing.T) {
	st, runs := standardStore(t)
	for _, w := range []int{60, 80, 120} {
		for _, page := range []func(m *Model){
			func(m *Model) {},
			func(m *Model) { openRun(m, runs["f"].ID) },
			func(m *Model) { markRun(m, runs["a"].ID); markRun(m, runs["b"].ID); press(m, "c") },
			func(m *Model) { press(m, "?") },
		} {
			m := newTestModel(t, st, w, 24)
			page(m)
			lines := strings.Split(screen(m), "\n")
			hint := strings.TrimRight(lines[len(lines)-1], " ")
			if strings.HasSuffix(hint, "…") {
				t.Errorf("width %d: hint bar cut: %q", w, hint)
			}
			if !strings.Contains(hint, "esc") && !strings.Contains(hint, "? help") {
				t.Errorf("width %d: hint bar lost its way out: %q", w, hint)
			}
		}
	}
	t80, t120 := newTestModel(t, st, 80, 24), newTestModel(t, st, 120, 24)
	h80 := strings.Split(screen(t80), "\n")[23]
	h120 := strings.Split(screen(t120), "\n")[23]
	if !strings.Contains(h80, "? help") || !strings.Contains(h120, "d delete") || strings.Contains(h80, "d delete") {
		t.Errorf("the least important hints go first:\n80:  %q\n120: %q", h80, h120)
	}
}

// A lost run that another run took its key over from carries a cancel
// request (should its process come back, it stops): it reads lost, not
// canceling, as xp ls says. A running run asked to cancel reads canceling.
func TestLostRunAskedToCancelReadsLost(t *testing.T) {
	st := testStore(t)
	lost := addRun(t, st, fixture{name: "a", experiment: "credit", status: store.StatusLost, epochs: 10, startedAgo: time.Minute, done: 2})
	running := addRun(t, st, fixture{name: "b", experiment: "credit", status: store.StatusRunning, epochs: 10, startedAgo: time.Minute, done: 2})
	for _, r := range []*store.Run{lost, running} {
		if err := st.RequestCancel(context.Background(), r.ID); err != nil {
			t.Fatal(err)
		}
	}
	m := newTestModel(t, st, 120, 30)
	s := screen(m)
	if l := rowOf(t, s, lost.Short()); !strings.Contains(l, "lost") || strings.Contains(l, "canceling") {
		t.Errorf("lost run's row: %q, want lost", l)
	}
	if l := rowOf(t, s, running.Short()); !strings.Contains(l, "canceling") {
		t.Errorf("running run's row: %q, want canceling", l)
	}
}
