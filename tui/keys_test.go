package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"

	"github.com/xp-ml/xp/store"
)

// screens are the pages the help lists keys for, each set up on a small
// terminal where its content overflows.
func screens(t *testing.T) map[string]func() *Model {
	st, runs := standardStore(t)
	long := fixture{name: "long", experiment: "credit", status: store.StatusSucceeded, epochs: 20, done: 20,
		startedAgo: 10 * time.Hour, took: time.Minute}
	for i := 1; i <= 60; i++ {
		long.log = append(long.log, fmt.Sprintf("2026-03-14T09:00:%02dZ epoch %d/60 loss 0.5 validation map[accuracy:0.8]", i%60, i))
	}
	lr := addRun(t, st, long)
	sweeps := testStore(t)
	for _, f := range sweepRuns() {
		addRun(t, sweeps, f)
	}
	const w, h = 80, 14
	return map[string]func() *Model{
		"runs": func() *Model { return newTestModel(t, st, w, h) },
		"help": func() *Model { m := newTestModel(t, st, w, h); press(m, "?"); return m },
		"spec": func() *Model { m := newTestModel(t, st, w, h); openRun(m, runs["a"].ID); press(m, "tab"); return m },
		"log": func() *Model {
			m := newTestModel(t, st, w, h)
			openRun(m, lr.ID)
			press(m, "tab", "tab", "g") // from the top: the log opens at its end
			return m
		},
		"compare": func() *Model {
			m := newTestModel(t, st, w, 20)
			markRun(m, runs["a"].ID)
			markRun(m, runs["b"].ID)
			markRun(m, runs["c"].ID)
			press(m, "c")
			return m
		},
		"sweep": func() *Model { m := newTestModel(t, sweeps, w, h); press(m, "W"); return m },
	}
}

// Every key the help lists under "moving" moves every screen it names: a
// key forward changes the screen, its opposite brings it back.
func TestListedKeysWork(t *testing.T) {
	k := newKeyMap()
	var moving helpSection
	for _, sec := range k.help() {
		if strings.HasPrefix(sec.title, "moving") {
			moving = sec
		}
	}
	if len(moving.keys) != 6 {
		t.Fatalf("moving section: %+v", moving)
	}
	pairs := [][2]key.Binding{{k.Down, k.Up}, {k.PageDown, k.PageUp}, {k.Bottom, k.Top}}
	for name, open := range screens(t) {
		if !strings.Contains(moving.title, name) {
			t.Errorf("the help does not list %s among the screens that move", name)
		}
		for _, p := range pairs {
			for _, fwd := range p[0].Keys() {
				for _, back := range p[1].Keys() {
					t.Run(name+"/"+fwd+"/"+back, func(t *testing.T) {
						m := open()
						before := screen(m)
						press(m, fwd)
						if screen(m) == before {
							t.Errorf("%s does nothing:\n%s", fwd, before)
						}
						if p[0].Help().Key == "G" {
							// g goes to the top, which may be above where
							// the screen opened (the log follows its end).
							press(m, back, fwd, back)
							return
						}
						press(m, back)
						if got := screen(m); got != before {
							t.Errorf("%s then %s does not come back:\n%s\nwant\n%s", fwd, back, got, before)
						}
					})
				}
			}
		}
	}
}

// Every key the help lists for the charts changes the charts on each page
// with charts.
func TestChartKeysWork(t *testing.T) {
	st, runs := standardStore(t)
	sweeps := testStore(t)
	for _, f := range sweepRuns() {
		addRun(t, sweeps, f)
	}
	pages := map[string]func() *Model{
		"detail": func() *Model { m := newTestModel(t, st, 120, 40); openRun(m, runs["f"].ID); return m },
		"system": func() *Model {
			m := newTestModel(t, st, 120, 40)
			openRun(m, runs["f"].ID)
			press(m, "shift+tab")
			return m
		},
		"compare": func() *Model {
			m := newTestModel(t, st, 120, 40)
			markRun(m, runs["a"].ID)
			markRun(m, runs["b"].ID)
			press(m, "c")
			return m
		},
		"sweep": func() *Model { m := newTestModel(t, sweeps, 120, 40); press(m, "W"); return m },
	}
	plot := func(m *Model) string { // the screen without its bottom line
		lines := strings.Split(screen(m), "\n")
		return strings.Join(lines[:len(lines)-1], "\n")
	}
	for name, open := range pages {
		for _, b := range newKeyMap().chartActions() {
			t.Run(name+"/"+b.Help().Key, func(t *testing.T) {
				m := open()
				switch b.Help().Key {
				case "<":
					press(m, ">", ">")
				case "Z":
					press(m, "z")
					typeText(m, "3-9")
					press(m, "enter")
				}
				before := plot(m)
				press(m, b.Keys()[0])
				if b.Help().Key == "z" {
					typeText(m, "2-6")
					press(m, "enter")
				}
				if plot(m) == before {
					t.Errorf("%s (%s) changes nothing:\n%s", b.Help().Key, b.Help().Desc, before)
				}
			})
		}
	}
	m := pages["sweep"]()
	before := screen(m)
	press(m, "b")
	if screen(m) == before {
		t.Error("b changes nothing on the sweep page")
	}
}

