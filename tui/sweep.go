package tui

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/tui/chart"
)

// sweepState is the sweep page: every run of one sweep charted together,
// a min–max band (or every curve faint) with the best run drawn on top,
// and the runs ranked below with the spec fields the sweep varied.
type sweepState struct {
	id     string
	ids    []int64
	metric int
	offset int
	cache  renderCache
}

// openSweep opens the page of sweep id, with the runs of it the table has.
func (m *Model) openSweep(id string) tea.Cmd {
	if id == "" {
		m.setFlash("this run is not part of a sweep", false)
		return nil
	}
	var ids []int64
	for rid, r := range m.ix.rows {
		if r.SweepID == id {
			ids = append(ids, rid)
		}
	}
	slices.Sort(ids)
	m.page = pageSweep
	m.sweep = sweepState{id: id, ids: ids}
	return m.open(ids...)
}

func (m *Model) sweepKey(k tea.KeyMsg) tea.Cmd {
	keys := m.keys
	s := &m.sweep
	if cmd, ok := m.chartKey(k); ok {
		return cmd
	}
	page := (m.height - 2) / 2
	switch {
	case key.Matches(k, keys.Back, keys.Quit):
		m.page = pageTable
		return m.open()
	case key.Matches(k, keys.Up):
		s.offset = max(0, s.offset-1)
	case key.Matches(k, keys.Down):
		s.offset++
	case key.Matches(k, keys.PageUp):
		s.offset = max(0, s.offset-page)
	case key.Matches(k, keys.PageDown):
		s.offset += page
	case key.Matches(k, keys.Top):
		s.offset = 0
	case key.Matches(k, keys.Bottom):
		s.offset = 1 << 30
	case key.Matches(k, keys.Metric):
		if n := len(m.sweepMetrics()); n > 0 {
			s.metric = (s.metric + 1) % n
		}
	}
	return nil
}

// sweepRuns are the sweep's runs that have loaded.
func (m *Model) sweepRuns() []*runData {
	var out []*runData
	for _, id := range m.sweep.ids {
		if d := m.runs[id]; d != nil && d.run != nil {
			out = append(out, d)
		}
	}
	return out
}

