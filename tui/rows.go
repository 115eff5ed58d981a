package tui

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/xp-ml/xp/store"
)

// column is a column of the runs table; each can be sorted on.
type column int

const (
	colStatus column = iota
	colExperiment
	colKey
	colDevice
	colProgress
	colMetric
	colStarted
	colDuration
	numColumns
)

var columnNames = [numColumns]string{"status", "experiment", "key", "device", "progress", "metric", "started", "duration"}

func (c column) String() string { return columnNames[c] }

// ordering is the sort of the table: a column and a direction.
type ordering struct {
	col  column
	desc bool
}

// statusRank orders statuses for sorting: live runs first, then failures,
// then the rest.
var statusRank = map[store.Status]float64{
	store.StatusRunning: 0, store.StatusQueued: 1, store.StatusLost: 2, store.StatusFailed: 3,
	store.StatusDiverged: 4, store.StatusCanceled: 5, store.StatusPruned: 6, store.StatusPaused: 6.5, store.StatusSucceeded: 7,
}

// rowView is the table's rows: every row of the index in the table's
// order (all), and those the filter keeps, grouped by sweep if asked
// (rows). Keeping all sorted makes a new filter one pass over it, with no
// sort: typing a filter over 100,000 runs costs a few milliseconds.
type rowView struct {
	all    []*row
	rows   []*row
	filter filter
	order  ordering
	metric store.SplitMetric // the metric column
	group  bool
	// groupStart marks the rows that open a group (group mode only), with
	// the group's size and running runs.
	groupStart map[*row]groupInfo
	// ranks number the values of the sorted text column.
	ranks map[string]float64
	// scratch is sort's working space, kept between sorts.
	scratch []sortItem
}

// groupInfo is a group's sweep, its size and how many of its runs are
// running.
type groupInfo struct {
	sweep         string
	runs, running int
}

// rebuild sorts every row of the index and filters them: what a new order
// or metric column needs.
func (v *rowView) rebuild(ix *index, now time.Time) {
	if len(v.all) != len(ix.rows) {
		// v.all holds every row but after a reset; patch and add keep it
		// so otherwise.
		v.all = v.all[:0]
		for _, x := range ix.rows {
			v.all = append(v.all, x)
		}
	}
	v.ranks = textRanks(v.all, v.order.col)
	v.sort(v.all, ix, now)
	v.refilter(ix)
}

// refilter applies the filter to the sorted rows: what a new filter needs.
func (v *rowView) refilter(ix *index) {
	v.rows = v.rows[:0]
	if v.filter.empty() {
		v.rows = append(v.rows, v.all...)
	} else {
		vals := ix.values
		for _, x := range v.all {
			if v.filter.match(x, v.metric, vals) {
				v.rows = append(v.rows, x)
			}
		}
	}
	if v.group {
		v.regroup()
	} else {
		v.groupStart = nil
	}
}

// add merges new rows (a page of older runs) into the order, sorting only
// them.
func (v *rowView) add(ix *index, added []*row, now time.Time) {
	if len(added) == 0 {
		return
	}
	if !v.prepare(added, ix, now) {
		v.rebuild(ix, now)
		return
	}
	v.sort(added, ix, now)
	merged := make([]*row, 0, len(v.all)+len(added))
	i, j := 0, 0
	for i < len(v.all) && j < len(added) {
		if v.cmp(v.all[i], added[j]) <= 0 {
			merged = append(merged, v.all[i])
			i++
		} else {
			merged = append(merged, added[j])
			j++
		}
	}
	merged = append(append(merged, v.all[i:]...), added[j:]...)
	v.all = merged
	v.refilter(ix)
}

// sort orders rows in place by the view's order: rows with a key by it,
// then those without, each newest first on ties. It agrees with cmp.
// The text ranks must cover rows.
func (v *rowView) sort(rows []*row, ix *index, now time.Time) {
	v.prepare(rows, ix, now)
	if cap(v.scratch) < 2*len(rows) {
		v.scratch = make([]sortItem, 2*len(rows))
	}
	items, buf := v.scratch[:0:len(rows)], v.scratch[len(rows):2*len(rows)]
	var missing []sortItem
	for _, x := range rows {
		it := sortItem{tie: ^uint64(x.ID), r: x}
		if !x.hasKey {
			missing = append(missing, it)
			continue
		}
		it.key = orderedBits(x.sortKey)
		if v.order.desc {
			it.key = ^it.key
		}
		items = append(items, it)
	}
	radixSort(items, buf)
	radixSort(missing, make([]sortItem, len(missing)))
	for i := range items {
		rows[i] = items[i].r
	}
	for i := range missing {
		rows[len(items)+i] = missing[i].r
	}
}

