package export

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/runner"
	"github.com/xp-ml/xp/store"
)

// specPrefix and the split names prefix a spec leaf's and a final
// metric's column: spec.train.optimizer.adam.lr, test.accuracy.
const specPrefix = "spec."

// runColumns are the columns every run row has, before its spec leaves
// and its final metrics, with how each is read from a run.
var runColumns = []struct {
	column
	get func(r *store.Run, p *provenance.Record, t *runner.Timing) any
}{
	{column{"key", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.Key }},
	{column{"run", kindInt}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.ID }},
	{column{"uid", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.UID }},
	{column{"experiment", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.Experiment }},
	{column{"status", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return string(r.Status) }},
	{column{"error", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return orNil(r.Error) }},
	{column{"sweep", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return orNil(r.SweepID) }},
	{column{"backend", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.Backend }},
	{column{"device", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.Device }},
	{column{"epoch", kindInt}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.Epoch }},
	{column{"epochs", kindInt}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.Epochs }},
	{column{"created", kindTime}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return timeOrNil(r.CreatedAt) }},
	{column{"started", kindTime}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return timeOrNil(r.StartedAt) }},
	{column{"finished", kindTime}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return timeOrNil(r.FinishedAt) }},
	{column{"total_seconds", kindFloat}, func(_ *store.Run, _ *provenance.Record, t *runner.Timing) any {
		return timing(t, func(t *runner.Timing) float64 { return t.TotalSeconds })
	}},
	{column{"train_seconds", kindFloat}, func(_ *store.Run, _ *provenance.Record, t *runner.Timing) any {
		return timing(t, func(t *runner.Timing) float64 { return t.TrainSeconds })
	}},
	{column{"samples_per_sec", kindFloat}, func(_ *store.Run, _ *provenance.Record, t *runner.Timing) any {
		return timing(t, func(t *runner.Timing) float64 { return t.SamplesPerSec })
	}},
	{column{"commit", kindString}, func(_ *store.Run, p *provenance.Record, _ *runner.Timing) any {
		return prov(p, func(p *provenance.Record) string { return p.Commit })
	}},
	{column{"branch", kindString}, func(_ *store.Run, p *provenance.Record, _ *runner.Timing) any {
		return prov(p, func(p *provenance.Record) string { return p.Branch })
	}},
	{column{"dirty", kindBool}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.Dirty }},
	{column{"spec_hash", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return r.SpecHash }},
	{column{"data_sha256", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return orNil(r.DataHashes["source"]) }},
	{column{"test_data_sha256", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any {
		return orNil(r.DataHashes["test_source"])
	}},
	{column{"weights_sha256", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return orNil(r.WeightsSHA256) }},
	{column{"trained_by", kindString}, func(r *store.Run, p *provenance.Record, _ *runner.Timing) any { return trainedBy(r, p) }},
	{column{"remote", kindString}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return orNil(r.Remote) }},
	{column{"rerun_of", kindInt}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return idOrNil(r.RerunOf) }},
	{column{"resumed_from", kindInt}, func(r *store.Run, _ *provenance.Record, _ *runner.Timing) any { return idOrNil(r.ResumedFrom) }},
}

// Runs writes one row per run that o selects to w in format f, and returns
// how many rows it wrote.
func Runs(ctx context.Context, st *store.Store, o store.ExportOptions, f Format, w io.Writer) (int, error) {
	leaves, err := specLeaves(ctx, st, o)
	if err != nil {
		return 0, err
	}
	series, err := st.MetricSeries(ctx, o)
	if err != nil {
		return 0, err
	}
	var cols []column
	for _, c := range runColumns {
		cols = append(cols, c.column)
	}
	for _, l := range leaves {
		cols = append(cols, column{specPrefix + l.path, l.kind})
	}
	for _, s := range series {
		if s.Split != store.SplitSystem {
			cols = append(cols, column{s.String(), kindFloat})
		}
	}
	tw, err := newTableWriter(w, f, cols)
	if err != nil {
		return 0, err
	}
	n, err := parallelRows(ctx, st, o, runtime.GOMAXPROCS(0), func(r *store.Run) ([]any, error) {
		cells := make([]any, len(cols))
		return cells, runCells(cells, r, leaves, series)
	}, tw.row)
	if err != nil {
		return n, err
	}
	return n, tw.close()
}

// batchRuns is how many runs a worker turns into rows at a time.
const batchRuns = 256

// rowBatch is runs on their way to being rows: done closes when rows (or
// err) are set.
type rowBatch struct {
	runs []*store.Run
	rows [][]any
	err  error
	done chan struct{}
}

