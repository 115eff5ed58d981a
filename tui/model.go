package tui

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/store"
)

// shared is the state every page reads and nothing but the model changes.
type shared struct {
	ctx   context.Context
	st    *store.Store
	theme *theme
	now   func() time.Time
	out   io.Writer
	scope *Scope
	rerun func(ctx context.Context, key string) error
	root  string // the project's root; "" when unknown
	poll  time.Duration
	// tick schedules a message: tea.Tick, which tests replace to step
	// time themselves.
	tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
}

type pageKind int

const (
	pageTable pageKind = iota
	pageDetail
	pageCompare
	pageSweep
)

// flashFor is how long a message stays in the bottom line.
const flashFor = 5 * time.Second

// flash is a message in the bottom line.
type flash struct {
	text string
	err  bool
	at   time.Time
}

// confirmation is a question in the bottom line; y runs the action.
type confirmation struct {
	prompt string
	action tea.Cmd
}

// Model is the UI: a bubbletea model. Make one with New.
type Model struct {
	sh            *shared
	keys          keyMap
	width, height int

	ix    *index
	view  rowView
	ready bool // the first read arrived
	// groupHeads are, by sweep id, what the grouped table adds to a
	// sweep group's head: its best point (loadGroupSweeps).
	groupHeads  map[string]string
	groupLoaded time.Time
	dv          int64
	scopeVer    uint64
	updated     time.Time
	polling     bool
	// pending are the series being loaded; the filter or sort waiting for
	// them is applied when they arrive.
	pending     map[store.SplitMetric]bool
	idsInFlight bool

	// The table: cursor and scroll offset into view.rows, the run under
	// the cursor (kept across re-sorts) and the marked runs in the order
	// they were marked.
	cursor, offset int
	selID          int64
	marks          []int64

	filtering bool
	input     lineInput
	filterErr string
	// waiting is a parsed filter whose series are still loading.
	waiting *filter

	page    pageKind
	detail  detailState
	compare compareState
	sweep   sweepState
	runs    map[int64]*runData
	// plot are the chart controls, one setting for every page.
	plot plotOpts

	help       bool
	helpOffset int

	confirm *confirmation
	// prompt asks for a line of text (the zoom's epochs), palette is the
	// command palette; each takes the keys while it is open.
	prompt  *prompt
	palette *paletteState
	flash   flash
	// frame is the spinner's frame; spinning is set while its ticks run.
	frame    int
	spinning bool
	fatal    error
}

func newModel(sh *shared) *Model {
	in := lineInput{prompt: "/", placeholder: " text  status:failed  exp:credit  test.accuracy>0.8"}
	return &Model{
		sh: sh, keys: newKeyMap(), ix: newIndex(),
		view:    rowView{order: ordering{col: colStarted, desc: true}},
		pending: make(map[store.SplitMetric]bool), input: in, runs: make(map[int64]*runData),
	}
}

// Init starts the first read.
func (m *Model) Init() tea.Cmd {
	return m.sh.loadFirst()
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.ensureVisible()
		return m, nil
	case tea.KeyMsg:
		return m, m.handleKey(msg)
	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	case spinMsg:
		if len(m.ix.live) == 0 {
			m.spinning = false
			return m, nil
		}
		m.frame++
		return m, m.sh.tick(spinner.MiniDot.FPS, func(time.Time) tea.Msg { return spinMsg{} })
	case firstMsg:
		return m, m.onFirst(msg)
	case pageMsg:
		return m, m.onPage(msg)
	case seriesMsg:
		return m, m.onSeries(msg)
	case idsMsg:
		return m, m.onIDs(msg)
	case pollMsg:
		return m, m.onPoll(msg)
	case runMsg:
		return m, m.onRun(msg)
	case actionMsg:
		m.setFlash(msg.text, msg.err)
		return m, nil
	case deletedMsg:
		m.onDeleted(msg)
		return m, nil
	case sweepMsg:
		return m, m.onSweep(msg)
	case groupSweepsMsg:
		m.onGroupSweeps(msg)
		return m, nil
	}
	return m, nil
}

func (m *Model) now() time.Time { return m.sh.now() }

func (m *Model) setFlash(text string, isErr bool) {
	m.flash = flash{text: text, err: isErr, at: m.now()}
}