// textRanks numbers the distinct values of a text column in order, so that
// sorting on it compares numbers. The key column needs none: its hex
// prefix is its number.
func textRanks(rows []*row, col column) map[string]float64 {
	if col != colExperiment && col != colDevice {
		return nil
	}
	seen := map[string]bool{}
	last := "\x00"
	for _, x := range rows {
		// Runs come in runs of one experiment: skip the map for repeats.
		if k := textKey(x, col); k != last {
			seen[k], last = true, k
		}
	}
	vals := make([]string, 0, len(seen))
	for s := range seen {
		vals = append(vals, s)
	}
	slices.Sort(vals)
	ranks := make(map[string]float64, len(vals))
	for i, s := range vals {
		ranks[s] = float64(i)
	}
	return ranks
}

func textKey(x *row, col column) string {
	if col == colDevice {
		return x.device
	}
	return x.exp
}

// keyNumber is the first 13 hex digits of a run key: 52 bits, which a
// float64 holds exactly, and more than enough to order 100,000 keys.
func keyNumber(key string) float64 {
	var n uint64
	for i := 0; i < 13 && i < len(key); i++ {
		c := key[i]
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		default:
			n <<= 4
		}
	}
	return float64(n)
}

// patchLimit is how many changed rows patch moves one by one; more, and a
// full sort is cheaper.
const patchLimit = 256

// patch moves only the rows that changed, so that a run finishing an epoch
// costs a binary search, not a sort of 100,000 rows.
func (v *rowView) patch(ix *index, changed, removed []*row, now time.Time) {
	if len(changed) == 0 && len(removed) == 0 {
		return
	}
	if len(changed)+len(removed) > patchLimit {
		v.rebuild(ix, now)
		return
	}
	gone := make(map[*row]bool, len(changed)+len(removed))
	for _, x := range slices.Concat(changed, removed) {
		gone[x] = true
	}
	v.all = slices.DeleteFunc(v.all, func(x *row) bool { return gone[x] })
	if !v.group {
		v.rows = slices.DeleteFunc(v.rows, func(x *row) bool { return gone[x] })
	}
	vals := ix.values
	done := make(map[*row]bool, len(changed))
	for _, x := range changed {
		if done[x] || ix.rows[x.ID] != x {
			continue
		}
		done[x] = true
		if !v.prepare([]*row{x}, ix, now) {
			// A new experiment or device name: number them again.
			v.rebuild(ix, now)
			return
		}
		i, _ := slices.BinarySearchFunc(v.all, x, v.cmp)
		v.all = slices.Insert(v.all, i, x)
		if !v.group && v.filter.match(x, v.metric, vals) {
			j, _ := slices.BinarySearchFunc(v.rows, x, v.cmp)
			v.rows = slices.Insert(v.rows, j, x)
		}
	}
	if v.group {
		v.refilter(ix)
	}
}

// withSeriesChanges adds to changed the rows of ids, whose metric values
// were re-read, when the view's order or filter reads metric values: a
// run's row may stay the same while its metric moves.
func (v *rowView) withSeriesChanges(ix *index, changed []*row, ids []int64) []*row {
	if v.order.col != colMetric && len(v.filter.series(v.metric)) == 0 {
		return changed
	}
	in := make(map[*row]bool, len(changed))
	for _, x := range changed {
		in[x] = true
	}
	for _, id := range ids {
		if x := ix.rows[id]; x != nil && !in[x] {
			in[x] = true
			changed = append(changed, x)
		}
	}
	return changed
}