// parallelRows reads the runs o selects and turns them into rows on
// workers goroutines (flattening a spec is most of a row's cost), writing
// the rows in the runs' order. At most 3*workers batches are in flight,
// so memory stays bounded whatever the number of runs.
func parallelRows(ctx context.Context, st *store.Store, o store.ExportOptions, workers int,
	toRow func(*store.Run) ([]any, error), write func([]any) error) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs, pending := make(chan *rowBatch, workers), make(chan *rowBatch, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				b.rows = make([][]any, 0, len(b.runs))
				for _, r := range b.runs {
					row, err := toRow(r)
					if err != nil {
						b.err = err
						break
					}
					b.rows = append(b.rows, row)
				}
				close(b.done)
			}
		}()
	}
	// The writer takes the batches in order, each when its worker is done.
	n, written := 0, make(chan error, 1)
	go func() {
		var err error
		for b := range pending {
			<-b.done
			err = cmp.Or(err, b.err)
			for _, row := range b.rows {
				if err != nil {
					break
				}
				if err = write(row); err == nil {
					n++
				}
			}
			if err != nil {
				cancel()
			}
		}
		written <- err
	}()
	cur := &rowBatch{done: make(chan struct{})}
	send := func() {
		jobs <- cur
		pending <- cur
		cur = &rowBatch{done: make(chan struct{})}
	}
	readErr := st.EachRun(ctx, o, func(r *store.Run) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		cur.runs = append(cur.runs, r)
		if len(cur.runs) == batchRuns {
			send()
		}
		return nil
	})
	if len(cur.runs) > 0 {
		send()
	}
	close(jobs)
	close(pending)
	wg.Wait()
	writeErr := <-written
	if writeErr != nil && !errors.Is(writeErr, context.Canceled) {
		return n, writeErr
	}
	return n, cmp.Or(readErr, writeErr)
}

func runCells(cells []any, r *store.Run, leaves []leaf, series []store.SplitMetric) error {
	var p *provenance.Record
	if len(r.Provenance) > 0 {
		p, _ = provenance.Parse(r.Provenance)
	}
	var t *runner.Timing
	if len(r.Timing) > 0 {
		t = &runner.Timing{}
		if json.Unmarshal(r.Timing, t) != nil {
			t = nil
		}
	}
	i := 0
	for _, c := range runColumns {
		cells[i] = c.get(r, p, t)
		i++
	}
	flat, err := spec.Flatten(r.Spec)
	if err != nil {
		return fmt.Errorf("run %d: %w", r.ID, err)
	}
	for _, l := range leaves {
		if v, ok := flat[l.path]; ok {
			cells[i] = v
		} else {
			cells[i] = nil
		}
		i++
	}
	for _, s := range series {
		if s.Split == store.SplitSystem {
			continue
		}
		cells[i] = nil
		if m, ok := r.Summary[s.Split][s.Name]; ok {
			cells[i] = m.Last
		}
		i++
	}
	return nil
}

// leaf is a spec field some run has, with the type of its values: a number
// or a boolean in every run that has it, else a string.
type leaf struct {
	path string
	kind kind
}

// specLeaves reads every spec field of the selected runs, one spec per
// spec hash, sorted by path.
func specLeaves(ctx context.Context, st *store.Store, o store.ExportOptions) ([]leaf, error) {
	kinds := map[string]kind{}
	err := st.EachSpec(ctx, o, func(raw json.RawMessage) error {
		flat, err := spec.Flatten(raw)
		if err != nil {
			return err
		}
		for path, v := range flat {
			k := jsonKind(v)
			if prev, ok := kinds[path]; ok && prev != k {
				k = kindJSON
			}
			kinds[path] = k
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]leaf, 0, len(kinds))
	for path, k := range kinds {
		if k == kindJSON {
			k = kindString
		}
		out = append(out, leaf{path, k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

func jsonKind(v json.RawMessage) kind {
	switch {
	case bytes.Equal(v, []byte("true")) || bytes.Equal(v, []byte("false")):
		return kindBool
	case len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9'):
		return kindFloat
	}
	return kindString
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func idOrNil(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// timing is a field of a run's timing, nil when it has none.
func timing(t *runner.Timing, field func(*runner.Timing) float64) any {
	if t == nil {
		return nil
	}
	return field(t)
}

// prov is a field of a run's provenance, nil when it has none.
func prov(p *provenance.Record, field func(*provenance.Record) string) any {
	if p == nil {
		return nil
	}
	return orNil(field(p))
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// trainedBy is who trained the run, as provenance.OriginOf says it, from
// the record already parsed.
func trainedBy(r *store.Run, p *provenance.Record) any {
	if p != nil && p.Host != "" {
		return p.Origin()
	}
	return orNil(r.Host)
}
