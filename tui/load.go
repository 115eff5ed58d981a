package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/metric"
	"github.com/xp-ml/xp/store"
)

const (
	// firstPageSize is how many of the newest runs the first read brings:
	// enough to fill any screen, few enough to paint at once.
	firstPageSize = 500
	// pageSize is how many older runs each background read brings; each
	// takes a fraction of a second with 100,000 runs, and keys are
	// handled between them.
	pageSize = 20_000
	// pollEvery is how often the store's data version is checked.
	pollEvery = 250 * time.Millisecond
	// logTailBytes and logTailLines bound what is kept of a run's log.
	logTailBytes = 64 << 10
	logTailLines = 500
	// logName is a run's log inside its artifact directory.
	logName = "log.txt"
)

// timeNow is the clock; tests replace shared.now instead.
var timeNow = time.Now

// firstMsg is the first read: the newest runs, the metric names and the
// metric column's values for those runs.
type firstMsg struct {
	rows     *store.Rows
	names    []store.SplitMetric
	col      store.SplitMetric
	vals     map[store.SplitMetric]map[int64]float64 // by part of col
	dv       int64
	scopeVer uint64
	err      error
}

// pageMsg is one page of older runs.
type pageMsg struct {
	rows     *store.Rows
	scopeVer uint64
	err      error
}

// seriesMsg is a metric series for every run.
type seriesMsg struct {
	m        store.SplitMetric
	vals     map[int64]float64
	scopeVer uint64
	err      error
}

// idsMsg is every run id, to find deletions that polling missed.
type idsMsg struct {
	ids      []int64
	scopeVer uint64
	err      error
}

// runMsg is a run opened in full: its spec and provenance, its curves and
// its log.
type runMsg struct {
	id   int64
	data *runData
	err  error
}

// only is the scope's ids, nil for every run.
func (sh *shared) only() ([]int64, uint64) {
	if sh.scope == nil {
		return nil, 0
	}
	return sh.scope.snapshot()
}

// loadFirst reads what the first frame needs.
func (sh *shared) loadFirst() tea.Cmd {
	ctx, st := sh.ctx, sh.st
	only, ver := sh.only()
	return func() tea.Msg {
		out := firstMsg{scopeVer: ver}
		// The data version is read first: a change made during the reads
		// below shows at the first poll.
		if out.dv, out.err = st.DataVersion(ctx); out.err != nil {
			return out
		}
		if out.names, out.err = st.MetricNames(ctx); out.err != nil {
			return out
		}
		if out.rows, out.err = st.RunRows(ctx, store.RowsQuery{Limit: firstPageSize, Only: only}); out.err != nil {
			return out
		}
		out.col = defaultMetric(out.names)
		if out.col != (store.SplitMetric{}) {
			ids := make([]int64, len(out.rows.Rows))
			for i, r := range out.rows.Rows {
				ids[i] = r.ID
			}
			out.vals = make(map[store.SplitMetric]map[int64]float64)
			for _, p := range parts(out.col) {
				if out.vals[p], out.err = st.LastValues(ctx, p, ids); out.err != nil {
					return out
				}
			}
		}
		return out
	}
}

