package tui

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/xp-ml/xp/tui/chart"
)

func TestNoColorEnv(t *testing.T) {
	st := testStore(t)
	for _, tc := range []struct {
		env     string
		noColor bool
		mono    bool
	}{{"", false, false}, {"1", false, true}, {"", true, true}} {
		t.Setenv("NO_COLOR", tc.env)
		m := New(context.Background(), st, Options{NoColor: tc.noColor, Output: io.Discard})
		if m.sh.theme.mono != tc.mono {
			t.Errorf("NO_COLOR=%q NoColor=%v: mono %v, want %v", tc.env, tc.noColor, m.sh.theme.mono, tc.mono)
		}
	}
}

// In colour the pages carry escape codes and otherwise read the same as in
// mono; in mono there is not one escape code. Charts are the exception:
// without colour their curves are told apart by line patterns, which the
// legends show instead of coloured dots.
func TestColorAndMono(t *testing.T) {
	st := testStore(t)
	for _, f := range standardRuns() {
		addRun(t, st, f)
	}
	for _, page := range []struct {
		name   string
		keys   []string
		charts bool
	}{{"table", nil, false}, {"compare", []string{" ", " ", "c"}, true}, {"help", []string{"?"}, false}} {
		t.Run(page.name, func(t *testing.T) {
			mono := newTestModel(t, st, 100, 30)
			color := newTestModel(t, st, 100, 30)
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(termenv.ANSI256)
			color.sh.theme = newTheme(r, false)
			press(mono, page.keys...)
			press(color, page.keys...)
			mv, cv := mono.View(), color.View()
			if strings.Contains(mv, "\x1b") {
				t.Error("mono view holds escape codes")
			}
			if !strings.Contains(cv, "\x1b[38;5;") {
				t.Error("colour view has no colour")
			}
			if page.charts {
				// The rules are drawn with ── too: look for the second
				// run's key.
				if g := chart.Dashed.Glyph() + " "; !strings.Contains(mv, g) || strings.Contains(ansi.Strip(cv), g) {
					t.Errorf("line key %q: want it in mono's legends only", g)
				}
				if strings.Contains(mv, "● ") || !strings.Contains(ansi.Strip(cv), "● ") {
					t.Error("want coloured dots as legend keys in colour only")
				}
				return
			}
			if ansi.Strip(cv) != mv {
				t.Errorf("colour view reads differently:\n%s\nmono:\n%s", ansi.Strip(cv), mv)
			}
		})
	}
}