// onFirst installs the first read and starts polling, paging and loading
// the metric column.
func (m *Model) onFirst(msg firstMsg) tea.Cmd {
	if msg.err != nil {
		m.fatal = msg.err
		return tea.Quit
	}
	// A new start (a grown scope) forgets everything read before.
	m.ix = newIndex()
	m.view.all, m.view.rows = nil, nil
	m.pending, m.idsInFlight = make(map[store.SplitMetric]bool), false
	m.ready, m.dv, m.scopeVer, m.updated = true, msg.dv, msg.scopeVer, m.now()
	m.ix.names = msg.names
	m.applyRows(msg.rows, nil)
	for _, r := range msg.rows.Rows {
		if m.ix.oldest == 0 || r.ID < m.ix.oldest {
			m.ix.oldest = r.ID
		}
	}
	m.ix.complete = len(msg.rows.Rows) < firstPageSize
	m.view.metric = msg.col
	var cmds []tea.Cmd
	if msg.col != (store.SplitMetric{}) {
		ids := make([]int64, len(msg.rows.Rows))
		for i, r := range msg.rows.Rows {
			ids[i] = r.ID
		}
		for _, p := range parts(msg.col) {
			m.ix.updateSeries(p, ids, msg.vals[p])
		}
		cmds = append(cmds, m.requestSeries(msg.col))
	}
	m.rebuild()
	if !m.ix.complete {
		cmds = append(cmds, m.sh.loadPage(m.ix.oldest))
	}
	cmds = append(cmds, m.startPolling(), m.startSpinner())
	return tea.Batch(cmds...)
}

// applyRows merges rows read from the store into the index.
func (m *Model) applyRows(rows *store.Rows, asked []int64) (changed, removed []*row) {
	changed, removed = m.ix.apply(rows.Rows, asked)
	m.ix.maxID = max(m.ix.maxID, rows.MaxID)
	m.ix.count = rows.Count
	return changed, removed
}

func (m *Model) onPage(msg pageMsg) tea.Cmd {
	if msg.scopeVer != m.scopeVer {
		return nil
	}
	if msg.err != nil {
		m.setFlash("read runs: "+msg.err.Error(), true)
		return nil
	}
	before := m.ix.oldest
	added, _ := m.ix.apply(msg.rows.Rows, nil)
	for _, r := range msg.rows.Rows {
		m.ix.oldest = min(m.ix.oldest, r.ID)
	}
	if len(msg.rows.Rows) < pageSize || m.ix.oldest == before {
		m.ix.complete = true
	}
	m.view.add(m.ix, added, m.now())
	m.restoreCursor()
	for _, x := range added {
		if live(x.Status) {
			// A live run read by this page may have changed after the
			// read, and polls did not know to look at it: look now.
			m.dv = -1
			break
		}
	}
	if !m.ix.complete {
		return m.sh.loadPage(m.ix.oldest)
	}
	return m.checkCount()
}

// checkCount asks for every id when the index and the store disagree on
// how many runs there are: a deletion the live-run polling cannot see.
func (m *Model) checkCount() tea.Cmd {
	if !m.ix.complete || m.idsInFlight || len(m.ix.rows) == m.ix.count {
		return nil
	}
	m.idsInFlight = true
	return m.sh.loadIDs()
}

func (m *Model) onIDs(msg idsMsg) tea.Cmd {
	m.idsInFlight = false
	if msg.scopeVer != m.scopeVer || msg.err != nil {
		return nil
	}
	removed, missing := m.ix.reconcile(msg.ids)
	if len(removed) > 0 {
		m.view.patch(m.ix, nil, removed, m.now())
		m.restoreCursor()
	}
	if len(missing) > 0 {
		// Runs the pages skipped (created below the paging cursor while
		// it moved): read them as if they were live, at the next poll
		// whether or not the data changes again.
		for _, id := range missing {
			m.ix.live[id] = true
		}
		m.dv = -1
	}
	return nil
}

// requestSeries loads a series for every run unless it is loaded or on its
// way; the main metric loads its parts.
func (m *Model) requestSeries(s store.SplitMetric) tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range parts(s) {
		if m.ix.hasComplete(p) || m.pending[p] {
			continue
		}
		m.pending[p] = true
		cmds = append(cmds, m.sh.loadSeries(p))
	}
	return tea.Batch(cmds...)
}

