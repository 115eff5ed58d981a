package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
)

// Widths of the runs table's columns. Most follow their content, within
// caps; these are the fixed ones, the caps and the floors.
const (
	gutterW   = 2  // cursor and mark
	statusW   = 11 // "✓ succeeded"
	keyW      = 12
	startedW  = 8 // "STARTED▼", "20m ago"
	durationW = 8 // "DURATION", "3d04h"
	minExpW   = 8
	// wantExpW is the experiment width that other columns give way to:
	// narrower, the device column goes (the detail page shows it).
	wantExpW = 14
	// maxExpW and maxDeviceW cap the columns that follow their content.
	maxExpW    = 40
	maxDeviceW = 12
	// The progress bar takes barW cells, down to barMinW before a column
	// is dropped and up to barMaxW with room to spare.
	barW    = 6
	barMinW = 3
	barMaxW = 14
)

// tableRows is how many runs fit in a body of h lines (one is the header).
func tableRows(h int) int { return max(1, h-1) }

// tableKey handles a key on the runs table.
func (m *Model) tableKey(k tea.KeyMsg) tea.Cmd {
	page := tableRows(m.height - 2)
	keys := m.keys
	switch {
	case key.Matches(k, keys.Quit):
		return tea.Quit
	case key.Matches(k, keys.Up):
		m.setCursor(m.cursor - 1)
	case key.Matches(k, keys.Down):
		m.setCursor(m.cursor + 1)
	case key.Matches(k, keys.PageUp):
		m.setCursor(m.cursor - page)
	case key.Matches(k, keys.PageDown):
		m.setCursor(m.cursor + page)
	case key.Matches(k, keys.Top):
		m.setCursor(0)
	case key.Matches(k, keys.Bottom):
		m.setCursor(len(m.view.rows) - 1)
	case k.String() == "esc":
		switch {
		case !m.view.filter.empty() || m.waiting != nil:
			m.input.SetValue("")
			m.view.filter, m.waiting = filter{}, nil
			m.refilter()
		case len(m.marks) > 0:
			m.marks = nil
		}
	case key.Matches(k, keys.Open):
		if r := m.current(); r != nil {
			return m.openDetail(r.ID)
		}
	case key.Matches(k, keys.Filter):
		m.filtering, m.filterErr = true, ""
		m.input.pos = len(m.input.value)
	case key.Matches(k, keys.Mark):
		if r := m.current(); r != nil {
			m.toggleMark(r.ID)
			m.setCursor(m.cursor + 1)
		}
	case key.Matches(k, keys.MarkAll):
		if len(m.marks) > 0 {
			m.marks = nil
		} else {
			for _, r := range m.view.rows {
				m.marks = append(m.marks, r.ID)
			}
		}
	case key.Matches(k, keys.Compare):
		return m.openCompare()
	case key.Matches(k, keys.Sweep):
		if r := m.current(); r != nil {
			return m.openSweep(r.SweepID)
		}
	case key.Matches(k, keys.Parallel):
		if r := m.current(); r != nil {
			cmd := m.openSweep(r.SweepID)
			m.sweep.parallel = m.page == pageSweep
			return cmd
		}
	case key.Matches(k, keys.Sort):
		return m.sortBy(column((int(m.view.order.col) + 1) % int(numColumns)))
	case key.Matches(k, keys.Reverse):
		m.view.order.desc = !m.view.order.desc
		m.rebuild()
	case key.Matches(k, keys.SortColumn):
		c := column(k.Runes[0] - '1')
		if c == m.view.order.col {
			m.view.order.desc = !m.view.order.desc
			m.rebuild()
			return nil
		}
		return m.sortBy(c)
	case key.Matches(k, keys.Metric):
		return m.nextMetric()
	case key.Matches(k, keys.Group):
		m.view.group = !m.view.group
		m.refilter()
		if m.view.group {
			return m.sh.loadGroupSweeps(m.groupSweepIDs())
		}
	case key.Matches(k, keys.Cancel):
		return m.askCancel(m.targets())
	case key.Matches(k, keys.Delete):
		return m.askDelete(m.targets())
	case key.Matches(k, keys.Copy):
		if r := m.current(); r != nil {
			return m.copyKey(r.Key)
		}
	case key.Matches(k, keys.Rerun):
		if r := m.current(); r != nil {
			return m.rerunRun(r.Key)
		}
	}
	return nil
}

