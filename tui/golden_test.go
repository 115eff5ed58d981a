package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/xp-ml/xp/store"
)

// sizes are the terminal sizes every page is checked at: the smallest the
// UI supports and a common larger one.
var sizes = []struct {
	name string
	w, h int
}{{"80x24", 80, 24}, {"120x40", 120, 40}}

// TestViewGolden compares each page's screen, escape codes stripped, with
// testdata/TestViewGolden/<page>/<size>.golden; go test -update rewrites
// them.
func TestViewGolden(t *testing.T) {
	st := testStore(t)
	runs := map[string]*store.Run{}
	for _, f := range standardRuns() {
		runs[f.name] = addRun(t, st, f)
	}
	empty := testStore(t)
	// A second run of a's key: the compare legend tells them apart by
	// their run numbers.
	again := standardRuns()[0]
	again.quality, again.startedAgo = 0.15, time.Hour
	rerun := addRun(t, st, again)
	sweeps := testStore(t)
	var swept []*store.Run
	for _, f := range sweepRuns() {
		if r := addRun(t, sweeps, f); f.sweep != "" {
			swept = append(swept, r)
		}
	}
	enqueueSweep(t, sweeps, swept[0].SweepID, "validation.accuracy", "max", swept)
	for _, tc := range []struct {
		name  string
		st    *store.Store
		setup func(m *Model)
	}{
		{"table", st, func(m *Model) {}},
		{"table-empty", empty, func(m *Model) {}},
		{"table-filter-failed", st, func(m *Model) { press(m, "/"); typeText(m, "status:failed,canceled"); press(m, "enter") }},
		{"table-filter-typing", st, func(m *Model) { press(m, "/"); typeText(m, "test.acc>0.") }},
		{"table-filter-error", st, func(m *Model) { press(m, "/"); typeText(m, "status:faild") }},
		{"table-sort-metric", st, func(m *Model) { press(m, "6") }},
		{"table-group-sweep", st, func(m *Model) { press(m, "w") }},
		{"table-marked", st, func(m *Model) { press(m, " ", "j", " ") }},
		{"table-confirm-delete", st, func(m *Model) { press(m, "G", "d") }},
		{"detail-running", st, func(m *Model) { openRun(m, runs["f"].ID) }},
		{"detail-failed", st, func(m *Model) { openRun(m, runs["d"].ID) }},
		{"detail-spec", st, func(m *Model) { openRun(m, runs["a"].ID); press(m, "tab") }},
		{"detail-log", st, func(m *Model) { openRun(m, runs["f"].ID); press(m, "tab", "tab") }},
		{"detail-log-canceled", st, func(m *Model) { openRun(m, runs["e"].ID); press(m, "tab", "tab") }},
		{"detail-regression", st, func(m *Model) { openRun(m, runs["h"].ID) }},
		{"detail-early-stopped", st, func(m *Model) { openRun(m, runs["i"].ID) }},
		{"detail-early-stopped-log", st, func(m *Model) { openRun(m, runs["i"].ID); press(m, "tab", "tab") }},
		{"detail-smoothed", st, func(m *Model) { openRun(m, runs["f"].ID); press(m, ">", ">") }},
		{"detail-log-y-zoomed", st, func(m *Model) {
			openRun(m, runs["f"].ID)
			press(m, "L", "z")
			typeText(m, "4-10")
			press(m, "enter")
		}},
		{"detail-x-time", st, func(m *Model) { openRun(m, runs["f"].ID); press(m, "t", "t") }},
		{"detail-system", st, func(m *Model) { openRun(m, runs["f"].ID); press(m, "shift+tab") }},
		{"detail-system-none", st, func(m *Model) { openRun(m, runs["a"].ID); press(m, "shift+tab") }},
		{"palette", st, func(m *Model) { press(m, ":") }},
		{"palette-detail-narrowed", st, func(m *Model) { openRun(m, runs["f"].ID); press(m, ":"); typeText(m, "smooth") }},
		{"table-metric-validation", st, func(m *Model) { press(m, "m", "esc") }},
		{"compare", st, func(m *Model) {
			markRun(m, runs["a"].ID)
			markRun(m, runs["b"].ID)
			markRun(m, runs["c"].ID)
			press(m, "c")
		}},
		{"compare-same-key", st, func(m *Model) {
			markRun(m, runs["a"].ID)
			markRun(m, rerun.ID)
			press(m, "c")
		}},
		{"sweep", sweeps, func(m *Model) { press(m, "W") }},
		{"sweep-faint", sweeps, func(m *Model) { press(m, "W", "b") }},
		{"sweep-parallel", sweeps, func(m *Model) { press(m, "p") }},
		{"help", st, func(m *Model) { press(m, "?") }},
		{"help-bottom", st, func(m *Model) { press(m, "?", "G") }},
	} {
		for _, sz := range sizes {
			t.Run(tc.name+"/"+sz.name, func(t *testing.T) {
				m := newTestModel(t, tc.st, sz.w, sz.h)
				tc.setup(m)
				out := m.View()
				checkScreen(t, out, sz.w, sz.h)
				golden.RequireEqual(t, []byte(ansi.Strip(out)+"\n"))
			})
		}
	}
}

// checkScreen asserts the frame's size and that nothing from user data
// reached the terminal as a control character.
func checkScreen(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
	// In mono nothing at all is escaped; a stray ESC, BEL or CR would be
	// user data getting through.
	for _, bad := range []string{"\x1b", "\x07", "\r"} {
		if strings.Contains(out, bad) {
			t.Errorf("screen holds %q", bad)
		}
	}
}

// openRun moves the cursor to run id and opens it.
func openRun(m *Model, id int64) {
	m.setCursor(m.view.indexOf(id))
	press(m, "enter")
}

// markRun marks run id.
func markRun(m *Model, id int64) {
	m.setCursor(m.view.indexOf(id))
	press(m, " ")
}