func (m *Model) onSeries(msg seriesMsg) tea.Cmd {
	delete(m.pending, msg.m)
	if msg.scopeVer != m.scopeVer {
		return nil
	}
	if msg.err != nil {
		m.setFlash(msg.err.Error(), true)
		return nil
	}
	m.ix.setSeries(msg.m, msg.vals)
	if covers(m.view.metric, msg.m) && m.view.order.col == colMetric {
		m.rebuild()
	}
	if m.waiting != nil && m.seriesReady(*m.waiting) {
		m.view.filter, m.waiting = *m.waiting, nil
		m.refilter()
	}
	return nil
}

// seriesReady reports whether every series f reads is loaded for every run.
func (m *Model) seriesReady(f filter) bool {
	for _, s := range f.series(m.view.metric) {
		if !m.ix.hasComplete(s) {
			return false
		}
	}
	return true
}

// rebuild sorts the table's rows again and keeps the cursor on its run.
func (m *Model) rebuild() {
	m.view.rebuild(m.ix, m.now())
	m.restoreCursor()
}

// refilter applies the filter again and keeps the cursor on its run.
func (m *Model) refilter() {
	m.view.refilter(m.ix)
	m.restoreCursor()
}

// restoreCursor puts the cursor back on the run it was on, or keeps its
// position when that run is gone. A cursor on the first row stays there:
// whoever watches the top of the table wants to see what arrives there.
func (m *Model) restoreCursor() {
	if m.selID != 0 && m.cursor > 0 {
		if i := m.view.indexOf(m.selID); i >= 0 {
			m.cursor = i
		}
	}
	m.setCursor(m.cursor)
}

func (m *Model) setCursor(i int) {
	n := len(m.view.rows)
	m.cursor = max(0, min(i, n-1))
	m.selID = 0
	if n > 0 {
		m.selID = m.view.rows[m.cursor].ID
	}
	m.ensureVisible()
}

// current is the run under the cursor.
func (m *Model) current() *row {
	if m.cursor < len(m.view.rows) && m.cursor >= 0 && len(m.view.rows) > 0 {
		return m.view.rows[m.cursor]
	}
	return nil
}

// startPolling arms the poll loop once.
func (m *Model) startPolling() tea.Cmd {
	if m.polling {
		return nil
	}
	m.polling = true
	return m.sh.pollAfter(m.sh.poll, m.plan())
}

// plan is what the next poll should read.
func (m *Model) plan() pollPlan {
	only, ver := m.sh.only()
	p := pollPlan{dv: m.dv, afterID: m.ix.maxID, live: m.ix.liveIDs(), only: only, scopeVer: ver}
	for s := range m.ix.series {
		p.series = append(p.series, s)
	}
	slices.SortFunc(p.series, func(a, b store.SplitMetric) int { return strings.Compare(a.String(), b.String()) })
	for _, id := range m.watched() {
		if d := m.runs[id]; d != nil && d.run != nil && !d.gone {
			p.watch = append(p.watch, watch{id: id, cursor: d.cursor})
		}
	}
	if m.page == pageDetail {
		if d := m.runs[m.detail.id]; d != nil && d.log.path != "" {
			l := d.log
			p.log, p.logRun = &l, m.detail.id
		}
	}
	return p
}

// watched are the runs open on the current page.
func (m *Model) watched() []int64 {
	switch m.page {
	case pageDetail:
		return []int64{m.detail.id}
	case pageCompare:
		return m.compare.ids
	case pageSweep:
		return m.sweep.ids
	}
	return nil
}

