package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/xp-ml/xp/store"
)

// p, from the runs or the sweep page, shows the sweep's points in parallel
// coordinates: an axis for the learning rate (log: it spans three
// decades) and one for the sweep's metric, better at the top; each done
// point crosses the metric axis at its own row, the best at the top and
// the worst at the bottom. p again shows the curves.
func TestSweepParallel(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		st := testStore(t)
		var swept []*store.Run
		for _, f := range sweepRuns() {
			if r := addRun(t, st, f); f.sweep != "" {
				swept = append(swept, r)
			}
		}
		enqueueSweep(t, st, swept[0].SweepID, "validation.accuracy", "max", swept)
		m := newTestModel(t, st, size.w, size.h)
		press(m, "p")
		if m.page != pageSweep || !m.sweep.parallel {
			t.Fatalf("%dx%d: p from the runs: page %v, parallel %v", size.w, size.h, m.page, m.sweep.parallel)
		}
		lines := strings.Split(screen(m), "\n")
		// The plot: the title row, then the high labels, the plot rows,
		// the low labels and the axes' names.
		names := -1
		for i, l := range lines {
			if strings.Contains(l, "VALIDATION.ACCURACY") && strings.Contains(l, "LR") && !strings.Contains(l, "POINT") {
				names = i
				break
			}
		}
		if names < 0 {
			t.Fatalf("%dx%d: no row naming the axes:\n%s", size.w, size.h, strings.Join(lines, "\n"))
		}
		high, low := lines[2], lines[names-1]
		for _, want := range []struct{ line, text string }{{high, "0.1 log"}, {high, "0.8168"}, {low, "0.0003"}, {low, "0.7868"}} {
			if !strings.Contains(want.line, want.text) {
				t.Errorf("%dx%d: %q lacks %q", size.w, size.h, want.line, want.text)
			}
		}
		plot := lines[3 : names-1]
		axis := func(label string) int { // the axis' column: where the plot's top row has │ or ●, nearest the label
			at := len([]rune(high[:strings.Index(high, label)])) + len([]rune(label))/2
			best, col := 1<<30, -1
			for c, r := range []rune(plot[0]) {
				if d := max(c-at, at-c); (r == '│' || r == '●') && d < best {
					best, col = d, c
				}
			}
			return col
		}
		crossings := func(col int) []int {
			var rows []int
			for i, l := range plot {
				if []rune(l)[col] == '●' {
					rows = append(rows, i)
				}
			}
			return rows
		}
		metric := crossings(axis("0.8168"))
		if len(metric) != 5 || metric[0] != 0 || metric[4] != len(plot)-1 {
			t.Errorf("%dx%d: metric axis crossed at rows %v of %d, want 5 (the done points), best at the top, worst at the bottom:\n%s",
				size.w, size.h, metric, len(plot), strings.Join(plot, "\n"))
		}
		lr := crossings(axis("0.1 log"))
		if len(lr) != 6 || lr[0] != 0 || lr[5] != len(plot)-1 {
			t.Errorf("%dx%d: lr axis crossed at rows %v, want 6, 0.1 at the top, 0.0003 at the bottom:\n%s",
				size.w, size.h, lr, strings.Join(plot, "\n"))
		}
		if !strings.Contains(lines[len(lines)-1], "p curves") {
			t.Errorf("%dx%d: hint %q lacks p curves", size.w, size.h, lines[len(lines)-1])
		}
		press(m, "p")
		if s := screen(m); m.sweep.parallel || !strings.Contains(s, "val loss") || !strings.Contains(s, "p parallel") {
			t.Errorf("%dx%d: p again: want the curves and the hint p parallel:\n%s", size.w, size.h, s)
		}
	}
}

// Grouped by sweep (w), a sweep's group head names its best point as
// `xp ls --sweep` marks it, by the sweep's metric, with its parameters.
func TestGroupHeadNamesBest(t *testing.T) {
	st := testStore(t)
	var swept []*store.Run
	for _, f := range sweepRuns() {
		if r := addRun(t, st, f); f.sweep != "" {
			swept = append(swept, r)
		}
	}
	enqueueSweep(t, st, swept[0].SweepID, "validation.accuracy", "max", swept)
	m := newTestModel(t, st, 160, 30)
	press(m, "w")
	want := "▾ sweep credit-9e3dab18b8cf · 6 runs · best ★ #3 (point 2) validation.accuracy 0.8168 at lr=0.003 · 1 live · accuracy · W points, p parallel"
	if s := screen(m); !strings.Contains(s, want) {
		t.Errorf("no group head %q:\n%s", want, s)
	}
}

// The sweep page follows its points: a point that ends while the page is
// open shows its status and value, and the ★ moves to it when it is the
// new best.
func TestFlowSweepPointEnds(t *testing.T) {
	st := testStore(t)
	ctx := context.Background()
	var swept []*store.Run
	for _, f := range sweepRuns() {
		if r := addRun(t, st, f); f.sweep != "" {
			swept = append(swept, r)
		}
	}
	enqueueSweep(t, st, swept[0].SweepID, "validation.accuracy", "max", swept)
	live := swept[5]
	tm := ui(t, st, Options{})
	waitFor(t, tm, "xp runs 7")
	send(tm, "/", "e", "x", "p", ":", "c", "r", "e", "d", "i", "t", "enter", "W")
	waitFor(t, tm, "5/6 points done", "5 "+live.Short()+"     #6 • running")
	if err := st.AddPoints(ctx, live.ID, []store.Point{{Split: store.SplitValidation, Name: "accuracy", Epoch: 20, Value: 0.95}}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, live.ID, store.StatusSucceeded, "", "", nil); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishPoint(ctx, live.SweepID, 5, "test", store.PointOutcome{Status: store.StatusSucceeded, RunID: live.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tm, "6/6 points done", "★     5 "+live.Short()+"     #6 ✓ succeeded")
	final(t, tm)
}
