package tui

import (
	"strings"

	"github.com/xp-ml/xp/internal/termtext"
)

// logView is the log tab: the kept tail of log.txt, following its end,
// each line formatted as `xp run` prints it.
func (m *Model) logView(d *runData, h int) string {
	lines := d.log.lines
	if d.log.err != nil {
		return m.sh.theme.err.Render(termtext.Clean(d.log.err.Error()))
	}
	if len(lines) == 0 {
		return m.sh.theme.dim.Render(noLog(d.run))
	}
	if m.detail.follow {
		m.detail.logOffset = max(0, len(lines)-h)
	}
	off := max(0, min(m.detail.logOffset, len(lines)-h))
	loc := m.now().Location()
	out := make([]string, 0, h)
	for _, l := range lines[off:min(len(lines), off+h)] {
		out = append(out, formatLogLine(l, loc))
	}
	return strings.Join(out, "\n")
}
