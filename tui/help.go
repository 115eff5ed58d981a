package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// filterHelp explains the filter language on the help page: an example
// and what it selects.
var filterHelp = [][2]string{
	{"credit", "text in the experiment, device, status or sweep"},
	{"status:failed", "a status; several: status:failed,canceled"},
	{"exp:credit", "a field containing text: exp, key, device, sweep"},
	{"test.auc>0.8", "a metric's last value: <split>.<metric> > >= < <= = != <number>"},
	{"accuracy>=0.9", "a metric without a split: test, else validation, else train"},
	{"metric<0.5", "the metric in the table's metric column"},
	{"!status:running", "any term negated (! or -); terms separated by spaces all apply"},
}

// filterExampleW is the width of the filter examples' column.
const filterExampleW = 17

// helpKeyW is the width of the help page's key column.
const helpKeyW = 12

// helpKey scrolls the help page; esc, q and ? close it.
func (m *Model) helpKey(k tea.KeyMsg) {
	page := max(1, m.height-3)
	switch {
	case key.Matches(k, m.keys.Help, m.keys.Back, m.keys.Quit):
		m.help = false
	case key.Matches(k, m.keys.Down):
		m.helpOffset++
	case key.Matches(k, m.keys.Up):
		m.helpOffset = max(0, m.helpOffset-1)
	case key.Matches(k, m.keys.PageDown):
		m.helpOffset += page
	case key.Matches(k, m.keys.PageUp):
		m.helpOffset = max(0, m.helpOffset-page)
	case key.Matches(k, m.keys.Top):
		m.helpOffset = 0
	case key.Matches(k, m.keys.Bottom):
		m.helpOffset = 1 << 30 // the view clamps it to the last page
	}
}

// helpView is the help page: every binding, by where it applies, and the
// filter language. Long descriptions wrap under themselves.
func (m *Model) helpView(w, h int) (title, body, hint string) {
	t := m.sh.theme
	title = t.title.Render("xp › help")
	k := m.keys
	hint = hintBar(t, w, with(k.Back, "close"), k.Down, k.Up, k.PageDown, k.Bottom)
	var lines []string
	for _, sec := range m.keys.help() {
		lines = append(lines, t.title.Render(sec.title))
		for _, b := range sec.keys {
			hk := b.Help()
			desc := wrap(hk.Desc, w-helpKeyW-3)
			lines = append(lines, "  "+t.key.Render(fit(hk.Key, helpKeyW))+" "+desc[0])
			for _, d := range desc[1:] {
				lines = append(lines, strings.Repeat(" ", helpKeyW+3)+d)
			}
		}
		lines = append(lines, "")
	}
	lines = append(lines, t.title.Render("filter (/)"))
	for _, l := range filterHelp {
		desc := wrap(l[1], w-filterExampleW-3)
		lines = append(lines, "  "+fit(l[0], filterExampleW)+" "+desc[0])
		for _, d := range desc[1:] {
			lines = append(lines, strings.Repeat(" ", filterExampleW+3)+d)
		}
	}
	lines = append(lines, "", t.dim.Render("ctrl+c quits from anywhere."))
	m.helpOffset = max(0, min(m.helpOffset, len(lines)-h))
	return title, strings.Join(lines[m.helpOffset:min(len(lines), m.helpOffset+h)], "\n"), hint
}

// wrap breaks s into lines of at most w cells at spaces; a word longer
// than w is cut.
func wrap(s string, w int) []string {
	if w < 8 || ansi.StringWidth(s) <= w {
		return []string{s}
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
