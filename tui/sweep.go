package tui

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
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
	// objective is the sweep's own metric and mode, as `xp best` ranks
	// its points; nil until read, or for runs whose sweep the store has
	// no record of.
	objective *objective
	// points are the sweep's points as `xp ls --sweep` reads them
	// (sweep.ReadPoints), best the index of the best (sweep.Best; -1:
	// none), rungs an asha sweep's rungs (sweep.RungsOf; nil for another
	// method); points is nil until read, or for a sweep the store has no
	// record of, whose runs are ranked instead.
	points []sweep.PointResult
	best   int
	rungs  func(int) []int
	sw     *store.Sweep
	// parallel shows the points in parallel coordinates instead of the
	// curves (p).
	parallel bool
}

// objective is what picks a sweep's best point.
type objective struct {
	metric store.SplitMetric
	lower  bool
}

// sweepMsg is a sweep's record, read for its objective, and the runs that
// hold its points' results.
type sweepMsg struct {
	id     string
	sw     *store.Sweep
	ids    []int64 // store.SweepRuns: cached points' runs belong to other experiments
	points []sweep.PointResult
	// rungs are read (from the project's files) only when withRungs was
	// asked: once a page, not at every poll.
	rungs     func(int) []int
	withRungs bool
	err       error
}

// loadSweep reads sweep id's record, its points and its runs, and, when
// withRungs, an asha sweep's rungs.
func (sh *shared) loadSweep(id string, withRungs bool) tea.Cmd {
	ctx, st, root := sh.ctx, sh.st, sh.root
	return func() tea.Msg {
		sw, err := st.FindSweep(ctx, id)
		if err != nil || sw == nil {
			return sweepMsg{id: id, sw: sw, err: err}
		}
		points, err := sweep.ReadPoints(ctx, st, id, sw.Metric)
		if err != nil {
			return sweepMsg{id: id, sw: sw, err: err}
		}
		runs, err := st.SweepRuns(ctx, id)
		if err != nil {
			return sweepMsg{id: id, sw: sw, err: err}
		}
		// The queue ties a claimed point to no run until it ends: the
		// run of its key training now is where it stands.
		for i := range points {
			p := &points[i]
			for j := range runs {
				if p.Run == nil && p.State == store.PointClaimed && runs[j].Key == p.Key && live(runs[j].Status) {
					p.Run = &runs[j]
				}
			}
		}
		msg := sweepMsg{id: id, sw: sw, points: points, withRungs: withRungs}
		if withRungs {
			msg.rungs = sweep.RungsOf(root, sw)
		}
		for _, r := range runs {
			msg.ids = append(msg.ids, r.ID)
		}
		for _, p := range points {
			if p.Run != nil && !slices.Contains(msg.ids, p.Run.ID) {
				msg.ids = append(msg.ids, p.Run.ID)
			}
		}
		return msg
	}
}

// onSweep installs the objective of the sweep on screen, and adds the
// runs of its points the table did not tie to it: a point answered from
// the cache holds a run trained under another experiment or sweep, and
// the sweep's best may be that run. A sweep the store has no record of is
// ranked by its runs' main metrics.
func (m *Model) onSweep(msg sweepMsg) tea.Cmd {
	if msg.id != m.sweep.id || msg.sw == nil || msg.sw.ID != msg.id {
		return nil
	}
	if msg.err != nil {
		m.setFlash("read sweep: "+msg.err.Error(), true)
		return nil
	}
	m.sweep.sw, m.sweep.points, m.sweep.best = msg.sw, msg.points, -1
	if msg.withRungs {
		m.sweep.rungs = msg.rungs
	}
	if b := sweep.Best(msg.points, msg.sw.Mode); b != nil {
		m.sweep.best = b.Index
	}
	m.sweep.cache = renderCache{}
	var cmd tea.Cmd
	if added := m.addSweepRuns(msg.ids); added {
		cmd = m.open(m.sweep.ids...)
	}
	split, name, ok := strings.Cut(msg.sw.Metric, ".")
	if !ok {
		return cmd
	}
	if split == "val" {
		split = store.SplitValidation
	}
	m.sweep.objective = &objective{metric: store.SplitMetric{Split: split, Name: name}, lower: msg.sw.Mode == "min"}
	return cmd
}