// sortBy sorts on column c in its natural direction: names ascending,
// times and progress descending, a metric best first.
func (m *Model) sortBy(c column) tea.Cmd {
	desc := false
	switch c {
	case colProgress, colStarted, colDuration:
		desc = true
	case colMetric:
		// Best first; the main metric sorts by how good each value is.
		desc = m.view.metric == mainMetric || !metric.Lower(m.view.metric.Name)
	}
	m.view.order = ordering{col: c, desc: desc}
	m.rebuild()
	if c == colMetric && m.view.metric != (store.SplitMetric{}) {
		return m.requestSeries(m.view.metric)
	}
	return nil
}

// nextMetric moves the metric column to the next metric the store has.
func (m *Model) nextMetric() tea.Cmd {
	names := m.ix.names
	if len(names) == 0 {
		m.setFlash("no metrics recorded yet", false)
		return nil
	}
	cycle := names
	if defaultMetric(names) == mainMetric {
		cycle = append([]store.SplitMetric{mainMetric}, names...)
	}
	i := slices.Index(cycle, m.view.metric)
	m.view.metric = cycle[(i+1)%len(cycle)]
	if m.view.order.col == colMetric {
		m.view.order.desc = m.view.metric == mainMetric || !metric.Lower(m.view.metric.Name)
	}
	m.setFlash("metric column: "+metricLabel(m.view.metric), false)
	switch {
	case m.view.order.col == colMetric:
		m.rebuild()
	case len(m.view.filter.series(m.view.metric)) > 0:
		m.refilter()
	}
	return m.requestSeries(m.view.metric)
}

func (m *Model) toggleMark(id int64) {
	if i := slices.Index(m.marks, id); i >= 0 {
		m.marks = slices.Delete(m.marks, i, i+1)
		return
	}
	m.marks = append(m.marks, id)
}

