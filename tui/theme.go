package tui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/xp-ml/xp/store"
)

// theme holds every style the UI draws with, made by one renderer so that
// the colour profile (and NO_COLOR) applies everywhere.
type theme struct {
	mono bool

	title, dim, header, selected, marked, key, err, warn, ok, accent lipgloss.Style
	tabActive, tabInactive                                           lipgloss.Style
	status                                                           map[store.Status]lipgloss.Style
	better, worse                                                    lipgloss.Style
	// palette colours series and runs; in mono every entry is plain.
	palette []lipgloss.Style
}

// newTheme builds the styles for r. mono drops every colour and attribute:
// the NO_COLOR convention, and what golden tests compare.
func newTheme(r *lipgloss.Renderer, mono bool) *theme {
	if mono {
		r.SetColorProfile(termenv.Ascii)
	}
	s := r.NewStyle
	c := func(ansi256 string) lipgloss.Style { return s().Foreground(lipgloss.Color(ansi256)) }
	t := &theme{
		mono:        mono,
		title:       s().Bold(true),
		dim:         c("245"),
		header:      s().Bold(true).Foreground(lipgloss.Color("249")),
		selected:    s().Reverse(true),
		marked:      c("214").Bold(true),
		key:         c("111").Bold(true),
		err:         c("203").Bold(true),
		warn:        c("214"),
		ok:          c("78"),
		accent:      c("111"),
		tabActive:   s().Bold(true).Underline(true),
		tabInactive: c("245"),
		better:      c("78"),
		worse:       c("203"),
		status: map[store.Status]lipgloss.Style{
			store.StatusQueued:    c("245"),
			store.StatusRunning:   c("111"),
			store.StatusSucceeded: c("78"),
			store.StatusFailed:    c("203"),
			store.StatusCanceled:  c("245"),
			store.StatusLost:      c("214"),
			store.StatusDiverged:  c("203"),
			store.StatusPruned:    c("245"),
			store.StatusPaused:    c("245"),
		},
	}
	// Distinct hues that read on dark and light backgrounds.
	for _, col := range []string{"39", "208", "78", "170", "220", "203", "44", "141"} {
		t.palette = append(t.palette, c(col))
	}
	return t
}

// series returns the style of the i-th series or run.
func (t *theme) series(i int) lipgloss.Style {
	return t.palette[i%len(t.palette)]
}

// statusIcon is the one-cell symbol in front of a status; running runs get
// the spinner's frame instead.
func statusIcon(s store.Status) string {
	switch s {
	case store.StatusQueued:
		return "…"
	case store.StatusSucceeded:
		return "✓"
	case store.StatusFailed:
		return "✗"
	case store.StatusCanceled:
		return "⊘"
	case store.StatusLost:
		return "?"
	case store.StatusDiverged:
		return "↯"
	case store.StatusPruned:
		return "✂"
	case store.StatusPaused:
		return "="
	}
	return "•"
}
