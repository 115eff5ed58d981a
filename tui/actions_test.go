package tui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// y puts the full key on the clipboard with OSC 52 and says so.
func TestCopyKey(t *testing.T) {
	st, runs := standardStore(t)
	t.Setenv("TMUX", "")
	var out bytes.Buffer
	m := New(context.Background(), st, Options{NoColor: true, Output: &out})
	m.sh.now = func() time.Time { return clock }
	m.sh.tick = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	drive(m, m.Init())
	m.setCursor(m.view.indexOf(runs["a"].ID))
	press(m, "y")
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(runs["a"].Key)) + "\x07"
	if out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
	if !strings.Contains(screen(m), "copied "+runs["a"].Key) {
		t.Errorf("no message:\n%s", screen(m))
	}
}

// r calls Options.Rerun with the run's key, and without one tells the user
// the command to type.
func TestRerun(t *testing.T) {
	st, runs := standardStore(t)
	m := newTestModel(t, st, 100, 30)
	m.setCursor(m.view.indexOf(runs["b"].ID))
	press(m, "r")
	if got := screen(m); !strings.Contains(got, "rerun from a shell: xp rerun "+runs["b"].Short()) {
		t.Errorf("no hint:\n%s", got)
	}
	var got []string
	m.sh.rerun = func(_ context.Context, key string) error {
		got = append(got, key)
		if len(got) > 1 {
			return errors.New("data changed")
		}
		return nil
	}
	press(m, "r")
	if len(got) != 1 || got[0] != runs["b"].Key {
		t.Fatalf("Rerun called with %q, want the key of b", got)
	}
	if s := screen(m); !strings.Contains(s, "rerun of "+runs["b"].Short()+" started") {
		t.Errorf("no message:\n%s", s)
	}
	press(m, "r")
	if s := screen(m); !strings.Contains(s, "rerun "+runs["b"].Short()+": data changed") {
		t.Errorf("no error:\n%s", s)
	}
}

// A confirmation answered with anything but y does nothing.
func TestConfirmDeclined(t *testing.T) {
	st, runs := standardStore(t)
	m := newTestModel(t, st, 100, 30)
	m.setCursor(m.view.indexOf(runs["a"].ID))
	press(m, "d", "n")
	if _, err := st.Run(context.Background(), runs["a"].ID); err != nil {
		t.Errorf("run a after a declined delete: %v", err)
	}
	if s := screen(m); !strings.Contains(s, "not done") {
		t.Errorf("no message:\n%s", s)
	}
}

// A resized model draws as one made at the new size.
func TestResize(t *testing.T) {
	st, runs := standardStore(t)
	for _, keys := range [][]string{nil, {"enter"}, {"?"}} {
		a := newTestModel(t, st, 80, 24)
		b := newTestModel(t, st, 132, 43)
		a.setCursor(a.view.indexOf(runs["f"].ID))
		b.setCursor(b.view.indexOf(runs["f"].ID))
		press(a, keys...)
		press(b, keys...)
		a.Update(tea.WindowSizeMsg{Width: 132, Height: 43})
		if a.View() != b.View() {
			t.Errorf("keys %q: resized view differs:\n%s\nwant:\n%s", keys, a.View(), b.View())
		}
	}
}
