package tui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

// The detail page's tabs.
const (
	tabOverview = iota
	tabSpec
	tabLog
	tabSystem
	numTabs
)

var tabNames = [numTabs]string{"Overview", "Spec & provenance", "Log", "System"}

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
	// cache holds the overview's charts, sysCache the System tab's.
	cache, sysCache renderCache
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
	if cmd, ok := m.chartKey(k); ok {
		return cmd
	}
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
	case key.Matches(k, keys.Sweep):
		if r := m.ix.rows[d.id]; r != nil {
			return m.openSweep(r.SweepID)
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
	if r := m.detailRun(); r != nil && shownError(r) != "" {
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

// shownError is the run's error as the page shows it: nothing when it
// only repeats the status ("canceled").
func shownError(r *store.Run) string {
	if r.Error == "" || r.Error == string(r.Status) {
		return ""
	}
	return r.Error
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
		name, short = termtext.Clean(d.run.Experiment), d.run.Short()
	case r != nil:
		name, short = r.exp, r.Short()
	}
	title = t.title.Render("xp › "+name) + " " + t.dim.Render(short) + t.dim.Render(fmt.Sprintf(" #%d", m.detail.id))
	hint = hintBar(t, w, k.Back, k.NextTab, k.Metric, k.Smoother, k.Rougher, k.XAxis, k.LogY, k.Zoom,
		k.Cancel, k.Delete, k.Copy, k.Rerun, k.Palette, k.Help)
	if d == nil || d.run == nil {
		return title, t.dim.Render("  loading run…"), hint
	}
	if d.gone {
		return title, t.dim.Render("  This run was deleted."), hint
	}
	lines := []string{m.tabsLine(w), m.runFacts(d.run, w), m.provenanceLine(d.run, w)}
	if e := shownError(d.run); e != "" {
		lines = append(lines, t.err.Render("error: "+termtext.Clean(e)))
	}
	rest := h - len(lines)
	var content string
	switch m.detail.tab {
	case tabOverview:
		content = m.overview(d, w, rest)
	case tabSpec:
		all := m.specLines(d, w)
		m.detail.specOffset = max(0, min(m.detail.specOffset, len(all)-rest))
		content = strings.Join(all[m.detail.specOffset:min(len(all), m.detail.specOffset+rest)], "\n")
	case tabLog:
		content = m.logView(d, rest)
	case tabSystem:
		content = m.systemView(d, w, rest)
	}
	lines = append(lines, content)
	return title, strings.Join(lines, "\n"), hint
}

// tabsLine names the tabs, the current one emphasised (bracketed in mono),
// and on the tabs with charts, the chart settings at the right.
func (m *Model) tabsLine(w int) string {
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
	right := ""
	if m.detail.tab == tabOverview || m.detail.tab == tabSystem {
		right = t.dim.Render(m.plot.String())
	}
	return spread(strings.Join(parts, " "), right, w)
}

// runFacts is the status line: status, progress, backend, times.
func (m *Model) runFacts(r *store.Run, w int) string {
	t := m.sh.theme
	icon := statusIcon(r.Status)
	if r.Status == store.StatusRunning {
		icon = m.spinnerFrame()
	}
	status := string(r.Status)
	if r.CancelRequested && canceling(r.Status) {
		status = "canceling"
	}
	parts := []string{t.status[r.Status].Render(icon + " " + status)}
	switch {
	case stoppedEarly(r.Status, r.Epoch, r.Epochs):
		early := fmt.Sprintf("stopped early at epoch %d of %d", r.Epoch, r.Epochs)
		if k := keptEpoch(r); k > 0 {
			early += fmt.Sprintf(", kept epoch %d", k)
		}
		parts = append(parts, early)
	case r.Epochs > 0:
		parts = append(parts, fmt.Sprintf("epoch %d/%d %s", r.Epoch, r.Epochs, bar(r.Epoch, r.Epochs, 5)))
	}
	if r.Backend != "" || r.Device != "" {
		parts = append(parts, termtext.Clean(r.Backend)+" on "+termtext.Clean(r.Device))
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
	if r.Remote != "" {
		// Pulled from a remote: who trained it matters more than when.
		who := provenance.OriginOf(r.Provenance, r.Host)
		parts = append(parts[:1], append([]string{"trained by " + termtext.Clean(who) + " (pulled)"}, parts[1:]...)...)
	}
	rr.Epoch, rr.HeartbeatAt = r.Epoch, r.HeartbeatAt
	if quiet, ok := silent(&rr, now); ok {
		parts = append(parts, t.warn.Render("no heartbeat for "+formatDuration(quiet)))
	}
	return joinFit(parts, t.dim.Render(" · "), w)
}

// joinFit joins parts with sep, leaving out the last ones rather than
// cutting one in the middle when they do not all fit in w cells.
func joinFit(parts []string, sep string, w int) string {
	for n := len(parts); n > 1; n-- {
		if s := strings.Join(parts[:n], sep); ansi.StringWidth(s) <= w {
			return s
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return parts[0]
}

// stoppedEarly reports a run that succeeded before its last epoch: early
// stopping ended it, and it is done.
func stoppedEarly(s store.Status, epoch, epochs int) bool {
	return s == store.StatusSucceeded && epoch > 0 && epoch < epochs
}

// keptEpoch is the epoch whose weights early stopping kept, as the run's
// timing records it (runner.Timing); 0 when it kept the last. The run's
// final validation figures are that epoch's.
func keptEpoch(r *store.Run) int {
	var t struct {
		KeptEpoch int `json:"kept_epoch"`
	}
	if json.Unmarshal(r.Timing, &t) != nil {
		return 0
	}
	return t.KeptEpoch
}

// provenanceOrder lists the provenance fields shown on the overview's
// second line, most wanted first; the spec tab shows them all.
var provenanceOrder = []string{"commit", "branch", "dirty", "host", "spec_file", "xp_version"}

func (m *Model) provenanceLine(r *store.Run, w int) string {
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
		s := termtext.Clean(fmt.Sprint(v))
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
	return joinFit(parts, t.dim.Render(" · "), w)
}

// noLog says why there is no log to show.
func noLog(r *store.Run) string {
	if live(r.Status) {
		return "(no log yet)"
	}
	return "(no log)"
}
