package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// paletteState is the command palette, `:`: every action of the page with
// its key, narrowed as the user types; enter runs the one under the
// cursor. "zoom 5-20" and "smooth 0.9" take their argument from the line.
type paletteState struct {
	input  lineInput
	cursor int
}

// command is one line of the palette: what it does, the key that does it
// (pressed to run it), and for commands with an argument, run.
type command struct {
	name, key string
	press     string
	run       func() error
}

// commands are the current page's actions, with the ones every page has.
func (m *Model) commands() []command {
	k := m.keys
	var bs []key.Binding
	switch m.page {
	case pageDetail:
		bs = append(k.detailActions(), k.chartActions()...)
	case pageCompare:
		bs = append([]key.Binding{with(k.Metric, "next metric in the right chart")}, k.chartActions()...)
	case pageSweep:
		bs = append(k.sweepActions()[:3], k.chartActions()...)
	default:
		bs = k.tableActions()
	}
	var out []command
	for _, b := range bs {
		if b.Help().Key == k.SortColumn.Help().Key {
			for i, c := range columnNames {
				n := strconv.Itoa(i + 1)
				out = append(out, command{name: "sort by " + c + "; again reverses", key: n, press: n})
			}
			continue
		}
		out = append(out, command{name: b.Help().Desc, key: b.Help().Key, press: b.Keys()[0]})
	}
	back := with(k.Back, "back")
	if m.page == pageTable {
		back = with(k.Quit, "quit")
	}
	return append(out, command{name: "help: every key", key: "?", press: "?"},
		command{name: back.Help().Desc, key: back.Help().Key, press: back.Keys()[0]})
}

// matches are the commands that match the palette's line: every word of
// it in the command's name or key. A line that is a command with an
// argument ("zoom 5-20", "smooth 0.9") matches that command alone.
func (m *Model) matches() []command {
	q := strings.TrimSpace(m.palette.input.Value())
	if c, ok := m.argCommand(q); ok {
		return []command{c}
	}
	words := strings.Fields(strings.ToLower(q))
	var out []command
	for _, c := range m.commands() {
		text := strings.ToLower(c.name + " " + c.key)
		ok := true
		for _, w := range words {
			if !strings.Contains(text, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}

// argCommand reads a command with an argument, on the pages with charts.
func (m *Model) argCommand(q string) (command, bool) {
	if m.page == pageTable {
		return command{}, false
	}
	verb, arg, ok := strings.Cut(q, " ")
	arg = strings.TrimSpace(arg)
	if !ok || arg == "" {
		return command{}, false
	}
	switch verb {
	case "zoom":
		return command{name: "zoom to epochs " + arg, key: m.keys.Zoom.Help().Key, run: func() error { return m.zoom(arg) }}, true
	case "smooth":
		return command{name: "smooth with weight " + arg, key: m.keys.Smoother.Help().Key, run: func() error {
			w, err := strconv.ParseFloat(arg, 64)
			if err != nil || w < 0 || w >= 1 {
				return fmt.Errorf("smoothing is a weight from 0 to 0.99, not %q", arg)
			}
			m.setSmoothing(nearestSmoothing(w))
			return nil
		}}, true
	}
	return command{}, false
}

// paletteKey handles a key while the palette is open.
func (m *Model) paletteKey(k tea.KeyMsg) tea.Cmd {
	p := m.palette
	switch k.String() {
	case "esc":
		m.palette = nil
		return nil
	case "up", "ctrl+p":
		p.cursor = max(0, p.cursor-1)
		return nil
	case "down", "ctrl+n", "tab":
		p.cursor++
		return nil
	case "enter":
		cs := m.matches()
		if len(cs) == 0 {
			return nil
		}
		c := cs[min(p.cursor, len(cs)-1)]
		m.palette = nil
		if c.run != nil {
			if err := c.run(); err != nil {
				m.setFlash(err.Error(), true)
			}
			return nil
		}
		return m.handleKey(keyFor(c.press))
	}
	if p.input.Update(k) {
		p.cursor = 0
	}
	return nil
}

// paletteView is the palette's list, drawn over the bottom of the page:
// the matching commands, each with its key, the chosen one marked.
func (m *Model) paletteView(w, h int) []string {
	t := m.sh.theme
	cs := m.matches()
	p := m.palette
	p.cursor = max(0, min(p.cursor, len(cs)-1))
	rows := min(len(cs), max(1, h/2))
	first := max(0, p.cursor-rows+1)
	lines := []string{rule(t, fmt.Sprintf("commands (%d): type to narrow, enter runs, esc closes", len(cs)), w)}
	if len(cs) == 0 {
		lines = append(lines, t.dim.Render("  no command matches"))
	}
	for i := first; i < len(cs) && i < first+rows; i++ {
		c := cs[i]
		cur := "  "
		line := fit(c.name, max(1, w-14)) + " " + fitRight(c.key, 10)
		if i == p.cursor {
			cur = "› "
			lines = append(lines, t.selected.Render(fit(cur+line, w)))
			continue
		}
		lines = append(lines, cur+fit(c.name, max(1, w-14))+" "+t.key.Render(fitRight(c.key, 10)))
	}
	return lines
}
