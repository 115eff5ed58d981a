package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/xp-ml/xp/internal/termtext"
	"github.com/xp-ml/xp/store"
)

// row is one run of the table, with its user-supplied text cleaned once.
type row struct {
	store.RunRow
	exp, device, sweep string
	// search is what a text filter looks in, lowercase (the key is matched
	// on its own: it is lowercase hex already).
	search string
	// sortKey is the row's value in the sorted column, when it is numeric;
	// computed before a sort so that comparisons read no maps.
	sortKey float64
	hasKey  bool
}

func newRow(r store.RunRow) *row {
	x := &row{RunRow: r}
	x.refresh()
	return x
}

// slabSize is how many rows the index allocates at once: rows next to each
// other in memory make a sort of 100,000 of them a third faster than rows
// scattered one allocation each.
const slabSize = 1024

func (x *row) refresh() {
	x.exp, x.device, x.sweep = termtext.Clean(x.Experiment), termtext.Clean(x.Device), termtext.Clean(x.SweepID)
	x.search = strings.ToLower(x.exp + " " + x.device + " " + string(x.Status) + " " + x.sweep)
}

// live reports whether the run's row can still change.
func live(s store.Status) bool {
	return s == store.StatusQueued || s == store.StatusRunning || s == store.StatusLost
}

// canceling reports whether a run asked to cancel is still stopping. A
// lost run can carry a cancel request too (a run that took its key over
// asks it to stop should its process come back); it is shown as lost.
func canceling(s store.Status) bool {
	return s == store.StatusQueued || s == store.StatusRunning
}

// seriesValues is one metric's last value by run id. complete says the map
// covers every run in the store, not only some pages.
type seriesValues struct {
	vals     map[int64]float64
	complete bool
}

// index is every run the UI has read, as light rows, and the metric series
// it has loaded. It changes only through apply, from what the store said.
type index struct {
	rows map[int64]*row
	live map[int64]bool
	// maxID is the largest run id in the store at the last read: polls
	// ask for the runs after it.
	maxID int64
	// oldest is the smallest id the pages loaded so far; complete is set
	// when the last page came back short.
	oldest   int64
	complete bool
	// count is how many runs the store held at the last read.
	count  int
	series map[store.SplitMetric]*seriesValues
	names  []store.SplitMetric
	slab   []row
	// main is the derived main metric, rebuilt when its parts change.
	main *mainValues
	// widths are the widest cells of the text columns, and the most
	// epochs, so that the table's columns follow their content.
	widths contentWidths
}

// contentWidths only grow: a column that narrowed when a run went away
// would make the table jump.
type contentWidths struct {
	exp, device, epochs int
	early               bool // some run stopped early
}

func (w *contentWidths) add(x *row) {
	w.exp = max(w.exp, ansi.StringWidth(x.exp))
	w.device = max(w.device, ansi.StringWidth(x.device))
	w.epochs = max(w.epochs, x.Epochs)
	w.early = w.early || stoppedEarly(x.Status, x.Epoch, x.Epochs)
}

// newRow makes a row in the current slab.
func (ix *index) newRow(r store.RunRow) *row {
	if len(ix.slab) == cap(ix.slab) {
		ix.slab = make([]row, 0, slabSize)
	}
	ix.slab = append(ix.slab, row{RunRow: r})
	x := &ix.slab[len(ix.slab)-1]
	x.refresh()
	ix.widths.add(x)
	return x
}

func newIndex() *index {
	return &index{rows: make(map[int64]*row), live: make(map[int64]bool),
		series: make(map[store.SplitMetric]*seriesValues)}
}

// apply merges rows read from the store. asked are the ids that were asked
// for by id (the live runs): one missing from rows was deleted. It returns
// the rows that are new or changed, and those removed.
func (ix *index) apply(rows []store.RunRow, asked []int64) (changed, removed []*row) {
	seen := make(map[int64]bool, len(asked))
	for _, r := range rows {
		seen[r.ID] = true
		old, ok := ix.rows[r.ID]
		switch {
		case !ok:
			x := ix.newRow(r)
			ix.rows[r.ID] = x
			changed = append(changed, x)
		case old.RunRow != r:
			old.RunRow = r
			old.refresh()
			ix.widths.add(old)
			changed = append(changed, old)
		}
		if live(r.Status) {
			ix.live[r.ID] = true
		} else {
			delete(ix.live, r.ID)
		}
	}
	for _, id := range asked {
		if !seen[id] {
			if x := ix.remove(id); x != nil {
				removed = append(removed, x)
			}
		}
	}
	return changed, removed
}

// remove drops run id and returns its row, nil if it was not there.
func (ix *index) remove(id int64) *row {
	x := ix.rows[id]
	if x == nil {
		return nil
	}
	delete(ix.rows, id)
	delete(ix.live, id)
	for _, s := range ix.series {
		delete(s.vals, id)
	}
	if ix.main != nil {
		delete(ix.main.vals, id)
		delete(ix.main.part, id)
	}
	return x
}

// reconcile keeps only the runs in ids (every run of the store) and
// returns the rows it removed, and the ids it has no row for.
func (ix *index) reconcile(ids []int64) (removed []*row, missing []int64) {
	in := make(map[int64]bool, len(ids))
	for _, id := range ids {
		in[id] = true
		if ix.rows[id] == nil {
			missing = append(missing, id)
		}
	}
	for id := range ix.rows {
		if !in[id] {
			removed = append(removed, ix.remove(id))
		}
	}
	return removed, missing
}

// running counts the runs that are training: what the title calls live.
// Queued and lost runs are watched too, but nothing is running them.
func (ix *index) running() int {
	n := 0
	for id := range ix.live {
		if r := ix.rows[id]; r != nil && r.Status == store.StatusRunning {
			n++
		}
	}
	return n
}

// liveIDs are the runs whose rows can change.
func (ix *index) liveIDs() []int64 {
	ids := make([]int64, 0, len(ix.live))
	for id := range ix.live {
		ids = append(ids, id)
	}
	return ids
}

// values returns a series' values, nil when it is not loaded at all.
func (ix *index) values(m store.SplitMetric) map[int64]float64 {
	if m == mainMetric {
		return ix.mainSeries().vals
	}
	if s := ix.series[m]; s != nil {
		return s.vals
	}
	return nil
}

// hasComplete reports whether series m covers every run.
func (ix *index) hasComplete(m store.SplitMetric) bool {
	for _, p := range parts(m) {
		if s := ix.series[p]; s == nil || !s.complete {
			return false
		}
	}
	return true
}

// touch marks what is derived from series m as out of date.
func (ix *index) touch(m store.SplitMetric) {
	if ix.main != nil && (m == mainMetric || covers(mainMetric, m)) {
		ix.main.stale = true
	}
}

// setSeries installs the values of a series for every run.
func (ix *index) setSeries(m store.SplitMetric, vals map[int64]float64) {
	ix.series[m] = &seriesValues{vals: vals, complete: true}
	ix.touch(m)
}

// updateSeries merges the values of m for ids: an id with no value lost
// it (its summary went with a deletion).
func (ix *index) updateSeries(m store.SplitMetric, ids []int64, vals map[int64]float64) {
	s := ix.series[m]
	if s == nil {
		s = &seriesValues{vals: make(map[int64]float64)}
		ix.series[m] = s
	}
	for _, id := range ids {
		if v, ok := vals[id]; ok {
			s.vals[id] = v
		} else {
			delete(s.vals, id)
		}
	}
	if covers(mainMetric, m) {
		ix.updateMain(ids)
	}
}
