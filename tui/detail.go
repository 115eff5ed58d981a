package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui/chart"
)

// The detail page's tabs.
const (
	tabOverview = iota
	tabSpec
	tabLog
	numTabs
)

var tabNames = [numTabs]string{"Overview", "Spec & provenance", "Log"}

// detailState is the detail page: which run, which tab, scroll positions,
// and a cache of the drawn charts.
type detailState struct {
	id         int64
	tab        int
	specOffset int
	logOffset  int
	follow     bool // the log tab stays at the end as lines arrive
	// metric is the metric the right chart shows: -1 for all of them.
	metric int
	cache  renderCache
}

// renderCache keeps a drawn block until what it was drawn from changes.
type renderCache struct {
	key string
	out string
}

func (c *renderCache) get(key string, draw func() string) string {
	if c.key != key || c.out == "" {
		c.key, c.out = key, draw()
	}
	return c.out
}

func (m *Model) openDetail(id int64) tea.Cmd {
	m.page = pageDetail
	m.detail = detailState{id: id, follow: true, metric: -1}
	return m.open(id)
}

// detailKey handles a key on the detail page.
func (m *Model) detailKey(k tea.KeyMsg) tea.Cmd {
	keys := m.keys
	d := &m.detail
	body := m.height - 2
	switch {
	case key.Matches(k, keys.Back, keys.Quit):
		m.page = pageTable
		return m.open()
	case key.Matches(k, keys.NextTab):
		d.tab = (d.tab + 1) % numTabs
	case key.Matches(k, keys.PrevTab):
		d.tab = (d.tab + numTabs - 1) % numTabs
	case key.Matches(k, keys.Up):
		m.scrollDetail(-1)
	case key.Matches(k, keys.Down):
		m.scrollDetail(1)
	case key.Matches(k, keys.PageUp):
		m.scrollDetail(-body)
	case key.Matches(k, keys.PageDown):
		m.scrollDetail(body)
	case key.Matches(k, keys.Top):
		m.scrollDetail(-1 << 30)
	case key.Matches(k, keys.Bottom):
		m.scrollDetail(1 << 30)
	case key.Matches(k, keys.Follow):
		d.follow = !d.follow
	case key.Matches(k, keys.Metric):
		if names := m.metricNames(m.runs[d.id]); len(names) > 0 {
			d.metric++
			if d.metric >= len(names) {
				d.metric = -1
			}
		}
	case key.Matches(k, keys.Cancel, keys.Delete, keys.Copy, keys.Rerun):
		r := m.ix.rows[d.id]
		if r == nil {
			return nil
		}
		switch {
		case key.Matches(k, keys.Cancel):
			return m.askCancel([]*row{r})
		case key.Matches(k, keys.Delete):
			return m.askDelete([]*row{r})
		case key.Matches(k, keys.Copy):
			return m.copyKey(r.Key)
		default:
			return m.rerunRun(r.Key)
		}
	}
	return nil
}

// scrollDetail scrolls the spec or the log tab by n lines; scrolling up
// in the log stops following it, reaching the end follows it again.
func (m *Model) scrollDetail(n int) {
	d := &m.detail
	switch d.tab {
	case tabSpec:
		d.specOffset = max(0, d.specOffset+n)
	case tabLog:
		if rd := m.runs[d.id]; rd != nil {
			if d.follow {
				d.logOffset = max(0, len(rd.log.lines)-m.logRows())
			}
			d.logOffset = max(0, min(d.logOffset+n, len(rd.log.lines)-m.logRows()))
			d.follow = d.logOffset >= len(rd.log.lines)-m.logRows()
		}
	}
}

// logRows is how many log lines the log tab shows.
func (m *Model) logRows() int { return max(1, m.height-2-m.detailHeaderLines()) }

// detailHeaderLines is how many lines the tabs and the run's facts take.
func (m *Model) detailHeaderLines() int {
	n := 3
	if r := m.detailRun(); r != nil && r.Error != "" {
		n++
	}
	return n
}

// detailRun is the open run in full, nil while it loads.
func (m *Model) detailRun() *store.Run {
	if d := m.runs[m.detail.id]; d != nil {
		return d.run
	}
	return nil
}

