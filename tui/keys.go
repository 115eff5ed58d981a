package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// keyMap is every binding, one table that the hint bars and the help page
// are generated from.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Open, Back, Quit, Help                  key.Binding
	Filter, Mark, MarkAll, Compare          key.Binding
	Sort, Reverse, SortColumn, Metric       key.Binding
	Group                                   key.Binding
	Cancel, Delete, Copy, Rerun             key.Binding
	NextTab, PrevTab, Follow                key.Binding
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
		Filter:     b([]string{"/"}, "/", "filter"),
		Mark:       b([]string{" "}, "space", "mark"),
		MarkAll:    b([]string{"ctrl+a"}, "ctrl+a", "mark all shown, or none"),
		Compare:    b([]string{"c"}, "c", "compare"),
		Sort:       b([]string{"s"}, "s", "sort"),
		Reverse:    b([]string{"S"}, "S", "reverse the sort"),
		SortColumn: b([]string{"1", "2", "3", "4", "5", "6", "7", "8"}, "1-8", "sort by the nth column; again reverses"),
		Metric:     b([]string{"m"}, "m", "metric"),
		Group:      b([]string{"w"}, "w", "group by sweep"),
		Cancel:     b([]string{"x"}, "x", "cancel"),
		Delete:     b([]string{"d"}, "d", "delete"),
		Copy:       b([]string{"y"}, "y", "copy key"),
		Rerun:      b([]string{"r"}, "r", "rerun"),
		NextTab:    b([]string{"tab"}, "tab", "next tab"),
		PrevTab:    b([]string{"shift+tab"}, "shift+tab", "previous tab"),
		Follow:     b([]string{"f"}, "f", "follow log"),
	}
}

// helpSection is a titled group of bindings for the help page.
type helpSection struct {
	title string
	keys  []key.Binding
}

func (k keyMap) help() []helpSection {
	with := func(b key.Binding, desc string) key.Binding {
		b.SetHelp(b.Help().Key, desc)
		return b
	}
	return []helpSection{
		{"everywhere", []key.Binding{k.Help, k.Quit, k.Back, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}},
		{"runs", []key.Binding{k.Open, k.Filter, k.Mark, k.MarkAll, k.Compare, k.Sort, k.Reverse, k.SortColumn,
			with(k.Metric, "next metric in the metric column"), k.Group}},
		{"actions", []key.Binding{
			with(k.Cancel, "cancel the marked runs, else the run under the cursor"),
			with(k.Delete, "delete the marked runs, else the run under the cursor (asks first)"),
			with(k.Copy, "copy the key of the run under the cursor"),
			with(k.Rerun, "rerun the run under the cursor"),
		}},
		{"run detail", []key.Binding{k.NextTab, k.PrevTab, with(k.Metric, "chart one metric, the next, or all"), k.Follow}},
		{"compare", []key.Binding{with(k.Metric, "next metric in the right chart")}},
	}
}

// hints renders bindings as a hint bar: "enter open  / filter  ? help".
func hints(t *theme, bs ...key.Binding) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		h := b.Help()
		parts = append(parts, t.key.Render(h.Key)+" "+t.dim.Render(h.Desc))
	}
	return strings.Join(parts, "  ")
}
