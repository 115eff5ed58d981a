package tui

import (
	"strings"
)

// filterHelp explains the filter language on the help page.
var filterHelp = []string{
	"credit            text in the experiment, device, status or sweep",
	"status:failed     a status; several: status:failed,canceled",
	"exp:credit        a field containing text: exp, key, device, sweep",
	"test.auc>0.8      a metric's last value: <split>.<metric> > >= < <= = != <number>",
	"accuracy>=0.9     a metric without a split: test, else validation, else train",
	"metric<0.5        the metric in the table's metric column",
	"!status:running   any term negated (! or -); terms separated by spaces all apply",
}

// helpView is the help page: every binding, by where it applies, and the
// filter language.
func (m *Model) helpView(w, h int) (title, body, hint string) {
	t := m.sh.theme
	title = t.title.Render("xp › help")
	hint = hints(t, m.keys.Back, m.keys.Up, m.keys.Down)
	var lines []string
	for _, sec := range m.keys.help() {
		lines = append(lines, t.title.Render(sec.title))
		for _, b := range sec.keys {
			hk := b.Help()
			lines = append(lines, "  "+t.key.Render(fit(hk.Key, 12))+" "+hk.Desc)
		}
		lines = append(lines, "")
	}
	lines = append(lines, t.title.Render("filter (/)"))
	for _, l := range filterHelp {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "", t.dim.Render("ctrl+c quits from anywhere."))
	m.helpOffset = max(0, min(m.helpOffset, len(lines)-h))
	return title, strings.Join(lines[m.helpOffset:min(len(lines), m.helpOffset+h)], "\n"), hint
}