// detailView draws the detail page.
func (m *Model) detailView(w, h int) (title, body, hint string) {
	t := m.sh.theme
	k := m.keys
	d := m.runs[m.detail.id]
	r := m.ix.rows[m.detail.id]
	name, short := "", ""
	switch {
	case d != nil && d.run != nil:
		name, short = clean(d.run.Experiment), d.run.Short()
	case r != nil:
		name, short = r.exp, r.Short()
	}
	title = t.title.Render("xp › "+name) + " " + t.dim.Render(short)
	hint = hints(t, k.Back, k.NextTab, k.Metric, k.Cancel, k.Delete, k.Copy, k.Rerun, k.Help)
	if d == nil || d.run == nil {
		return title, t.dim.Render("  loading run…"), hint
	}
	if d.gone {
		return title, t.dim.Render("  This run was deleted."), hint
	}
	lines := []string{m.tabsLine(), m.runFacts(d.run, w), m.provenanceLine(d.run)}
	if d.run.Error != "" {
		lines = append(lines, t.err.Render("error: "+clean(d.run.Error)))
	}
	rest := h - len(lines)
	var content string
	switch m.detail.tab {
	case tabOverview:
		content = m.overview(d, w, rest)
	case tabSpec:
		all := m.specLines(d)
		m.detail.specOffset = max(0, min(m.detail.specOffset, len(all)-rest))
		content = strings.Join(all[m.detail.specOffset:min(len(all), m.detail.specOffset+rest)], "\n")
	case tabLog:
		content = m.logView(d, rest)
	}
	lines = append(lines, content)
	return title, strings.Join(lines, "\n"), hint
}

// tabsLine names the tabs, the current one emphasised (bracketed in mono).
func (m *Model) tabsLine() string {
	t := m.sh.theme
	parts := make([]string, numTabs)
	for i, n := range tabNames {
		switch {
		case i == m.detail.tab && t.mono:
			parts[i] = "[" + n + "]"
		case i == m.detail.tab:
			parts[i] = " " + t.tabActive.Render(n) + " "
		default:
			parts[i] = " " + t.tabInactive.Render(n) + " "
		}
	}
	return strings.Join(parts, " ")
}

// runFacts is the status line: status, progress, backend, times.
func (m *Model) runFacts(r *store.Run, w int) string {
	t := m.sh.theme
	icon := statusIcon(r.Status)
	if r.Status == store.StatusRunning {
		icon = m.spinnerFrame()
	}
	status := string(r.Status)
	if r.CancelRequested && live(r.Status) {
		status = "canceling"
	}
	parts := []string{t.status[r.Status].Render(icon + " " + status)}
	if r.Epochs > 0 {
		parts = append(parts, fmt.Sprintf("epoch %d/%d %s", r.Epoch, r.Epochs, bar(r.Epoch, r.Epochs, 5)))
	}
	if r.Backend != "" || r.Device != "" {
		parts = append(parts, clean(r.Backend)+" on "+clean(r.Device))
	}
	now := m.now()
	rr := store.RunRow{Status: r.Status, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, CreatedAt: r.CreatedAt}
	parts = append(parts, "started "+formatAge(now, startedAt(&rr)))
	if dur, ok := duration(&rr, now); ok {
		if r.Status == store.StatusRunning {
			parts = append(parts, "for "+formatDuration(dur))
		} else {
			parts = append(parts, "took "+formatDuration(dur))
		}
	}
	if r.RerunOf != 0 {
		parts = append(parts, fmt.Sprintf("rerun of run %d", r.RerunOf))
	}
	rr.Epoch, rr.HeartbeatAt = r.Epoch, r.HeartbeatAt
	if quiet, ok := silent(&rr, now); ok {
		parts = append(parts, t.warn.Render("no heartbeat for "+formatDuration(quiet)))
	}
	return strings.Join(parts, t.dim.Render(" · "))
}

// provenanceOrder lists the provenance fields shown on the overview's
// second line, in order; the spec tab shows them all.
var provenanceOrder = []string{"commit", "branch", "dirty", "host", "spec_file", "xp_version"}

func (m *Model) provenanceLine(r *store.Run) string {
	t := m.sh.theme
	prov := map[string]any{}
	if len(r.Provenance) > 0 {
		_ = json.Unmarshal(r.Provenance, &prov)
	}
	var parts []string
	for _, k := range provenanceOrder {
		v, ok := prov[k]
		if !ok {
			continue
		}
		s := clean(fmt.Sprint(v))
		switch k {
		case "commit":
			s = store.ShortKey(s)
		case "dirty":
			if v == true {
				parts = append(parts, t.warn.Render("dirty"))
			}
			continue
		}
		parts = append(parts, t.dim.Render(strings.ReplaceAll(k, "_", " ")+" ")+s)
	}
	if r.Dirty && !slices.Contains(parts, t.warn.Render("dirty")) {
		parts = append(parts, t.warn.Render("dirty"))
	}
	if len(parts) == 0 {
		return t.dim.Render("no provenance recorded")
	}
	return strings.Join(parts, t.dim.Render(" · "))
}

