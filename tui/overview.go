package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui/chart"
)

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
		key := fmt.Sprint(d.version, w, chartH, m.detail.metric, t.mono, m.plot)
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
			out = append(out, t.dim.Render(noLog(d.run)))
		}
		for _, l := range lines {
			out = append(out, formatLogLine(l, m.now().Location()))
		}
	}
	return strings.Join(out, "\n")
}

// metricNames are the metrics the right chart can show: validation
// metrics that are not losses (a regression's errors included), else
// training ones.
func (m *Model) metricNames(d *runData) []string {
	if d == nil {
		return nil
	}
	for _, split := range []string{store.SplitValidation, store.SplitTrain} {
		var names []string
		for k := range d.curves {
			if k.Split == split && !isLoss(k.Name) {
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

// isLoss reports a loss, which the loss chart shows.
func isLoss(name string) bool { return strings.HasSuffix(strings.ToLower(name), "loss") }

// chartedMetric reports whether the right chart draws names[i] when the
// page's choice is chosen: that one metric, or with -1 every metric
// when they share a scale (fractions), else the main one alone (a
// regression's rmse in hundreds would flatten its r2 to a line).
func chartedMetric(names []string, chosen, i int) bool {
	if chosen >= 0 && chosen < len(names) {
		return i == chosen
	}
	for _, n := range names {
		if l := metricLimit(n); l == nil || l.Lo != 0 || l.Hi != 1 {
			main := 0
			for j, n := range names {
				if isMain(n) {
					main = j
					break
				}
			}
			return i == main
		}
	}
	return true
}

// metricsSplit is the split the right chart reads.
func metricsSplit(d *runData) string {
	for k := range d.curves {
		if k.Split == store.SplitValidation && !isLoss(k.Name) {
			return store.SplitValidation
		}
	}
	return store.SplitTrain
}

// detailCharts draws the loss chart and the metrics chart side by side (the
// loss chart alone when the page is narrow).
func (m *Model) detailCharts(d *runData, w, h int) string {
	waiting := "no points"
	if live(d.run.Status) {
		waiting = "waiting for the first epoch"
	}
	p := m.plotter(d)
	var loss []chart.Series
	for i, split := range []string{store.SplitTrain, store.SplitValidation} {
		if pts := d.curves[store.SplitMetric{Split: split, Name: "loss"}]; len(pts) > 0 {
			name := split
			if split == store.SplitValidation {
				name = "val"
			}
			loss = append(loss, p.series(name, p.points(pts), i, i)...)
		}
	}
	lossChart := p.chart("loss", metricLimit("loss"))
	lossChart.Series, lossChart.Empty = loss, waiting
	if w < 60 {
		lossChart.Width, lossChart.Height = w, h
		return lossChart.Render()
	}
	names := m.metricNames(d)
	split := metricsSplit(d)
	var ms []chart.Series
	var limit *chart.Range
	shown := 0
	for i, n := range names {
		if !chartedMetric(names, m.detail.metric, i) {
			continue
		}
		ms = append(ms, p.series(n, p.points(d.curves[store.SplitMetric{Split: split, Name: n}]), i+2, shown)...)
		shown++
		limit = sharedLimit(limit, metricLimit(n), shown == 1)
	}
	title := map[string]string{store.SplitValidation: "validation", store.SplitTrain: "train"}[split]
	metricChart := p.chart(title, limit)
	metricChart.Series, metricChart.Empty = ms, waiting
	lw := (w - 1) / 2
	lossChart.Width, lossChart.Height = lw, h
	metricChart.Width, metricChart.Height = w-1-lw, h
	return sideBySide(lossChart.Render(), metricChart.Render(), " ")
}

// sharedLimit is the limit of a chart of several metrics: one that holds
// them all, none when one of them has none.
func sharedLimit(acc, next *chart.Range, first bool) *chart.Range {
	switch {
	case first:
		return next
	case acc == nil || next == nil:
		return nil
	}
	return &chart.Range{Lo: min(acc.Lo, next.Lo), Hi: max(acc.Hi, next.Hi)}
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
		colW = max(colW, ansi.StringWidth(termtext.Clean(n))+1)
	}
	fits := max(1, (w-labelW)/colW)
	if len(names) > fits {
		names = names[:fits]
	}
	hdr := fit("", labelW)
	for _, n := range names {
		hdr += fitRight(termtext.Clean(n), colW)
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