// targets are the runs an action applies to: the marked ones, else the one
// under the cursor.
func (m *Model) targets() []*row {
	var out []*row
	for _, id := range m.marks {
		if r := m.ix.rows[id]; r != nil {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		if r := m.current(); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// filterKey handles a key while the filter is typed: it applies as it
// changes; enter keeps it, esc drops it.
func (m *Model) filterKey(k tea.KeyMsg) tea.Cmd {
	switch k.String() {
	case "enter":
		m.filtering = false
		if m.filterErr != "" {
			m.setFlash("filter not applied: "+m.filterErr, true)
		}
		return nil
	case "esc":
		m.filtering, m.filterErr = false, ""
		m.input.SetValue("")
		m.view.filter, m.waiting = filter{}, nil
		m.refilter()
		return nil
	}
	if !m.input.Update(k) {
		return nil
	}
	return m.applyFilter(m.input.Value())
}

// applyFilter parses query and applies it, at once when the series it
// reads are loaded and else when they arrive.
func (m *Model) applyFilter(query string) tea.Cmd {
	if strings.TrimSpace(query) == strings.TrimSpace(m.view.filter.query) && m.waiting == nil {
		m.filterErr = ""
		return nil
	}
	f, err := parseFilter(query, m.ix.names)
	if err != nil {
		m.filterErr = strings.TrimSuffix(err.Error(), ": "+errFilter.Error())
		return nil
	}
	m.filterErr = ""
	var cmds []tea.Cmd
	for _, s := range f.series(m.view.metric) {
		cmds = append(cmds, m.requestSeries(s))
	}
	if !m.seriesReady(f) {
		m.waiting = &f
		return tea.Batch(cmds...)
	}
	m.view.filter, m.waiting = f, nil
	m.refilter()
	return nil
}

// ensureVisible scrolls so that the cursor's row is on screen, walking
// back from the cursor at most a screen of rows.
func (m *Model) ensureVisible() {
	n := len(m.view.rows)
	if n == 0 {
		m.offset = 0
		return
	}
	visible := tableRows(m.height - 2)
	m.offset = min(m.offset, m.cursor)
	// The first row that still shows the cursor's row: count the lines
	// rows take (a group header is one more) back from the cursor.
	lines, first := 0, m.cursor
	for i := m.cursor; i >= m.offset; i-- {
		need := 1
		if _, ok := m.view.groupStart[m.view.rows[i]]; ok {
			need++
		}
		if lines+need > visible {
			break
		}
		lines += need
		first = i
	}
	m.offset = max(0, min(max(m.offset, first), n-1))
}

// columns are the widths of the table's columns at width w; a column of
// width 0 is not shown. bar and slot are the progress column's bar and
// epoch count.
type columns struct {
	status, exp, key, device, metric, started, duration int
	progress                                            bool
	bar, slot                                           int
	// named: metric cells carry their metric's name (metricCell).
	named bool
}

// contentSizes are the widths the content asks for: the longest
// experiment and device names, the metric column's header and values,
// the widest epoch count.
type contentSizes struct {
	exp, device, metric, slot int
}

func (c columns) progressW() int {
	if !c.progress {
		return 0
	}
	return max(len("PROGRESS"), c.bar+1+c.slot)
}

// total is the width of a row: the columns and a space before each one
// after the status.
func (c columns) total() int {
	n := gutterW + c.status
	for _, v := range []int{c.exp, c.key, c.device, c.progressW(), c.metric, c.started, c.duration} {
		if v > 0 {
			n += v + 1
		}
	}
	return n
}

// layout fits the columns in w cells: each as wide as its content, the
// experiment and the bar giving way first, then the least needed columns
// (device, started, duration, progress); room to spare lengthens the bar.
func layout(w int, cs contentSizes) columns {
	wantExp := max(len("EXPERIMENT"), min(cs.exp, maxExpW))
	c := columns{status: statusW, key: keyW, device: max(len("DEVICE"), min(cs.device, maxDeviceW)),
		metric: cs.metric, started: startedW, duration: durationW, progress: true, slot: cs.slot}
	drops := []func(){
		func() { c.device = 0 },
		func() { c.started = 0 },
		func() { c.duration = 0 },
		func() { c.progress = false },
	}
	for i := 0; ; i++ {
		c.exp, c.bar = wantExp, barW
		over := c.total() - w
		if cut := min(over, c.exp-min(wantExp, wantExpW)); cut > 0 {
			c.exp -= cut
			over -= cut
		}
		if cut := min(over, c.bar-barMinW); cut > 0 && c.progress {
			c.bar -= cut
			over -= cut
		}
		if over <= 0 {
			break
		}
		if i == len(drops) {
			c.exp = max(minExpW, c.exp-over)
			break
		}
		drops[i]()
	}
	if room := w - c.total(); room > 0 && c.progress {
		c.bar += min(room, barMaxW-c.bar)
	}
	return c
}

// sizes measures the content of the table: the index's widest names and
// epoch counts, and the metric values on screen.
func (m *Model) sizes(h int) contentSizes {
	cs := contentSizes{exp: m.ix.widths.exp, device: m.ix.widths.device}
	digits := len(strconv.Itoa(max(m.ix.widths.epochs, 1)))
	cs.slot = max(5, 2*digits+1)
	if m.ix.widths.early {
		cs.slot = max(cs.slot, len("early ")+digits)
	}
	cs.metric = len(m.columnTitle()) + 1
	if m.view.metric == mainMetric {
		for _, p := range mainParts {
			cs.metric = max(cs.metric, len(p.Name)+1)
		}
	}
	vals := m.ix.values(m.view.metric)
	named := m.mainNamed()
	for i := m.offset; i < len(m.view.rows) && i < m.offset+h; i++ {
		cs.metric = max(cs.metric, len(m.metricCell(m.view.rows[i].ID, vals, named)))
	}
	return cs
}

// mainNamed reports whether the metric column's cells name their metric:
// the main metric, with classifiers and regressions on screen.
func (m *Model) mainNamed() bool {
	return m.view.metric == mainMetric && len(m.mainNamesOnScreen()) > 1
}

// metricHeader names the metric column: the test split is implied.
func metricHeader(s store.SplitMetric) string {
	switch s.Split {
	case "":
		return "METRIC"
	case store.SplitTest:
		return strings.ToUpper(s.Name)
	case store.SplitValidation:
		return strings.ToUpper("val." + s.Name)
	}
	return strings.ToUpper(s.String())
}

// tableView draws the runs table.
func (m *Model) tableView(w, h int) (title, body, hint string) {
	t := m.sh.theme
	title = m.tableTitle(w)
	k := m.keys
	quit := with(k.Quit, "quit")
	hint = hintBar(t, w, k.Open, k.Filter, k.Mark, k.Compare, k.Sort, k.Cancel, k.Delete, k.Metric, k.Sweep,
		k.Palette, k.Help, quit)
	if !m.ready {
		return title, t.dim.Render("  loading runs…"), hint
	}
	c := layout(w, m.sizes(h))
	c.named = m.mainNamed()
	arrow := map[bool]string{false: "▲", true: "▼"}[m.view.order.desc]
	hdr := func(col column, name string, width int, right bool) string {
		if width == 0 {
			return ""
		}
		if m.view.order.col == col {
			name = sortedHeader(name, arrow, width)
		}
		if right {
			return " " + fitRight(name, width)
		}
		return " " + fit(name, width)
	}
	header := strings.Repeat(" ", gutterW) + fit(statusHeader(m.view.order, arrow), c.status) +
		hdr(colExperiment, "EXPERIMENT", c.exp, false) + hdr(colKey, "KEY", c.key, false) +
		hdr(colDevice, "DEVICE", c.device, false) + hdr(colProgress, "PROGRESS", c.progressW(), false) +
		hdr(colMetric, m.columnTitle(), c.metric, true) + hdr(colStarted, "STARTED", c.started, false) +
		hdr(colDuration, "DURATION", c.duration, true)
	lines := []string{t.header.Render(fit(header, w))}
	if len(m.view.rows) == 0 {
		msg := "  No runs yet. Train one with: xp run <experiment>"
		switch {
		case !m.view.filter.empty():
			msg = fmt.Sprintf("  No run matches %q (esc clears the filter).", termtext.Clean(m.view.filter.query))
		case m.sh.scope != nil:
			msg = "  Waiting for runs…"
		}
		lines = append(lines, "", t.dim.Render(msg))
		return title, strings.Join(lines, "\n"), hint
	}
	marked := make(map[int64]bool, len(m.marks))
	for _, id := range m.marks {
		marked[id] = true
	}
	vals := m.ix.values(m.view.metric)
	now := m.now()
	for i := m.offset; i < len(m.view.rows) && len(lines) < h; i++ {
		r := m.view.rows[i]
		if g, ok := m.view.groupStart[r]; ok {
			lines = append(lines, t.accent.Render(fit(m.groupLine(g, i), w)))
			if len(lines) >= h {
				break
			}
		}
		lines = append(lines, m.tableRow(r, c, w, i == m.cursor, marked[r.ID], vals, now))
	}
	return title, strings.Join(lines, "\n"), hint
}

// groupLine heads a sweep's group: its size, its running runs, in the
// main metric column which metric its runs show, and its best point by the
// sweep's metric with the point's parameters.
func (m *Model) groupLine(g groupInfo, first int) string {
	head := "▾ no sweep"
	if g.sweep != "" {
		head = "▾ sweep " + g.sweep
	}
	line := fmt.Sprintf("%s · %s", head, plural(g.runs, "run"))
	best := m.groupHeads[g.sweep]
	if best != "" && g.sweep != "" {
		// First after the size: what a narrow terminal must keep.
		line += " · " + best
	}
	line += fmt.Sprintf(" · %d live", g.running)
	if m.view.metric == mainMetric {
		end := min(len(m.view.rows), first+g.runs)
		if names := m.ix.groupMetrics(m.view.rows[first:end]); names != "" {
			line += " · " + names
		}
	}
	if best != "" && g.sweep != "" {
		line += " · W points, p parallel"
	}
	return line
}

// statusHeader is the status column's header with its sort arrow.
func statusHeader(o ordering, arrow string) string {
	if o.col == colStatus {
		return "STATUS" + arrow
	}
	return "STATUS"
}

// sortedHeader appends the sort arrow to a header, shortening the name
// when both do not fit: the arrow is what says how the table is sorted.
func sortedHeader(name, arrow string, width int) string {
	if ansi.StringWidth(name)+1 > width {
		name = ansi.Truncate(name, width-1, "")
	}
	return name + arrow
}

// tableRow draws one run. The cursor's row is drawn without inner styles
// and reversed as a whole, so its colour resets cannot cut the highlight.
func (m *Model) tableRow(r *row, c columns, w int, selected, marked bool, vals map[int64]float64, now time.Time) string {
	t := m.sh.theme
	plain := selected && !t.mono
	style := func(s string, st interface{ Render(...string) string }) string {
		if plain {
			return s
		}
		return st.Render(s)
	}
	cur, mark := " ", " "
	if selected {
		cur = "›"
	}
	if marked {
		mark = style("●", t.marked)
	}
	icon := statusIcon(r.Status)
	if r.Status == store.StatusRunning {
		icon = m.spinnerFrame()
	}
	status := icon + " " + string(r.Status)
	statusStyle := t.status[r.Status]
	if r.CancelRequested && canceling(r.Status) {
		status = icon + " canceling"
	}
	if quiet, ok := silent(&r.RunRow, now); ok {
		status, statusStyle = "! silent "+formatAgeShort(quiet), t.warn
	}
	var b strings.Builder
	b.WriteString(cur + mark)
	b.WriteString(style(fit(status, c.status), statusStyle))
	b.WriteString(" " + fit(r.exp, c.exp))
	b.WriteString(" " + style(fit(r.Short(), c.key), t.dim))
	if c.device > 0 {
		b.WriteString(" " + fit(r.device, c.device))
	}
	if c.progress {
		b.WriteString(" " + fit(progressCell(r, c.bar, c.slot), c.progressW()))
	}
	b.WriteString(" " + fitRight(m.metricCell(r.ID, vals, c.named), c.metric))
	if c.started > 0 {
		age := "-"
		if !r.StartedAt.IsZero() {
			age = formatAge(now, r.StartedAt)
		}
		b.WriteString(" " + style(fit(age, c.started), t.dim))
	}
	if c.duration > 0 {
		d, ok := duration(&r.RunRow, now)
		s := "-"
		if ok {
			s = formatDuration(d)
		}
		b.WriteString(" " + fitRight(s, c.duration))
	}
	line := fit(b.String(), w)
	if selected {
		return t.selected.Render(line)
	}
	return line
}

// progressCell is "███░ 12/20": a bar of bw cells and the epoch count in
// a slot wide enough for every row's, so that the bars line up. A run
// that early stopping ended is done: a full bar, "early 15".
func progressCell(r *row, bw, slot int) string {
	if r.Epochs <= 0 {
		return "-"
	}
	count := strconv.Itoa(r.Epoch) + "/" + strconv.Itoa(r.Epochs)
	done, total := r.Epoch, r.Epochs
	if stoppedEarly(r.Status, r.Epoch, r.Epochs) {
		count, done = "early "+strconv.Itoa(r.Epoch), total
	}
	return bar(done, total, bw) + " " + fitRight(count, slot)
}

// tableTitle is the title line: counts, filter, sort, loading and age.
func (m *Model) tableTitle(w int) string {
	t := m.sh.theme
	left := t.title.Render("xp runs")
	if m.ready {
		total := len(m.ix.rows)
		if !m.ix.complete {
			total = m.ix.count
		}
		shown := formatCount(len(m.view.rows))
		if !m.view.filter.empty() || m.waiting != nil {
			shown += "/" + formatCount(total)
		}
		left += " " + shown
		if n := m.ix.running(); n > 0 {
			left += t.status[store.StatusRunning].Render(fmt.Sprintf("  %d live", n))
		}
		if len(m.marks) > 0 {
			left += t.marked.Render(fmt.Sprintf("  %d marked", len(m.marks)))
		}
		if !m.view.filter.empty() {
			left += "  " + t.dim.Render("filter ") + termtext.Clean(m.view.filter.query)
		}
		if m.waiting != nil {
			left += t.dim.Render("  (loading metrics…)")
		}
		if m.view.group {
			left += t.dim.Render("  by sweep")
		}
	}
	right := ""
	switch {
	case !m.ready:
	case !m.ix.complete:
		right = t.dim.Render(fmt.Sprintf("reading %s/%s", formatCount(len(m.ix.rows)), formatCount(m.ix.count)))
	default:
		right = t.dim.Render("updated " + formatAge(m.now(), m.updated))
	}
	return spread(left, right, w)
}

// spread puts left and right at the two ends of a line of width w,
// dropping right when both do not fit.
func spread(left, right string, w int) string {
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if right == "" || lw+rw+2 > w {
		return fit(left, w)
	}
	return left + strings.Repeat(" ", w-lw-rw) + right
}
