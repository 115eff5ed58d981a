package tui

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
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
// mono; in mono there is not one escape code.
func TestColorAndMono(t *testing.T) {
	st := testStore(t)
	for _, f := range standardRuns() {
		addRun(t, st, f)
	}
	for _, page := range []struct {
		name string
		keys []string
	}{{"table", nil}, {"compare", []string{" ", " ", "c"}}, {"help", []string{"?"}}} {
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
			if ansi.Strip(cv) != mv {
				t.Errorf("colour view reads differently:\n%s\nmono:\n%s", ansi.Strip(cv), mv)
			}
		})
	}
}