func (m *Model) onPoll(msg pollMsg) tea.Cmd {
	if m.sh.scope != nil {
		if _, ver := m.sh.only(); ver != m.scopeVer {
			// The scope grew: read again from the start.
			m.polling = false
			m.scopeVer = ver
			return m.sh.loadFirst()
		}
	}
	if msg.log != nil && m.page == pageDetail && m.detail.id == msg.plan.logRun {
		if d := m.runs[msg.plan.logRun]; d != nil && d.log.offset == msg.plan.log.offset && d.log.path == msg.log.path {
			if msg.log.offset != d.log.offset || msg.log.err != nil {
				d.log = *msg.log
				d.version++
			}
		}
	}
	var cmds []tea.Cmd
	switch {
	case msg.err != nil:
		m.setFlash("poll: "+msg.err.Error(), true)
	case msg.changed:
		m.dv, m.updated = msg.dv, m.now()
		changed, removed := m.applyRows(msg.rows, msg.plan.live)
		for s, vals := range msg.series {
			m.ix.updateSeries(s, msg.asked, vals)
		}
		changed = m.view.withSeriesChanges(m.ix, changed, msg.asked)
		m.ix.names = msg.names
		if m.view.metric == (store.SplitMetric{}) && len(msg.names) > 0 {
			m.view.metric = defaultMetric(msg.names)
			cmds = append(cmds, m.requestSeries(m.view.metric))
		}
		m.view.patch(m.ix, changed, removed, m.now())
		m.restoreCursor()
		for id, u := range msg.runs {
			m.applyRunUpdate(id, u, msg.plan)
		}
		cmds = append(cmds, m.checkCount(), m.startSpinner())
		if m.view.group && m.now().Sub(m.groupLoaded) >= groupEvery {
			m.groupLoaded = m.now()
			cmds = append(cmds, m.sh.loadGroupSweeps(m.groupSweepIDs()))
		}
		if m.page == pageSweep {
			// Points change state with no run of the page changing:
			// claimed, promoted, answered from the cache.
			cmds = append(cmds, m.sh.loadSweep(m.sweep.id, false))
		}
		if m.page == pageDetail && m.runs[m.detail.id] != nil && m.runs[m.detail.id].gone {
			m.page = pageTable
			m.setFlash("the run was deleted", false)
		}
	}
	// A run opened after this poll was planned was read by its own load,
	// which may predate a change this poll has now consumed: read again.
	planned := make(map[int64]bool, len(msg.plan.watch))
	for _, w := range msg.plan.watch {
		planned[w.id] = true
	}
	for _, id := range m.watched() {
		if d := m.runs[id]; d != nil && d.run != nil && !planned[id] {
			m.dv = -1
		}
	}
	cmds = append(cmds, m.sh.pollAfter(m.sh.poll, m.plan()))
	return tea.Batch(cmds...)
}

// applyRunUpdate installs what a poll read of an open run, unless the run
// was reloaded since the poll was planned.
func (m *Model) applyRunUpdate(id int64, u *runUpdate, plan pollPlan) {
	d := m.runs[id]
	if d == nil {
		return
	}
	for _, w := range plan.watch {
		if w.id == id && w.cursor != d.cursor {
			return
		}
	}
	if u.run == nil {
		d.gone = true
		d.version++
		return
	}
	d.run = u.run
	d.addPoints(u.points)
	d.cursor = u.cursor
	d.version++
}

func (m *Model) onRun(msg runMsg) tea.Cmd {
	if msg.err != nil {
		m.setFlash(msg.err.Error(), true)
		if m.page == pageDetail && m.detail.id == msg.id {
			m.page = pageTable
		}
		return nil
	}
	if _, wanted := m.runs[msg.id]; !wanted {
		return nil
	}
	m.runs[msg.id] = msg.data
	return nil
}

// spinMsg advances the spinner.
type spinMsg struct{}

// startSpinner starts the spinner's ticks while runs are live.
func (m *Model) startSpinner() tea.Cmd {
	if m.spinning || len(m.ix.live) == 0 {
		return nil
	}
	m.spinning = true
	return m.sh.tick(spinner.MiniDot.FPS, func(time.Time) tea.Msg { return spinMsg{} })
}

// spinnerFrame is the running runs' icon.
func (m *Model) spinnerFrame() string {
	f := spinner.MiniDot.Frames
	return f[m.frame%len(f)]
}

// open loads runs for a page, dropping the ones no page shows.
func (m *Model) open(ids ...int64) tea.Cmd {
	keep := make(map[int64]bool, len(ids))
	var cmds []tea.Cmd
	for _, id := range ids {
		keep[id] = true
		if _, ok := m.runs[id]; !ok {
			m.runs[id] = nil
			cmds = append(cmds, m.sh.loadRun(id))
		}
	}
	for id := range m.runs {
		if !keep[id] {
			delete(m.runs, id)
		}
	}
	return tea.Batch(cmds...)
}

