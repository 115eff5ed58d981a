package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// keyMap is every binding, one table that the hint bars, the help page
// and the command palette are generated from.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, Quit, Help, Palette         key.Binding
	Filter, Mark, MarkAll, Compare          key.Binding
	Sort, Reverse, SortColumn, Metric       key.Binding
	Group, Sweep                            key.Binding
	Cancel, Delete, Copy, Rerun             key.Binding
	NextTab, PrevTab, Follow                key.Binding
	Smoother, Rougher, XAxis, LogY          key.Binding
	Zoom, Unzoom, Band, Parallel            key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, help, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Up:         b([]string{"k", "up"}, "↑/k", "up"),
		Down:       b([]string{"j", "down"}, "↓/j", "down"),
		PageUp:     b([]string{"pgup", "ctrl+b", "ctrl+u"}, "pgup", "page up"),
		PageDown:   b([]string{"pgdown", "ctrl+f", "ctrl+d"}, "pgdn", "page down"),
		Top:        b([]string{"g", "home"}, "g", "top"),
		Bottom:     b([]string{"G", "end"}, "G", "bottom"),
		Open:       b([]string{"enter", "l", "right"}, "enter", "open"),
		Back:       b([]string{"esc", "backspace", "h", "left"}, "esc", "back"),
		Quit:       b([]string{"q", "ctrl+c"}, "q", "back; quit from the runs"),
		Help:       b([]string{"?"}, "?", "help"),
		Palette:    b([]string{":"}, ":", "commands"),
		Filter:     b([]string{"/"}, "/", "filter"),
		Mark:       b([]string{" "}, "space", "mark"),
		MarkAll:    b([]string{"ctrl+a"}, "ctrl+a", "mark all shown, or none"),
		Compare:    b([]string{"c"}, "c", "compare"),
		Sort:       b([]string{"s"}, "s", "sort"),
		Reverse:    b([]string{"S"}, "S", "reverse the sort"),
		SortColumn: b([]string{"1", "2", "3", "4", "5", "6", "7", "8"}, "1-8", "sort by the nth column; again reverses"),
		Metric:     b([]string{"m"}, "m", "metric"),
		Group:      b([]string{"w"}, "w", "group by sweep"),
		Sweep:      b([]string{"W"}, "W", "sweep chart"),
		Cancel:     b([]string{"x"}, "x", "cancel"),
		Delete:     b([]string{"d"}, "d", "delete"),
		Copy:       b([]string{"y"}, "y", "copy key"),
		Rerun:      b([]string{"r"}, "r", "rerun"),
		NextTab:    b([]string{"tab"}, "tab", "next tab"),
		PrevTab:    b([]string{"shift+tab"}, "shift+tab", "previous tab"),
		Follow:     b([]string{"f"}, "f", "follow log"),
		Smoother:   b([]string{">", "."}, ">", "more smoothing"),
		Rougher:    b([]string{"<", ","}, "<", "less smoothing"),
		XAxis:      b([]string{"t"}, "t", "x axis"),
		LogY:       b([]string{"L"}, "L", "log y"),
		Zoom:       b([]string{"z"}, "z", "zoom"),
		Unzoom:     b([]string{"Z"}, "Z", "unzoom"),
		Band:       b([]string{"b"}, "b", "band/curves"),
		Parallel:   b([]string{"p"}, "p", "parallel coords"),
	}
}

// with is b described as desc.
func with(b key.Binding, desc string) key.Binding {
	b.SetHelp(b.Help().Key, desc)
	return b
}

// helpSection is a titled group of bindings for the help page.
type helpSection struct {
	title string
	keys  []key.Binding
}

