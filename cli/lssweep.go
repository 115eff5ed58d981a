package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/store"
	"github.com/xp-ml/xp/sweep"
)

// lsSweep is xp ls --sweep: one row per point, in point order (or by
// --sort), a column per swept parameter and one for the sweep's metric,
// the best point marked; --experiment, --status and --limit still apply.
func lsSweep(ctx context.Context, s Streams, o *lsOptions, st *store.Store, root string) error {
	sw, err := findSweep(ctx, st, root, o.sweep)
	if err != nil {
		return err
	}
	points, err := sweep.ReadPoints(ctx, st, sw.ID, sw.Metric)
	if err != nil {
		return err
	}
	best := sweep.Best(points, sw.Mode)
	var rows []sweep.PointResult
	for _, p := range points {
		if o.experiment != "" && (p.Run == nil || p.Run.Experiment != o.experiment) {
			continue
		}
		if o.status != "" && string(p.Standing()) != o.status {
			continue
		}
		rows = append(rows, p)
	}
	if err := sortPoints(rows, o.sort); err != nil {
		return err
	}
	if o.limit > 0 && len(rows) > o.limit {
		rows = rows[:o.limit]
	}
	rungs := sweep.RungsOf(root, sw)
	if o.json {
		out := make([]runJSON, 0, len(rows))
		for i := range rows {
			if rows[i].Run != nil {
				j := toJSON(rows[i].Run, "", false)
				j.Params = paramsJSON(rows[i].Params)
				j.Rung = runRung(rungs, rows[i].Run, rows[i].State)
				out = append(out, j)
			}
		}
		return writeJSON(s.Out, out)
	}
	return printPointTable(s, sw, points, rows, best, o.sort, rungs)
}

// printPointTable writes the points of a sweep as a table; an asha
// sweep's (rungs not nil) with a RUNG column.
func printPointTable(s Streams, sw *store.Sweep, all, rows []sweep.PointResult, best *sweep.PointResult, sortBy string, rungs func(int) []int) error {
	paths := sweep.ParamPaths(all)
	fmt.Fprintf(s.Out, "sweep %s of %s: %d points, best (*) by %s (%s)\n", sw.ID, sw.Experiment, len(all), sw.Metric, sw.Mode)
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	// The first column marks the best point.
	head := []string{"", "POINT", "KEY", "RUN", "STATUS"}
	if rungs != nil {
		head = append(head, "RUNG")
	}
	head = append(head, paths...)
	head = append(head, strings.ToUpper(sw.Metric))
	sortField := strings.TrimPrefix(sortBy, "-")
	extra := sortField != "" && sortField != sw.Metric && !slices.Contains(paths, sortField)
	if extra {
		head = append(head, strings.ToUpper(sortField))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for i := range rows {
		p := &rows[i]
		run := "-"
		if p.Run != nil {
			run = fmt.Sprintf("#%d", p.Run.ID)
		}
		mark := " "
		if best != nil && p.Index == best.Index {
			mark = "*"
		}
		cells := []string{mark, fmt.Sprint(p.Index), store.ShortKey(p.Key), run, string(p.Standing())}
		if rungs != nil {
			rung := "-"
			if r := runRung(rungs, p.Run, p.State); r != nil {
				rung = r.String()
			}
			cells = append(cells, rung)
		}
		for _, path := range paths {
			cells = append(cells, paramCell(p.Params, path))
		}
		cells = append(cells, valueCell(p.Value))
		if extra {
			cells = append(cells, valueCell(sweep.MetricValue(p.Run, sortField)))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// sortPoints sorts points by a metric ("validation.loss", "-test.accuracy")
// or a swept parameter ("train.optimizer.adam.lr"); points without the
// value go last. An empty sortBy keeps point order.
func sortPoints(points []sweep.PointResult, sortBy string) error {
	if sortBy == "" {
		return nil
	}
	desc := strings.HasPrefix(sortBy, "-")
	field := strings.TrimPrefix(sortBy, "-")
	key := func(p *sweep.PointResult) (float64, string, bool) {
		for _, pr := range p.Params {
			if pr.Path == field {
				var f float64
				if err := json.Unmarshal(pr.Value, &f); err == nil {
					return f, "", true
				}
				return 0, string(pr.Value), true
			}
		}
		if p.Run == nil {
			return 0, "", false
		}
		v := sweep.MetricValue(p.Run, field)
		return v, "", !math.IsNaN(v)
	}
	known := false
	for i := range points {
		if _, _, ok := key(&points[i]); ok {
			known = true
			break
		}
	}
	if !known && len(points) > 0 {
		return usageError{fmt.Errorf("--sort %s: no point of the sweep has this metric or parameter", field)}
	}
	slices.SortStableFunc(points, func(a, b sweep.PointResult) int {
		fa, sa, oka := key(&a)
		fb, sb, okb := key(&b)
		if oka != okb {
			if oka {
				return -1
			}
			return 1
		}
		c := cmp.Or(cmp.Compare(fa, fb), strings.Compare(sa, sb))
		if desc {
			c = -c
		}
		return c
	})
	return nil
}

func paramCell(params []spec.Param, path string) string {
	for _, p := range params {
		if p.Path == path {
			return string(p.Value)
		}
	}
	return "-"
}

func valueCell(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return formatNum(v)
}

// paramsJSON is a point's params as an object, path -> value.
func paramsJSON(params []spec.Param) map[string]json.RawMessage {
	if len(params) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(params))
	for _, p := range params {
		out[p.Path] = p.Value
	}
	return out
}

// pointParams maps each of runs that holds a sweep point to the point's
// params.
func pointParams(ctx context.Context, st *store.Store, runs []store.Run) map[int64][]spec.Param {
	return newSweepParams(st).of(ctx, runs)
}

// sweepParams finds the params of runs that hold sweep points, reading
// each sweep's points once while its runs come by: a listing is in time
// order, so a sweep's runs come together, and only the last few sweeps
// are kept (memory stays bounded over 200,000 runs).
type sweepParams struct {
	st      *store.Store
	bySweep map[string]map[string][]spec.Param // sweep id -> run key -> params
}

// sweepsKept is how many sweeps' params sweepParams keeps at once.
const sweepsKept = 16

func newSweepParams(st *store.Store) *sweepParams {
	return &sweepParams{st: st, bySweep: map[string]map[string][]spec.Param{}}
}

// of maps each of runs that holds a sweep point to the point's params.
func (sp *sweepParams) of(ctx context.Context, runs []store.Run) map[int64][]spec.Param {
	out := map[int64][]spec.Param{}
	for _, r := range runs {
		if r.SweepID == "" {
			continue
		}
		byKey, ok := sp.bySweep[r.SweepID]
		if !ok {
			if len(sp.bySweep) >= sweepsKept {
				clear(sp.bySweep)
			}
			byKey = map[string][]spec.Param{}
			qs, _ := sp.st.SweepPoints(ctx, r.SweepID)
			for _, q := range qs {
				var params []spec.Param
				if _, seen := byKey[q.Key]; !seen && json.Unmarshal(q.Params, &params) == nil {
					byKey[q.Key] = params
				}
			}
			sp.bySweep[r.SweepID] = byKey
		}
		if params, ok := byKey[r.Key]; ok {
			out[r.ID] = params
		}
	}
	return out
}
