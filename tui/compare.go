package tui

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui/chart"
)

// maxCompare is how many runs one comparison overlays: beyond it, colours
// repeat and curves are unreadable.
const maxCompare = 8

// compareState is the compare page: the runs in the order they were marked
// (the first is the baseline of the deltas), the metric on the right chart,
// and the scroll of the tables below the charts.
type compareState struct {
	ids    []int64
	metric int
	offset int
	cache  renderCache
}

func (m *Model) openCompare() tea.Cmd {
	var ids []int64
	for _, id := range m.marks {
		if m.ix.rows[id] != nil {
			ids = append(ids, id)
		}
	}
	if len(ids) < 2 {
		m.setFlash("mark two or more runs with space, then press c", false)
		return nil
	}
	if len(ids) > maxCompare {
		m.setFlash(fmt.Sprintf("comparing the first %d marked runs", maxCompare), false)
		ids = ids[:maxCompare]
	}
	m.page = pageCompare
	m.compare = compareState{ids: ids}
	return m.open(ids...)
}

func (m *Model) compareKey(k tea.KeyMsg) tea.Cmd {
	keys := m.keys
	c := &m.compare
	if cmd, ok := m.chartKey(k); ok {
		return cmd
	}
	switch {
	case key.Matches(k, keys.Back, keys.Quit):
		m.page = pageTable
		return m.open()
	case key.Matches(k, keys.Up):
		c.offset = max(0, c.offset-1)
	case key.Matches(k, keys.Down):
		c.offset++
	case key.Matches(k, keys.PageUp):
		c.offset = max(0, c.offset-(m.height-2)/2)
	case key.Matches(k, keys.PageDown):
		c.offset += (m.height - 2) / 2
	case key.Matches(k, keys.Top):
		c.offset = 0
	case key.Matches(k, keys.Bottom):
		c.offset = 1 << 30 // the view clamps it to the last page
	case key.Matches(k, keys.Metric):
		if n := len(m.compareMetrics()); n > 0 {
			c.metric = (c.metric + 1) % n
		}
	}
	return nil
}

// compared returns the runs being compared that have loaded.
func (m *Model) compared() []*runData {
	var out []*runData
	for _, id := range m.compare.ids {
		if d := m.runs[id]; d != nil && d.run != nil {
			out = append(out, d)
		}
	}
	return out
}