// defaultMetric picks the table's metric column: each run's main metric
// when some run has one (test accuracy, a regression's test rmse), else
// the first validation metric that is not a loss, else the first metric
// of any split.
func defaultMetric(names []store.SplitMetric) store.SplitMetric {
	for _, n := range names {
		if covers(mainMetric, n) {
			return mainMetric
		}
	}
	for _, split := range []string{store.SplitTest, store.SplitValidation} {
		for _, main := range []string{"accuracy", "rmse"} {
			for _, n := range names {
				if n.Split == split && n.Name == main {
					return n
				}
			}
		}
		for _, n := range names {
			if n.Split == split && !metric.Lower(n.Name) {
				return n
			}
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return store.SplitMetric{}
}

// loadPage reads the page of runs older than before.
func (sh *shared) loadPage(before int64) tea.Cmd {
	ctx, st := sh.ctx, sh.st
	only, ver := sh.only()
	return func() tea.Msg {
		rows, err := st.RunRows(ctx, store.RowsQuery{BeforeID: before, Limit: pageSize, Only: only})
		return pageMsg{rows: rows, scopeVer: ver, err: err}
	}
}

// loadSeries reads one metric of every run.
func (sh *shared) loadSeries(m store.SplitMetric) tea.Cmd {
	ctx, st := sh.ctx, sh.st
	only, ver := sh.only()
	return func() tea.Msg {
		vals, err := st.LastValues(ctx, m, only)
		return seriesMsg{m: m, vals: vals, scopeVer: ver, err: err}
	}
}

// loadIDs reads every run id.
func (sh *shared) loadIDs() tea.Cmd {
	ctx, st := sh.ctx, sh.st
	only, ver := sh.only()
	return func() tea.Msg {
		ids, err := st.RunIDs(ctx, only)
		return idsMsg{ids: ids, scopeVer: ver, err: err}
	}
}

// runData is what the detail and compare pages show of one run.
type runData struct {
	run    *store.Run
	curves map[store.SplitMetric][]store.Point
	// cursor is the PointsSince cursor: the points up to it are in curves.
	cursor int64
	log    logTail
	gone   bool // deleted while open
	// version counts changes, for the pages' render caches.
	version int
}

// addPoints appends points to their curves, keeping each curve in (epoch,
// step) order.
func (d *runData) addPoints(pts []store.Point) {
	if d.curves == nil {
		d.curves = make(map[store.SplitMetric][]store.Point)
	}
	for _, p := range pts {
		k := store.SplitMetric{Split: p.Split, Name: p.Name}
		c := d.curves[k]
		if n := len(c); n > 0 && (c[n-1].Epoch > p.Epoch || (c[n-1].Epoch == p.Epoch && c[n-1].Step > p.Step)) {
			i, _ := slices.BinarySearchFunc(c, p, func(a, b store.Point) int {
				if a.Epoch != b.Epoch {
					return a.Epoch - b.Epoch
				}
				return a.Step - b.Step
			})
			c = slices.Insert(c, i, p)
		} else {
			c = append(c, p)
		}
		d.curves[k] = c
	}
	if len(pts) > 0 {
		d.version++
	}
}

// loadRun reads run id in full.
func (sh *shared) loadRun(id int64) tea.Cmd {
	ctx, st := sh.ctx, sh.st
	return func() tea.Msg {
		r, err := st.Run(ctx, id)
		if err != nil {
			return runMsg{id: id, err: err}
		}
		d := &runData{run: r}
		pts, cur, err := st.PointsSince(ctx, id, 0)
		if err != nil {
			return runMsg{id: id, err: err}
		}
		d.addPoints(pts)
		d.cursor = cur
		d.log.path = filepath.Join(st.ArtifactDir(r), logName)
		if err := d.log.read(); err != nil {
			d.log.err = err
		}
		return runMsg{id: id, data: d}
	}
}

// logTail is the end of a run's log, read incrementally: the log only
// grows, so each read starts where the last one stopped.
type logTail struct {
	path   string
	offset int64
	lines  []string
	err    error
}

// read brings the lines written since the last read. A partial last line
// waits for its newline.
func (l *logTail) read() error {
	f, err := os.Open(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	size := fi.Size()
	if size < l.offset {
		// Truncated or replaced: start again.
		l.offset, l.lines = 0, nil
	}
	if size == l.offset {
		return nil
	}
	start, skipPartial := l.offset, false
	if size-start > logTailBytes {
		start, skipPartial = size-logTailBytes, true
		l.lines = nil
	}
	buf := make([]byte, size-start)
	if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read log: %w", err)
	}
	end := bytes.LastIndexByte(buf, '\n')
	if end < 0 {
		return nil
	}
	text := string(buf[:end])
	if skipPartial {
		// The first line was cut by the window.
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		}
	}
	for _, line := range strings.Split(text, "\n") {
		l.lines = append(l.lines, termtext.Clean(strings.TrimRight(line, "\r")))
	}
	if over := len(l.lines) - logTailLines; over > 0 {
		l.lines = slices.Clone(l.lines[over:])
	}
	l.offset = start + int64(end) + 1
	return nil
}

// pollPlan is what one poll reads: everything that may have changed since
// the model's last read, as of when it was sent.
type pollPlan struct {
	dv       int64
	afterID  int64
	live     []int64
	only     []int64
	scopeVer uint64
	series   []store.SplitMetric
	watch    []watch
	log      *logTail // a copy, read outside the model
	logRun   int64
}

// watch is an open run whose new points a poll reads.
type watch struct {
	id     int64
	cursor int64
}

// pollMsg is a poll's answer. changed is false when the data version did
// not move, and then only the log may have news.
type pollMsg struct {
	plan    pollPlan
	dv      int64
	changed bool
	rows    *store.Rows
	asked   []int64 // ids whose series values were read
	series  map[store.SplitMetric]map[int64]float64
	names   []store.SplitMetric
	runs    map[int64]*runUpdate
	log     *logTail
	err     error
}

// runUpdate is what a poll read of an open run.
type runUpdate struct {
	run    *store.Run // nil when deleted
	points []store.Point
	cursor int64
}

// pollAfter waits, then reads what changed.
func (sh *shared) pollAfter(d time.Duration, p pollPlan) tea.Cmd {
	ctx, st := sh.ctx, sh.st
	return sh.tick(d, func(time.Time) tea.Msg { return p.run(ctx, st) })
}

func (p pollPlan) run(ctx context.Context, st *store.Store) pollMsg {
	out := pollMsg{plan: p}
	if p.log != nil {
		l := *p.log
		l.lines = slices.Clone(l.lines)
		l.err = l.read()
		out.log = &l
	}
	dv, err := st.DataVersion(ctx)
	if err != nil {
		out.err = err
		return out
	}
	out.dv = dv
	if dv == p.dv {
		return out
	}
	out.changed = true
	if out.rows, out.err = st.RunRows(ctx, store.RowsQuery{AfterID: p.afterID, Also: p.live, Only: p.only}); out.err != nil {
		return out
	}
	// The runs whose summaries may have moved: the new ones and the live
	// ones (a run that finished since is among the live ones asked for).
	seen := make(map[int64]bool)
	for _, r := range out.rows.Rows {
		seen[r.ID] = true
		out.asked = append(out.asked, r.ID)
	}
	for _, id := range p.live {
		if !seen[id] {
			out.asked = append(out.asked, id)
		}
	}
	if len(out.asked) > 0 {
		out.series = make(map[store.SplitMetric]map[int64]float64, len(p.series))
		for _, m := range p.series {
			if out.series[m], out.err = st.LastValues(ctx, m, out.asked); out.err != nil {
				return out
			}
		}
	}
	if out.names, out.err = st.MetricNames(ctx); out.err != nil {
		return out
	}
	out.runs = make(map[int64]*runUpdate, len(p.watch))
	for _, w := range p.watch {
		u := &runUpdate{cursor: w.cursor}
		r, err := st.Run(ctx, w.id)
		if errors.Is(err, store.ErrNotFound) {
			out.runs[w.id] = u
			continue
		}
		if err != nil {
			out.err = err
			return out
		}
		u.run = r
		if u.points, u.cursor, out.err = st.PointsSince(ctx, w.id, w.cursor); out.err != nil {
			return out
		}
		out.runs[w.id] = u
	}
	return out
}