// handleKey routes a key: a pending question first, then the filter being
// typed, then the help page, then the page.
func (m *Model) handleKey(k tea.KeyMsg) tea.Cmd {
	if k.String() == "ctrl+c" {
		return tea.Quit
	}
	if m.confirm != nil {
		c := m.confirm
		m.confirm = nil
		if k.String() == "y" || k.String() == "Y" {
			return c.action
		}
		m.setFlash("not done", false)
		return nil
	}
	switch {
	case m.filtering:
		return m.filterKey(k)
	case m.prompt != nil:
		return m.promptKey(k)
	case m.palette != nil:
		return m.paletteKey(k)
	case m.help:
		m.helpKey(k)
		return nil
	case key.Matches(k, m.keys.Help):
		m.help, m.helpOffset = true, 0
		return nil
	case key.Matches(k, m.keys.Palette):
		m.palette = &paletteState{input: lineInput{prompt: ":", placeholder: " type to find an action; zoom 5-20, smooth 0.9"}}
		return nil
	}
	switch m.page {
	case pageDetail:
		return m.detailKey(k)
	case pageCompare:
		return m.compareKey(k)
	case pageSweep:
		return m.sweepKey(k)
	}
	return m.tableKey(k)
}

func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	step := 0
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		step = -3
	case tea.MouseButtonWheelDown:
		step = 3
	default:
		return nil
	}
	switch {
	case m.help:
		m.helpOffset = max(0, m.helpOffset+step)
	case m.page == pageDetail:
		m.scrollDetail(step)
	case m.page == pageCompare:
		m.compare.offset = max(0, m.compare.offset+step)
	case m.page == pageSweep:
		m.sweep.offset = max(0, m.sweep.offset+step)
	default:
		m.setCursor(m.cursor + step)
	}
	return nil
}

// View draws the screen: a title line, the page, and a bottom line with a
// question, the filter being typed, a message or the key hints.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	if h < 3 {
		return block(m.sh.theme.title.Render("xp"), w, h)
	}
	bodyH := h - 2
	var title, body, hint string
	switch {
	case m.help:
		title, body, hint = m.helpView(w, bodyH)
	case m.page == pageDetail:
		title, body, hint = m.detailView(w, bodyH)
	case m.page == pageCompare:
		title, body, hint = m.compareView(w, bodyH)
	case m.page == pageSweep:
		title, body, hint = m.sweepView(w, bodyH)
	default:
		title, body, hint = m.tableView(w, bodyH)
	}
	if m.palette != nil {
		body = overlay(body, m.paletteView(w, bodyH), bodyH)
	}
	return fit(title, w) + "\n" + block(body, w, bodyH) + "\n" + fit(m.bottomLine(hint), w)
}

// overlay puts lines over the bottom of a body of h lines.
func overlay(body string, lines []string, h int) string {
	b := strings.Split(body, "\n")
	for len(b) < h {
		b = append(b, "")
	}
	b = b[:h]
	start := max(0, h-len(lines))
	for i := start; i < h; i++ {
		b[i] = lines[i-start]
	}
	return strings.Join(b, "\n")
}

// bottomLine is, in order of precedence: a question, the filter being
// typed, a recent message, the hints.
func (m *Model) bottomLine(hint string) string {
	t := m.sh.theme
	switch {
	case m.confirm != nil:
		return t.warn.Render(m.confirm.prompt) + " " + t.key.Render("y") + t.dim.Render("/N")
	case m.prompt != nil:
		return m.promptLine()
	case m.palette != nil:
		return m.palette.input.View(t)
	case m.filtering:
		line := m.input.View(t)
		if m.filterErr != "" {
			line += "  " + t.err.Render(m.filterErr)
		}
		return line
	case m.flash.text != "" && m.now().Sub(m.flash.at) < flashFor:
		if m.flash.err {
			return t.err.Render(termtext.Clean(m.flash.text))
		}
		return t.accent.Render(termtext.Clean(m.flash.text))
	}
	return hint
}
