package tui

import (
	"io"
	"testing"

	"github.com/charmbracelet/lipgloss"

	"github.com/xp-ml/xp/store"
)

// Every status but running (whose icon is the spinner) has an icon of its
// own, a color and a place in the status order: a paused run (an asha
// sweep's rung) reads apart from a pruned or a succeeded one.
func TestEveryStatusHasAnIcon(t *testing.T) {
	th := newTheme(lipgloss.NewRenderer(io.Discard), false)
	seen := map[string]store.Status{}
	for _, s := range store.Statuses {
		if _, ok := statusRank[s]; !ok {
			t.Errorf("%s has no place in the status order", s)
		}
		if _, ok := th.status[s]; !ok {
			t.Errorf("%s has no color", s)
		}
		if s == store.StatusRunning {
			continue
		}
		icon := statusIcon(s)
		if other, ok := seen[icon]; ok || icon == "•" {
			t.Errorf("%s has the icon %q of %s", s, icon, other)
		}
		seen[icon] = s
	}
}