// sweepMetrics are the metrics the right chart can show, the runs' main
// metric first.
func (m *Model) sweepMetrics() []string {
	seen := map[string]bool{}
	var names []string
	for _, d := range m.sweepRuns() {
		for _, n := range m.metricNames(d) {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Slice(names, func(i, j int) bool {
		mi, mj := isMain(names[i]), isMain(names[j])
		if mi != mj {
			return mi
		}
		return names[i] < names[j]
	})
	return names
}

func isMain(name string) bool {
	for _, p := range mainParts {
		if p.Name == name {
			return true
		}
	}
	return false
}

// ranked orders the runs best first: by their main test metric, then,
// for the runs without one, by the best validation value of metric.
func (m *Model) ranked(runs []*runData, metric string) []*runData {
	type scored struct {
		d     *runData
		kind  int // 0: main metric, 1: validation best, 2: nothing
		score float64
	}
	var ss []scored
	for _, d := range runs {
		s := scored{d: d, kind: 2}
		if n := m.ix.mainName(d.run.ID); n != "" {
			v := m.ix.values(mainMetric)[d.run.ID]
			s.kind, s.score = 0, goodness(n, v)
		} else if sum, ok := d.run.Summary[store.SplitValidation][metric]; ok && !math.IsNaN(sum.Best) {
			s.kind, s.score = 1, goodness(metric, sum.Best)
		}
		if math.IsNaN(s.score) {
			s.kind = 2
		}
		ss = append(ss, s)
	}
	sort.SliceStable(ss, func(i, j int) bool {
		if ss[i].kind != ss[j].kind {
			return ss[i].kind < ss[j].kind
		}
		return ss[i].score > ss[j].score
	})
	out := make([]*runData, len(ss))
	for i, s := range ss {
		out[i] = s.d
	}
	return out
}

// goodness is a value that is larger when better.
func goodness(name string, v float64) float64 {
	if store.Lower(name) {
		return -v
	}
	return v
}

// sweepView draws the sweep page.
func (m *Model) sweepView(w, h int) (title, body, hint string) {
	t := m.sh.theme
	k := m.keys
	left := t.title.Render("xp › sweep "+clean(m.sweep.id)) + t.dim.Render(" · "+plural(len(m.sweep.ids), "run"))
	title = spread(left, t.dim.Render(m.plot.String()), w)
	hint = hintBar(t, w, k.Back, with(k.Band, "band/curves"), k.Metric, k.Smoother, k.Rougher, k.XAxis, k.LogY, k.Zoom,
		k.Down, k.Up, k.Palette, k.Help)
	runs := m.sweepRuns()
	if len(runs) < len(m.sweep.ids) {
		return title, t.dim.Render("  loading runs…"), hint
	}
	if len(runs) == 0 {
		return title, t.dim.Render("  no runs of this sweep left"), hint
	}
	names := m.sweepMetrics()
	metric := ""
	if len(names) > 0 {
		metric = names[m.sweep.metric%len(names)]
	}
	order := m.ranked(runs, metric)
	table := m.sweepTable(order, metric, w)
	avail := h
	chartH := max(chart.MinHeight+3, min(avail*3/5, max(avail/3, avail-len(table))))
	var lines []string
	if avail >= chartH+2 {
		version := 0
		for _, d := range runs {
			version += d.version
		}
		key := fmt.Sprint(version, w, chartH, metric, m.sweep.ids, m.plot, t.mono)
		lines = append(lines, m.sweep.cache.get(key, func() string { return m.sweepCharts(order, metric, w, chartH) }))
	}
	rest := h - len(strings.Split(strings.Join(lines, "\n"), "\n"))
	if len(lines) == 0 {
		rest = h
	}
	m.sweep.offset = max(0, min(m.sweep.offset, len(table)-rest))
	if rest > 0 {
		lines = append(lines, table[m.sweep.offset:min(len(table), m.sweep.offset+rest)]...)
	}
	return title, strings.Join(lines, "\n"), hint
}

// sweepCharts draws the loss and the metric of every run: a band from the
// least to the greatest value (or each run faint), the best run (the
// first of order) on top.
func (m *Model) sweepCharts(order []*runData, metric string, w, h int) string {
	t := m.sh.theme
	split := store.SplitValidation
	for _, d := range order {
		if len(d.curves[store.SplitMetric{Split: split, Name: "loss"}]) == 0 {
			split = store.SplitTrain
		}
	}
	ps := m.plotters(order)
	draw := func(title string, sm func(d *runData) store.SplitMetric, cw int, limit *chart.Range) string {
		c := ps[0].chart(title, limit)
		c.Width, c.Height, c.Empty = cw, h, "no points yet"
		var curves [][]chart.Point
		for i, d := range order {
			pts := ps[i].points(d.curves[sm(d)])
			if weight := smoothSteps[m.plot.smooth]; weight > 0 {
				pts = chart.EMA(pts, weight)
			}
			curves = append(curves, pts)
		}
		best := runLabel(order[0].run)
		if m.plot.faint {
			for i := len(curves) - 1; i >= 1; i-- {
				c.Series = append(c.Series, chart.Series{Name: runLabel(order[i].run), Points: curves[i],
					Style: t.dim, Faint: true, Pattern: chart.Dotted})
			}
			c.Note = fmt.Sprintf("%d others faint", len(curves)-1)
		} else if len(curves) > 1 {
			c.Bands = []chart.Band{chart.Spread(curves)}
			c.Bands[0].Style = t.dim
			c.Note = fmt.Sprintf("band: min–max of %d", len(curves))
		}
		c.Series = append(c.Series, chart.Series{Name: "best " + best, Points: curves[0], Style: t.series(0)})
		return c.Render()
	}
	lw := (w - 1) / 2
	splitName := map[string]string{store.SplitValidation: "val", store.SplitTrain: "train"}
	left := draw(splitName[split]+" loss", func(*runData) store.SplitMetric {
		return store.SplitMetric{Split: split, Name: "loss"}
	}, lw, metricLimit("loss"))
	right := draw("val "+metric, func(d *runData) store.SplitMetric {
		return store.SplitMetric{Split: metricsSplit(d), Name: metric}
	}, w-1-lw, metricLimit(metric))
	return sideBySide(left, right, " ")
}

// sweepTable ranks the runs: key, run number, status, the spec fields that
// differ between them (what the sweep varied) and the value ranked on.
func (m *Model) sweepTable(order []*runData, metric string, w int) []string {
	t := m.sh.theme
	rs := make([]*store.Run, len(order))
	for i, d := range order {
		rs[i] = d.run
	}
	diffs, _, err := specDiff(rs)
	if err != nil {
		diffs = nil
	}
	heads := fieldHeads(diffs)
	colW := make([]int, len(diffs))
	for i, d := range diffs {
		colW[i] = len(heads[i])
		for _, v := range d.values {
			colW[i] = max(colW[i], len([]rune(clean(v))))
		}
		colW[i] = min(colW[i], 24)
	}
	valueHead := "VALUE"
	if len(order) > 0 {
		if n := m.ix.mainName(order[0].run.ID); n != "" {
			valueHead = "TEST " + strings.ToUpper(n)
		} else if metric != "" {
			valueHead = "BEST VAL " + strings.ToUpper(metric)
		}
	}
	row := func(mark, key, num, status string, cells []string, value string) string {
		var b strings.Builder
		b.WriteString(fit(mark, 2) + fit(key, 13) + fitRight(num, 6) + " " + fit(status, 12))
		for i, c := range cells {
			b.WriteString(fit(c, colW[i]) + " ")
		}
		b.WriteString(fitRight(value, max(len(valueHead), 10)))
		return b.String()
	}
	differ := plural(len(diffs), "field") + " differ"
	if len(diffs) == 1 {
		differ += "s"
	}
	lines := []string{rule(t, fmt.Sprintf("runs, best first (%s)", differ), w),
		t.header.Render(row("", "KEY", "RUN", "STATUS", heads, valueHead))}
	for i, d := range order {
		r := d.run
		cells := make([]string, len(diffs))
		for j, df := range diffs {
			cells[j] = clean(df.values[i])
		}
		value := "-"
		if n := m.ix.mainName(r.ID); n != "" {
			value = formatValue(m.ix.values(mainMetric)[r.ID], true)
		} else if s, ok := r.Summary[store.SplitValidation][metric]; ok {
			// Not tested yet (still running): ranked by its best
			// validation value, which says so.
			value = "val " + formatValue(s.Best, true)
		}
		mark := ""
		if i == 0 {
			mark = "★"
		}
		lines = append(lines, row(mark, r.Short(), fmt.Sprintf("#%d", r.ID), statusIcon(r.Status)+" "+string(r.Status), cells, value))
	}
	return lines
}

// fieldHeads names the differing fields by their last path element, or
// the whole path where two would read alike.
func fieldHeads(diffs []fieldDiff) []string {
	heads := make([]string, len(diffs))
	count := map[string]int{}
	for i, d := range diffs {
		p := d.path
		if j := strings.LastIndexAny(p, "."); j >= 0 {
			p = p[j+1:]
		}
		heads[i] = p
		count[p]++
	}
	for i, d := range diffs {
		if count[heads[i]] > 1 {
			heads[i] = d.path
		}
	}
	for i := range heads {
		heads[i] = strings.ToUpper(clean(heads[i]))
	}
	return heads
}