// prepare computes the sort key of rows. It reports false when a text
// value has no rank yet: the ranks must be computed again.
func (v *rowView) prepare(rows []*row, ix *index, now time.Time) bool {
	var vals map[int64]float64
	if v.order.col == colMetric {
		vals = ix.values(v.metric)
	}
	ok := true
	lastText, lastRank, lastKnown := "\x00", 0.0, false
	for _, x := range rows {
		x.sortKey, x.hasKey = 0, true
		switch v.order.col {
		case colStatus:
			x.sortKey = statusRank[x.Status]
		case colExperiment, colDevice:
			if t := textKey(x, v.order.col); t != lastText {
				lastText = t
				lastRank, lastKnown = v.ranks[t]
			}
			x.sortKey = lastRank
			ok = ok && lastKnown
		case colKey:
			x.sortKey = keyNumber(x.Key)
		case colProgress:
			if x.Epochs > 0 {
				x.sortKey = float64(x.Epoch) / float64(x.Epochs)
			}
		case colMetric:
			val, has := vals[x.ID]
			if v.metric == mainMetric && ix.lowerBetter(v.metric, x.ID) {
				// Main metrics of both kinds in one column sort by how
				// good they are: an rmse counts down. Descending puts
				// the best classifiers first, then the best
				// regressions.
				val = -val
			}
			x.sortKey, x.hasKey = val, has && !math.IsNaN(val)
		case colStarted:
			x.sortKey = float64(startedAt(&x.RunRow).UnixNano())
		case colDuration:
			d, has := duration(&x.RunRow, now)
			x.sortKey, x.hasKey = d.Seconds(), has
		}
	}
	return ok
}

// cmp orders rows by the view's column, then newest first. A row without
// a value (no metric, never started) sorts last either way. It agrees with
// sort.
func (v *rowView) cmp(a, b *row) int {
	switch {
	case a.hasKey && !b.hasKey:
		return -1
	case !a.hasKey && b.hasKey:
		return 1
	}
	c := 0
	if a.hasKey {
		c = cmp.Compare(a.sortKey, b.sortKey)
	}
	if v.order.desc {
		c = -c
	}
	if c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// regroup gathers the rows of each sweep, and the runs of no sweep, in
// groups placed where their first row is, keeping the order within each.
func (v *rowView) regroup() {
	var groups [][]*row
	bySweep := make(map[string]int)
	for _, x := range v.rows {
		i, ok := bySweep[x.SweepID]
		if !ok {
			i = len(groups)
			bySweep[x.SweepID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], x)
	}
	v.groupStart = make(map[*row]groupInfo)
	v.rows = v.rows[:0]
	for _, g := range groups {
		info := groupInfo{sweep: g[0].sweep, runs: len(g)}
		for _, x := range g {
			if x.Status == store.StatusRunning {
				info.running++
			}
		}
		v.groupStart[g[0]] = info
		v.rows = append(v.rows, g...)
	}
}

// indexOf returns the position of run id in the view, -1 if absent.
func (v *rowView) indexOf(id int64) int {
	for i, x := range v.rows {
		if x.ID == id {
			return i
		}
	}
	return -1
}

// startedAt is when the run started, or was created if it has not.
func startedAt(r *store.RunRow) time.Time {
	if !r.StartedAt.IsZero() {
		return r.StartedAt
	}
	return r.CreatedAt
}

// duration is how long the run has trained: until it finished, or until
// now while it runs; false before it started.
func duration(r *store.RunRow, now time.Time) (time.Duration, bool) {
	if r.StartedAt.IsZero() {
		return 0, false
	}
	end := r.FinishedAt
	if end.IsZero() {
		if r.Status != store.StatusRunning {
			return 0, false
		}
		end = now
	}
	return max(0, end.Sub(r.StartedAt)), true
}

// Silence is judged against a run's own pace: a run is silent when its
// last heartbeat is older than silentAfter and than silentEpochs of its
// epochs. Heartbeats come once an epoch.
const (
	silentAfter  = 2 * time.Minute
	silentEpochs = 5
)

// silent reports how long a running run has not heartbeated, when that is
// longer than its pace explains: its process may have died. The store's
// MarkLost decides for good; the table only says what it sees.
func silent(r *store.RunRow, now time.Time) (time.Duration, bool) {
	if r.Status != store.StatusRunning || r.HeartbeatAt.IsZero() {
		return 0, false
	}
	quiet := now.Sub(r.HeartbeatAt)
	limit := silentAfter
	if r.Epoch > 0 && !r.StartedAt.IsZero() {
		limit = max(limit, silentEpochs*r.HeartbeatAt.Sub(r.StartedAt)/time.Duration(r.Epoch))
	}
	return quiet, quiet > limit
}