// overview draws the charts, the metric table and the log's last lines.
func (m *Model) overview(d *runData, w, h int) string {
	t := m.sh.theme
	metricLines := m.metricTable(d.run, w)
	chartH := 0
	avail := h - len(metricLines)
	switch {
	case avail >= 12:
		chartH = min(16, max(7, avail*3/5))
	case avail >= chart.MinHeight+2:
		chartH = avail - 2
	}
	var out []string
	if chartH > 0 {
		key := fmt.Sprint(d.version, w, chartH, m.detail.metric, t.mono)
		out = append(out, m.detail.cache.get(key, func() string { return m.detailCharts(d, w, chartH) }))
	}
	out = append(out, metricLines...)
	logH := h - chartH - len(metricLines)
	if logH >= 2 {
		out = append(out, rule(t, "log", w))
		lines := d.log.lines
		if len(lines) > logH-1 {
			lines = lines[len(lines)-(logH-1):]
		}
		if len(lines) == 0 {
			lines = []string{t.dim.Render(noLog(d.run))}
		}
		out = append(out, lines...)
	}
	return strings.Join(out, "\n")
}

// metricNames are the metrics the right chart can show: validation
// metrics that are not losses, else training ones.
func (m *Model) metricNames(d *runData) []string {
	if d == nil {
		return nil
	}
	for _, split := range []string{store.SplitValidation, store.SplitTrain} {
		var names []string
		for k := range d.curves {
			if k.Split == split && !metric.Lower(k.Name) {
				names = append(names, k.Name)
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			return names
		}
	}
	return nil
}

// metricsSplit is the split the right chart reads.
func metricsSplit(d *runData) string {
	for k := range d.curves {
		if k.Split == store.SplitValidation && !metric.Lower(k.Name) {
			return store.SplitValidation
		}
	}
	return store.SplitTrain
}

// detailCharts draws the loss chart and the metrics chart side by side (the
// loss chart alone when the page is narrow).
func (m *Model) detailCharts(d *runData, w, h int) string {
	t := m.sh.theme
	waiting := "no points"
	if live(d.run.Status) {
		waiting = "waiting for the first epoch"
	}
	var loss []chart.Series
	for i, split := range []string{store.SplitTrain, store.SplitValidation} {
		if pts := d.curves[store.SplitMetric{Split: split, Name: "loss"}]; len(pts) > 0 {
			name := split
			if split == store.SplitValidation {
				name = "val"
			}
			loss = append(loss, chart.Series{Name: name, Points: curvePoints(pts), Style: t.series(i)})
		}
	}
	lossChart := chart.Chart{Title: "loss", XLabel: "epoch", Series: loss, Axis: t.dim, TitleStyle: t.title, Empty: waiting}
	if w < 60 {
		lossChart.Width, lossChart.Height = w, h
		return lossChart.Render()
	}
	names := m.metricNames(d)
	split := metricsSplit(d)
	var ms []chart.Series
	for i, n := range names {
		if m.detail.metric >= 0 && m.detail.metric < len(names) && names[m.detail.metric] != n {
			continue
		}
		ms = append(ms, chart.Series{Name: n, Points: curvePoints(d.curves[store.SplitMetric{Split: split, Name: n}]),
			Style: t.series(i + 2)})
	}
	title := map[string]string{store.SplitValidation: "validation", store.SplitTrain: "train"}[split]
	metricChart := chart.Chart{Title: title, XLabel: "epoch", Series: ms, Axis: t.dim, TitleStyle: t.title, Empty: waiting}
	lw := (w - 1) / 2
	lossChart.Width, lossChart.Height = lw, h
	metricChart.Width, metricChart.Height = w-1-lw, h
	return sideBySide(lossChart.Render(), metricChart.Render(), " ")
}

// curvePoints places a curve's points on an epoch axis: a point per epoch
// at the epoch, several per epoch spread within it by step.
func curvePoints(pts []store.Point) []chart.Point {
	maxStep := 0
	for _, p := range pts {
		maxStep = max(maxStep, p.Step)
	}
	out := make([]chart.Point, len(pts))
	for i, p := range pts {
		x := float64(p.Epoch)
		if maxStep > 0 {
			x = float64(p.Epoch-1) + float64(p.Step+1)/float64(maxStep+1)
		}
		out[i] = chart.Point{X: x, Y: p.Value}
	}
	return out
}

// metricTable is the last (and best) value of every metric of the
// validation and test splits, a row per split.
func (m *Model) metricTable(r *store.Run, w int) []string {
	t := m.sh.theme
	splits := []string{store.SplitTrain, store.SplitValidation, store.SplitTest}
	seen := map[string]bool{}
	var names []string
	for _, s := range splits {
		for n := range r.Summary[s] {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	sortMetricNames(names)
	const labelW = 11
	colW := 9
	for _, n := range names {
		colW = max(colW, ansi.StringWidth(clean(n))+1)
	}
	fits := max(1, (w-labelW)/colW)
	if len(names) > fits {
		names = names[:fits]
	}
	hdr := fit("", labelW)
	for _, n := range names {
		hdr += fitRight(clean(n), colW)
	}
	lines := []string{t.header.Render(hdr)}
	for _, s := range splits {
		sums := r.Summary[s]
		if len(sums) == 0 {
			continue
		}
		line := fit(s, labelW)
		best := fit("  best", labelW)
		hasBest := false
		for _, n := range names {
			v, ok := sums[n]
			line += fitRight(formatValue(v.Last, ok), colW)
			if ok && v.Count > 1 {
				hasBest = true
				best += fitRight(formatValue(v.Best, true), colW)
			} else {
				best += fit("", colW)
			}
		}
		lines = append(lines, line)
		if hasBest && s == store.SplitValidation {
			lines = append(lines, t.dim.Render(best))
		}
	}
	return lines
}

// sortMetricNames puts loss first, then the rest by name.
func sortMetricNames(names []string) {
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "loss") != (names[j] == "loss") {
			return names[i] == "loss"
		}
		return names[i] < names[j]
	})
}