func (k keyMap) help() []helpSection {
	return []helpSection{
		{"everywhere", []key.Binding{k.Help, k.Palette, k.Quit, k.Back}},
		{"moving: runs, help, spec and log tabs, compare, sweep", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
		{"runs", k.tableActions()},
		{"run detail", k.detailActions()},
		{"charts: run detail, compare, sweep", k.chartActions()},
		{"compare", []key.Binding{with(k.Metric, "next metric in the right chart")}},
		{"sweep", k.sweepActions()[:3]},
	}
}

// tableActions are the runs table's keys, for help and the palette.
func (k keyMap) tableActions() []key.Binding {
	return []key.Binding{k.Open, k.Filter, k.Mark, k.MarkAll, k.Compare, k.Sort, k.Reverse, k.SortColumn,
		with(k.Metric, "next metric in the metric column (main: accuracy, or rmse for a regression)"),
		k.Group, with(k.Sweep, "chart the sweep of the run under the cursor"),
		with(k.Parallel, "the sweep of the run under the cursor in parallel coordinates"),
		with(k.Cancel, "cancel the marked runs, else the run under the cursor"),
		with(k.Delete, "delete the marked runs, else the run under the cursor (asks first)"),
		with(k.Copy, "copy the key of the run under the cursor"),
		with(k.Rerun, "rerun the run under the cursor"),
	}
}

// detailActions are the run detail page's own keys.
func (k keyMap) detailActions() []key.Binding {
	return []key.Binding{k.NextTab, k.PrevTab, with(k.Metric, "chart one metric, the next, or all"),
		with(k.Follow, "follow the log's end"), with(k.Sweep, "chart the run's sweep"),
		with(k.Cancel, "cancel the run"), with(k.Delete, "delete the run (asks first)"),
		with(k.Copy, "copy the run's key"), with(k.Rerun, "rerun the run")}
}

// chartActions are the chart controls every page with charts has.
func (k keyMap) chartActions() []key.Binding {
	return []key.Binding{
		with(k.Smoother, "more smoothing: a moving average over the faint raw curve"),
		with(k.Rougher, "less smoothing, down to none"),
		with(k.XAxis, "x axis: epoch, step or wall time"),
		with(k.LogY, "log-scale y axis"),
		with(k.Zoom, "zoom to a range of epochs (asks which)"),
		with(k.Unzoom, "show every epoch again"),
	}
}

// sweepActions are the sweep page's own keys.
func (k keyMap) sweepActions() []key.Binding {
	return []key.Binding{with(k.Band, "a min–max band, or every run's curve faint; the best run on top"),
		with(k.Metric, "next metric in the right chart"),
		with(k.Parallel, "parallel coordinates of the points (an axis per parameter and the metric), or the curves"), k.Back}
}

// hintBar renders bindings as a hint bar that fits in w cells:
// "enter open  / filter  ? help". Bindings are given most important
// first; when they do not all fit, the least important go first, but
// never the ways out and to help (esc, q, :, ?).
func hintBar(t *theme, w int, bs ...key.Binding) string {
	keep := make([]bool, len(bs))
	for i, b := range bs {
		switch b.Help().Key {
		case "?", "q", "esc", ":":
			keep[i] = true
		}
	}
	shown := make([]bool, len(bs))
	for i := range shown {
		shown[i] = true
	}
	render := func() string {
		var parts []string
		for i, b := range bs {
			if shown[i] {
				h := b.Help()
				parts = append(parts, t.key.Render(h.Key)+" "+t.dim.Render(h.Desc))
			}
		}
		return strings.Join(parts, "  ")
	}
	line := render()
	for i := len(bs) - 1; i >= 0 && ansi.StringWidth(line) > w; i-- {
		if !keep[i] {
			shown[i] = false
			line = render()
		}
	}
	return line
}

// keyFor is the key message of a binding's key as key.Binding names it
// ("enter", "shift+tab", "G"): what the palette sends to run an action.
func keyFor(k string) tea.KeyMsg {
	special := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		" ": tea.KeySpace, "down": tea.KeyDown, "up": tea.KeyUp, "backspace": tea.KeyBackspace,
		"pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp,
		"home": tea.KeyHome, "end": tea.KeyEnd, "left": tea.KeyLeft, "right": tea.KeyRight,
	}
	if t, ok := special[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok && len(c) == 1 && c[0] >= 'a' && c[0] <= 'z' {
		return tea.KeyMsg{Type: tea.KeyCtrlA + tea.KeyType(c[0]-'a')}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}