// The palette lists every action of the page with its key, and runs the
// one chosen as its key would.
func TestPalette(t *testing.T) {
	st, runs := standardStore(t)
	m := newTestModel(t, st, 120, 60)
	press(m, ":")
	s := screen(m)
	for _, b := range newKeyMap().tableActions() {
		if b.Help().Key == "1-8" {
			continue
		}
		if !strings.Contains(s, b.Help().Desc) {
			t.Errorf("the palette lacks %q", b.Help().Desc)
		}
	}
	for _, c := range columnNames {
		if !strings.Contains(s, "sort by "+c) {
			t.Errorf("the palette lacks sort by %s", c)
		}
	}
	typeText(m, "group")
	press(m, "enter")
	if !m.view.group || m.palette != nil {
		t.Errorf("running \"group by sweep\" from the palette: group %v, palette open %v", m.view.group, m.palette != nil)
	}
	openRun(m, runs["f"].ID)
	press(m, ":")
	typeText(m, "zoom 3-7")
	if s := screen(m); !strings.Contains(s, "zoom to epochs 3-7") {
		t.Errorf("the palette does not offer the zoom it was given:\n%s", s)
	}
	press(m, "enter")
	if m.plot.zoomLo != 3 || m.plot.zoomHi != 7 {
		t.Errorf("zoom %d-%d, want 3-7", m.plot.zoomLo, m.plot.zoomHi)
	}
	press(m, ":")
	typeText(m, "smooth 0.85")
	press(m, "enter")
	if w := smoothSteps[m.plot.smooth]; w != 0.8 {
		t.Errorf("smoothing %v, want the nearest step 0.8", w)
	}
	press(m, ":")
	typeText(m, "nothing like this")
	press(m, "enter")
	if s := screen(m); !strings.Contains(s, "no command matches") {
		t.Errorf("no match:\n%s", s)
	}
	press(m, "esc")
	if m.palette != nil || m.page != pageDetail {
		t.Error("esc should close the palette and stay on the page")
	}
}

// A sweep's runs are ranked by the sweep's own objective when the store
// has its record, as `xp best` picks, and by their main test metric when
// it has none.
func TestSweepRanking(t *testing.T) {
	st := testStore(t)
	var runs []*store.Run
	for i, q := range []float64{0.9, 0.8} { // validation accuracy: a first
		f := fixture{name: fmt.Sprintf("r%d", i), experiment: "credit", status: store.StatusSucceeded, epochs: 5, done: 5,
			startedAgo: time.Hour, took: time.Minute, sweep: "s-1", lr: 0.001 * float64(i+1)}
		r := addRun(t, st, f)
		ctx := context.Background()
		if err := st.AddPoints(ctx, r.ID, []store.Point{
			{Split: store.SplitValidation, Name: "accuracy", Epoch: 6, Value: q},
			{Split: store.SplitTest, Name: "accuracy", Epoch: 7, Value: 1.5 - q}, // b tests better
		}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	star := func() string {
		m := newTestModel(t, st, 120, 40)
		press(m, "W")
		for _, l := range strings.Split(screen(m), "\n") {
			if strings.HasPrefix(l, "★ ") {
				return l
			}
		}
		t.Fatalf("no best run marked:\n%s", screen(m))
		return ""
	}
	if l := star(); !strings.Contains(l, runs[1].Short()) {
		t.Errorf("without the sweep's record, the best test accuracy leads: %q", l)
	}
	enqueueSweep(t, st, "s-1", "validation.accuracy", "max", runs)
	if l := star(); !strings.Contains(l, runs[0].Short()) || !strings.Contains(l, "0.9") {
		t.Errorf("by the sweep's objective, the best validation accuracy leads: %q", l)
	}
}

func TestParseZoom(t *testing.T) {
	for _, tc := range []struct {
		in     string
		lo, hi int
		err    bool
	}{
		{"", 0, 0, false}, {"5-20", 5, 20, false}, {"5:20", 5, 20, false}, {"5 20", 5, 20, false},
		{"5..20", 5, 20, false}, {"10-", 10, 0, false}, {"-30", 0, 30, false}, {"7", 7, 7, false},
		{"20-5", 0, 0, true}, {"a-b", 0, 0, true}, {"0-3", 0, 0, true},
	} {
		lo, hi, err := parseZoom(tc.in)
		if (err != nil) != tc.err || lo != tc.lo || hi != tc.hi {
			t.Errorf("parseZoom(%q) = %d, %d, %v", tc.in, lo, hi, err)
		}
	}
}