// compareMetrics are the non-loss metrics any compared run has curves of,
// in the validation split (train when none has validation).
func (m *Model) compareMetrics() []string {
	seen := map[string]bool{}
	var names []string
	for _, d := range m.compared() {
		for _, n := range m.metricNames(d) {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

// compareView draws the compare page.
func (m *Model) compareView(w, h int) (title, body, hint string) {
	t := m.sh.theme
	k := m.keys
	title = spread(t.title.Render(fmt.Sprintf("xp › compare %d runs", len(m.compare.ids))), t.dim.Render(m.plot.String()), w)
	hint = hintBar(t, w, k.Back, k.Metric, k.Smoother, k.Rougher, k.XAxis, k.LogY, k.Zoom, k.Down, k.Up, k.Palette, k.Help)
	runs := m.compared()
	if len(runs) < len(m.compare.ids) {
		return title, t.dim.Render("  loading runs…"), hint
	}
	lines := m.legend(runs, w)
	tables := m.compareTables(runs, w)
	// The charts take what the tables leave, between a third and 60% of
	// the page; the tables scroll.
	avail := h - len(lines)
	chartH := max(chart.MinHeight+3, min(avail*3/5, max(avail/3, avail-len(tables))))
	if avail < chartH+2 {
		chartH = 0
	}
	if chartH > 0 {
		version := 0
		for _, d := range runs {
			version += d.version
		}
		key := fmt.Sprint(version, w, chartH, m.compare.metric, m.compare.ids, m.plot, t.mono)
		lines = append(lines, m.compare.cache.get(key, func() string { return m.compareCharts(runs, w, chartH) }))
	}
	rest := h - len(strings.Split(strings.Join(lines, "\n"), "\n"))
	m.compare.offset = max(0, min(m.compare.offset, len(tables)-rest))
	if rest > 0 && len(tables) > 0 {
		lines = append(lines, tables[m.compare.offset:min(len(tables), m.compare.offset+rest)]...)
	}
	return title, strings.Join(lines, "\n"), hint
}

// legend lists the runs in their colours (their line patterns without
// colour), with their run numbers: two runs of one key differ only there.
func (m *Model) legend(runs []*runData, w int) []string {
	t := m.sh.theme
	var lines []string
	line, lw := "", 0
	for i, d := range runs {
		r := d.run
		icon := statusIcon(r.Status)
		if r.Status == store.StatusRunning {
			icon = "•"
		}
		entryText := fmt.Sprintf(" %s #%d %s %s %s", r.Short(), r.ID, termtext.Clean(r.Experiment), icon, r.Status)
		key := "●"
		if t.mono {
			key = chart.PatternFor(i).Glyph()
		}
		entry := t.series(i).Render(key) + entryText
		ew := ansi.StringWidth(key) + ansi.StringWidth(entryText)
		if lw > 0 && lw+2+ew > w {
			lines, line, lw = append(lines, line), "", 0
		}
		if lw > 0 {
			line += "  "
			lw += 2
		}
		line += entry
		lw += ew
	}
	return append(lines, line)
}

// compareCharts overlays the runs' loss and one metric.
func (m *Model) compareCharts(runs []*runData, w, h int) string {
	split := store.SplitValidation
	for _, d := range runs {
		if len(d.curves[store.SplitMetric{Split: split, Name: "loss"}]) == 0 {
			split = store.SplitTrain
		}
	}
	splitName := map[string]string{store.SplitValidation: "val", store.SplitTrain: "train"}
	var loss, met []chart.Series
	names := m.compareMetrics()
	metric := ""
	if len(names) > 0 {
		metric = names[m.compare.metric%len(names)]
	}
	ps := m.plotters(runs)
	for i, d := range runs {
		name := runLabel(d.run)
		p := ps[i]
		loss = append(loss, p.series(name, p.points(d.curves[store.SplitMetric{Split: split, Name: "loss"}]), i, i)...)
		if metric != "" {
			met = append(met, p.series(name, p.points(d.curves[store.SplitMetric{Split: metricsSplit(d), Name: metric}]), i, i)...)
		}
	}
	lw := (w - 1) / 2
	left := ps[0].chart(splitName[split]+" loss", metricLimit("loss"))
	left.Width, left.Height, left.Series, left.Empty = lw, h, loss, "no points yet"
	right := ps[0].chart("val "+metric, metricLimit(metric))
	right.Width, right.Height, right.Series, right.Empty = w-1-lw, h, met, "no metric yet"
	return sideBySide(left.Render(), right.Render(), " ")
}

// runLabel names a run in a chart's legend: its key's start and its run
// number, which tells apart two runs of one key.
func runLabel(r *store.Run) string {
	return fmt.Sprintf("%s #%d", r.Short()[:min(6, len(r.Short()))], r.ID)
}

// plotters are the runs' plotters on one x axis: steps only when every
// run's steps per epoch are known.
func (m *Model) plotters(runs []*runData) []plotter {
	ps := make([]plotter, len(runs))
	common := m.plot.x
	for i, d := range runs {
		ps[i] = m.plotter(d)
		if ps[i].axis() != common {
			common = xEpoch
		}
	}
	for i := range ps {
		ps[i].x = common
	}
	return ps
}

// compareTables are the spec fields that differ and the final metrics with
// their deltas from the first run, one line each.
func (m *Model) compareTables(runs []*runData, w int) []string {
	t := m.sh.theme
	rs := make([]*store.Run, len(runs))
	for i, d := range runs {
		rs[i] = d.run
	}
	diffs, same, err := specDiff(rs)
	labelW := 14
	for _, d := range diffs {
		labelW = max(labelW, len([]rune(d.path))+1)
	}
	labelW = min(labelW, max(14, w/3))
	colW := max(14, (w-labelW)/len(runs))
	shown := min(len(runs), max(1, (w-labelW)/colW))
	head := fit("", labelW)
	for i := 0; i < shown; i++ {
		head += t.series(i).Render(fit(rs[i].Short(), colW))
	}
	var lines []string
	if shown < len(runs) {
		lines = append(lines, t.warn.Render(fmt.Sprintf("%d runs do not fit at this width", len(runs)-shown)))
	}
	switch {
	case err != nil:
		lines = append(lines, rule(t, "spec", w), t.err.Render(termtext.Clean(err.Error())))
	case len(diffs) == 0:
		lines = append(lines, rule(t, fmt.Sprintf("spec: all %d fields are the same", same), w))
	default:
		lines = append(lines, rule(t, fmt.Sprintf("spec: %d of %d fields differ", len(diffs), len(diffs)+same), w), head)
		for _, d := range diffs {
			line := fit(termtext.Clean(d.path), labelW)
			for i := 0; i < shown; i++ {
				line += fit(termtext.Clean(d.values[i]), colW)
			}
			lines = append(lines, line)
		}
	}
	lines = append(lines, rule(t, "final metrics (Δ from "+rs[0].Short()+")", w), head)
	for _, split := range []string{store.SplitTest, store.SplitValidation} {
		seen := map[string]bool{}
		var names []string
		for _, r := range rs {
			for n := range r.Summary[split] {
				if !seen[n] {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
		sortMetricNames(names)
		for _, n := range names {
			line := fit(termtext.Clean(split+"."+n), labelW)
			base, baseOK := rs[0].Summary[split][n]
			for i := 0; i < shown; i++ {
				s, ok := rs[i].Summary[split][n]
				cell := formatValue(s.Last, ok)
				if i > 0 && ok && baseOK && !math.IsNaN(s.Last) && !math.IsNaN(base.Last) {
					delta := s.Last - base.Last
					ds := formatDelta(delta)
					switch {
					case delta == 0:
						ds = t.dim.Render(ds)
					case (delta < 0) == metric.Lower(n):
						ds = t.better.Render(ds)
					default:
						ds = t.worse.Render(ds)
					}
					cell += " " + ds
				}
				line += fit(cell, colW)
			}
			lines = append(lines, line)
		}
	}
	return lines
}