// addSweepRuns adds ids to the sweep page's runs, reporting whether any
// was new.
func (m *Model) addSweepRuns(ids []int64) bool {
	added := false
	for _, id := range ids {
		if !slices.Contains(m.sweep.ids, id) {
			m.sweep.ids = append(m.sweep.ids, id)
			added = true
		}
	}
	if added {
		slices.Sort(m.sweep.ids)
		m.sweep.cache = renderCache{}
	}
	return added
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
	m.sweep = sweepState{id: id, ids: ids, best: -1}
	return tea.Batch(m.open(ids...), m.sh.loadSweep(id, true))
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
	case key.Matches(k, keys.Parallel):
		s.parallel = !s.parallel
		s.cache = renderCache{}
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
	first := func(n string) int {
		switch {
		case m.sweep.objective != nil && n == m.sweep.objective.metric.Name:
			return 0
		case isMain(n):
			return 1
		}
		return 2
	}
	sort.Slice(names, func(i, j int) bool {
		if fi, fj := first(names[i]), first(names[j]); fi != fj {
			return fi < fj
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

// ranked orders the runs best first: by the sweep's objective, the
// succeeded runs before the others, as `xp best` picks; without one, by
// their main test metric, then by the best validation value of metric for
// runs not tested yet.
func (m *Model) ranked(runs []*runData, metric string) []*runData {
	type scored struct {
		d     *runData
		kind  int // 0 first; 2: no value
		score float64
	}
	ss := make([]scored, 0, len(runs))
	for _, d := range runs {
		s := scored{d: d, kind: 2}
		if obj := m.sweep.objective; obj != nil {
			if sum, ok := d.run.Summary[obj.metric.Split][obj.metric.Name]; ok && !math.IsNaN(sum.Last) {
				s.kind, s.score = 1, sum.Last
				if d.run.Status == store.StatusSucceeded {
					s.kind = 0
				}
				if obj.lower {
					s.score = -s.score
				}
			}
		} else if n := m.ix.mainName(d.run.ID); n != "" {
			s.kind, s.score = 0, goodness(n, m.ix.values(mainMetric)[d.run.ID])
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
	if metric.Lower(name) {
		return -v
	}
	return v
}

// sweepView draws the sweep page.
func (m *Model) sweepView(w, h int) (title, body, hint string) {
	t := m.sh.theme
	k := m.keys
	left := t.title.Render("xp › sweep "+termtext.Clean(m.sweep.id)) + t.dim.Render(" · "+plural(len(m.sweep.ids), "run"))
	title = spread(left, t.dim.Render(m.plot.String()), w)
	switch {
	case m.sweep.points == nil: // no record of its points: no parallel view
		hint = hintBar(t, w, k.Back, with(k.Band, "band/curves"), k.Metric, k.Smoother, k.Rougher, k.XAxis, k.LogY, k.Zoom,
			k.Down, k.Up, k.Palette, k.Help)
	case m.sweep.parallel:
		hint = hintBar(t, w, k.Back, with(k.Parallel, "curves"), k.Down, k.Up, k.Palette, k.Help)
	default:
		hint = hintBar(t, w, k.Back, with(k.Band, "band/curves"), with(k.Parallel, "parallel"), k.Metric, k.Smoother,
			k.Rougher, k.XAxis, k.LogY, k.Zoom, k.Down, k.Up, k.Palette, k.Help)
	}
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
	var table []string
	if m.sweep.points != nil {
		// The charts draw on top the run the table marks best.
		if b := m.sweep.bestRun(); b != nil {
			if i := slices.IndexFunc(order, func(d *runData) bool { return d.run.ID == b.ID }); i > 0 {
				order = append(append([]*runData{order[i]}, order[:i]...), order[i+1:]...)
			}
		}
		table = m.pointTable(w)
	} else {
		table = m.sweepTable(order, metric, w)
	}
	avail := h
	chartH := max(chart.MinHeight+3, min(avail*3/5, max(avail/3, avail-len(table))))
	var lines []string
	if avail >= chartH+2 {
		version := 0
		for _, d := range runs {
			version += d.version
		}
		key := fmt.Sprint(version, w, chartH, metric, m.sweep.ids, m.plot, t.mono, m.sweep.parallel)
		draw := func() string { return m.sweepCharts(order, metric, w, chartH) }
		if m.sweep.parallel && m.sweep.points != nil {
			draw = func() string { return m.sweepParallel(w, chartH) }
		}
		lines = append(lines, m.sweep.cache.get(key, draw))
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
		bestValue := ""
		for i, d := range order {
			pts := ps[i].points(d.curves[sm(d)])
			if v, ok := lastFinite(pts); ok && i == 0 {
				// The legend keeps the measured value, not the average.
				bestValue = chart.FormatValue(v)
			}
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
		c.Series = append(c.Series, chart.Series{Name: "best " + best, Points: curves[0], Style: t.series(0), Value: bestValue})
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
// differ between them (what the sweep varied), the sweep's objective and
// the main test metric.
func (m *Model) sweepTable(order []*runData, metric string, w int) []string {
	t := m.sh.theme
	rt := m.rankTable(order)
	title := "runs, best first"
	if obj := m.sweep.objective; obj != nil {
		title += " by " + obj.metric.String()
	}
	differ := plural(len(rt.diffs), "field") + " differ"
	if len(rt.diffs) == 1 {
		differ += "s"
	}
	lines := []string{rule(t, title+" · "+differ, w), t.header.Render(rt.row("", "KEY", "RUN", "STATUS", rt.names, rt.heads))}
	for i, d := range order {
		r := d.run
		cells := make([]string, len(rt.diffs))
		for j, df := range rt.diffs {
			cells[j] = termtext.Clean(df.values[i])
		}
		mark := ""
		if i == 0 {
			mark = "★"
		}
		lines = append(lines, rt.row(mark, r.Short(), fmt.Sprintf("#%d", r.ID), statusIcon(r.Status)+" "+string(r.Status),
			cells, m.rankValues(r, metric, len(rt.heads))))
	}
	return lines
}

// rankTable is the layout of the sweep's ranking: the fields that differ
// with their names and widths, and the value columns' heads and widths.
type rankTable struct {
	diffs        []fieldDiff
	names, heads []string
	colW, valW   []int
}

func (m *Model) rankTable(order []*runData) rankTable {
	rs := make([]*store.Run, len(order))
	for i, d := range order {
		rs[i] = d.run
	}
	var rt rankTable
	if diffs, _, err := specDiff(rs); err == nil {
		rt.diffs = diffs
	}
	rt.names = fieldHeads(rt.diffs)
	for i, d := range rt.diffs {
		w := len(rt.names[i])
		for _, v := range d.values {
			w = max(w, len([]rune(termtext.Clean(v))))
		}
		rt.colW = append(rt.colW, min(w, 24))
	}
	obj := m.sweep.objective
	if obj != nil {
		rt.heads = append(rt.heads, metricHeader(obj.metric))
	}
	if obj == nil || !covers(mainMetric, obj.metric) {
		head := "TEST"
		for _, d := range order {
			if n := m.ix.mainName(d.run.ID); n != "" {
				head = "TEST " + strings.ToUpper(n)
				break
			}
		}
		rt.heads = append(rt.heads, head)
	}
	for _, h := range rt.heads {
		rt.valW = append(rt.valW, max(len(h), 9))
	}
	return rt
}

func (rt rankTable) row(mark, key, num, status string, cells, vals []string) string {
	var b strings.Builder
	b.WriteString(fit(mark, 2) + fit(key, 13) + fitRight(num, 6) + " " + fit(status, 12))
	for i, c := range cells {
		b.WriteString(fit(c, rt.colW[i]) + " ")
	}
	for i, v := range vals {
		b.WriteString(fitRight(v, rt.valW[i]) + " ")
	}
	return b.String()
}

// rankValues are run r's values in the ranking's value columns: its
// objective's last value, and its main test metric (for a run not tested
// yet without an objective, its best validation value of metric, which
// says so).
func (m *Model) rankValues(r *store.Run, metric string, n int) []string {
	var vals []string
	obj := m.sweep.objective
	if obj != nil {
		s, ok := r.Summary[obj.metric.Split][obj.metric.Name]
		vals = append(vals, formatValue(s.Last, ok))
	}
	if len(vals) < n {
		v := "-"
		if name := m.ix.mainName(r.ID); name != "" {
			v = formatValue(m.ix.values(mainMetric)[r.ID], true)
		} else if s, ok := r.Summary[store.SplitValidation][metric]; ok && obj == nil {
			v = "val " + formatValue(s.Best, true)
		}
		vals = append(vals, v)
	}
	return vals
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
		heads[i] = strings.ToUpper(termtext.Clean(heads[i]))
	}
	return heads
}