// logView is the log tab: the kept tail of log.txt, following its end.
func (m *Model) logView(d *runData, h int) string {
	lines := d.log.lines
	if d.log.err != nil {
		return m.sh.theme.err.Render(clean(d.log.err.Error()))
	}
	if len(lines) == 0 {
		return m.sh.theme.dim.Render(noLog(d.run))
	}
	if m.detail.follow {
		m.detail.logOffset = max(0, len(lines)-h)
	}
	off := max(0, min(m.detail.logOffset, len(lines)-h))
	return strings.Join(lines[off:min(len(lines), off+h)], "\n")
}

// specLines is the spec tab: identity, data, timing, provenance and the
// resolved spec, every value cleaned.
func (m *Model) specLines(d *runData) []string {
	t := m.sh.theme
	r := d.run
	kv := func(k, v string) string { return t.dim.Render(fit(k, 12)) + clean(v) }
	lines := []string{
		kv("run key", r.Key),
		kv("run id", fmt.Sprint(r.ID)),
		kv("experiment", r.Experiment),
		kv("spec hash", r.SpecHash),
	}
	if r.SweepID != "" {
		lines = append(lines, kv("sweep", r.SweepID))
	}
	dataNames := make([]string, 0, len(r.DataHashes))
	for n := range r.DataHashes {
		dataNames = append(dataNames, n)
	}
	sort.Strings(dataNames)
	for _, n := range dataNames {
		lines = append(lines, kv("data", n+" sha256:"+r.DataHashes[n]))
	}
	if r.WeightsSHA256 != "" {
		lines = append(lines, kv("weights", "sha256:"+r.WeightsSHA256))
	}
	lines = append(lines, jsonSection(t.title.Render("timing"), r.Timing)...)
	lines = append(lines, jsonSection(t.title.Render("provenance"), r.Provenance)...)
	lines = append(lines, t.title.Render("spec"))
	if len(r.Spec) == 0 {
		lines = append(lines, t.dim.Render("  (none recorded)"))
		return lines
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, r.Spec, "  ", "  "); err != nil {
		lines = append(lines, t.err.Render("  unreadable spec: "+clean(err.Error())))
		return lines
	}
	for _, l := range strings.Split("  "+buf.String(), "\n") {
		lines = append(lines, clean(l))
	}
	return lines
}

// jsonSection lists a flat JSON object's fields under a heading.
func jsonSection(heading string, raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil || len(obj) == 0 {
		return nil
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := []string{heading}
	for _, k := range keys {
		v, _ := json.Marshal(obj[k])
		s := string(v)
		if str, ok := obj[k].(string); ok {
			s = str
		}
		lines = append(lines, "  "+fit(clean(k), 16)+" "+clean(s))
	}
	return lines
}

// noLog says why there is no log to show.
func noLog(r *store.Run) string {
	if live(r.Status) {
		return "(no log yet)"
	}
	return "(no log)"
}
