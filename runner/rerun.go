package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

// ErrInputsChanged is wrapped by Rerun's error when the spec hash, a data
// hash or the backend's numerics version is no longer the recorded one: the
// rerun would not be the same job.
var ErrInputsChanged = errors.New("changed")

// Reproduction is the outcome of a rerun.
type Reproduction struct {
	Original *store.Run
	// Rerun is the new run, linked to Original by RerunOf.
	Rerun *store.Run
	// Source is where the experiment was read from: the recorded commit, or
	// the sources stored with a dirty run.
	Source *provenance.Source
	// Diffs lists every final metric and the weights digest that differ;
	// empty when the rerun reproduced the original bit for bit.
	Diffs []Difference
}

// Identical reports whether the rerun reproduced the original bit for bit.
func (r *Reproduction) Identical() bool { return len(r.Diffs) == 0 }

// Difference is one field of a rerun that differs from the original.
type Difference struct {
	Field    string `json:"field"`
	Original string `json:"original"`
	Rerun    string `json:"rerun"`
}

// Rerun rebuilds the experiment of run orig and trains it again as a new
// run linked to it, then compares the two.
//
// The experiment's files are read from the commit recorded with orig
// through git, from the repository that holds dir (the working tree is not
// touched, so this works after the files were edited or deleted, and in
// another clone); a dirty run's files come from the sources stored with it.
// The data is read from the working tree, relative to the experiment's
// recorded place in it. If the spec hash, a data hash or the backend's
// numerics version differs from orig's, Rerun trains nothing and returns an
// error naming what changed (wrapping ErrInputsChanged).
//
// opts.Backend and opts.Force are ignored: a rerun trains on orig's backend,
// always.
func Rerun(ctx context.Context, st *store.Store, orig *store.Run, dir string, opts Options) (*Reproduction, error) {
	if orig.Status != store.StatusSucceeded {
		return nil, fmt.Errorf("run %s is %s: only a succeeded run can be reproduced", store.ShortKey(orig.Key), orig.Status)
	}
	job, err := rebuild(ctx, st, orig, dir)
	if err != nil {
		return nil, err
	}
	src := job.Source
	opts.Force, opts.Backend = true, orig.Backend
	opts.AllowDirty = src.Dirty() // it was allowed when the original ran
	opts.RerunOf = orig.ID
	res, err := job.Train(ctx, st, opts)
	if err != nil {
		return nil, err
	}
	return &Reproduction{Original: orig, Rerun: res.Run, Source: src, Diffs: CompareRuns(orig, res.Run)}, nil
}

// rebuild plans orig's experiment again from its recorded files (see
// Rerun) and checks that its spec hash, data hashes and backend version,
// and so its key, are orig's. The returned Job's Source is the recorded
// one.
func rebuild(ctx context.Context, st *store.Store, orig *store.Run, dir string) (*Job, error) {
	prov, err := provenance.Parse(orig.Provenance)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", store.ShortKey(orig.Key), err)
	}
	src, files, err := prov.Restore("run "+store.ShortKey(orig.Key), dir, func() (map[string][]byte, error) {
		return storedFiles(ctx, st, orig.ID)
	})
	if err != nil {
		return nil, err
	}
	exp, err := spec.LoadSources(src.Root, files, orig.Experiment)
	if err != nil {
		return nil, fmt.Errorf("rebuild %s of run %s: %w", orig.Experiment, store.ShortKey(orig.Key), err)
	}
	if exp.Spec.Sweep != nil && exp.Hash != orig.SpecHash {
		// A point of a sweep: rebuild that point.
		if p, err := exp.PointByHash(orig.SpecHash); err == nil {
			exp = p.Exp
		} else if p, err := proposedPoint(ctx, st, exp, orig); err != nil {
			return nil, err
		} else if p != nil {
			exp = p.Exp
		}
	}
	if exp.Hash != orig.SpecHash {
		return nil, fmt.Errorf("spec hash of %s %w since run %s: %s… now %s… (the files are the recorded ones, "+
			"so this xp resolves them differently: a changed default or schema version)",
			orig.Experiment, ErrInputsChanged, store.ShortKey(orig.Key), store.ShortKey(orig.SpecHash), store.ShortKey(exp.Hash))
	}
	job, err := Plan(ctx, exp, Options{Backend: orig.Backend})
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(orig.DataHashes) {
		if was, now := orig.DataHashes[name], job.DataHashes[name]; was != now {
			return nil, fmt.Errorf("%s %w since run %s: sha256 %s… now %s…", dataName(exp, name), ErrInputsChanged,
				store.ShortKey(orig.Key), store.ShortKey(was), store.ShortKey(now))
		}
	}
	if job.Key != orig.Key {
		return nil, fmt.Errorf("backend %s %w since run %s: numerics version %q now %q, so its bits are not comparable",
			orig.Backend, ErrInputsChanged, store.ShortKey(orig.Key), prov.BackendVersion, job.BackendVersion)
	}
	job.Source = src
	return job, nil
}

// storedFiles are the sources stored with dirty run id, by path.
func storedFiles(ctx context.Context, st *store.Store, id int64) (map[string][]byte, error) {
	stored, err := st.Sources(ctx, id)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(stored))
	for _, f := range stored {
		files[f.Path] = f.Content
	}
	return files, nil
}

// CompareRuns lists the final metrics (test and validation) and the weights
// digest in which run b differs from run a, compared bit for bit.
func CompareRuns(a, b *store.Run) []Difference {
	var diffs []Difference
	fa, fb := FinalMetrics(a), FinalMetrics(b)
	for _, split := range unionKeys(fa, fb) {
		for _, name := range unionKeys(fa[split], fb[split]) {
			va, oka := fa[split][name]
			vb, okb := fb[split][name]
			if oka && okb && math.Float64bits(va) == math.Float64bits(vb) {
				continue
			}
			diffs = append(diffs, Difference{Field: split + "." + name, Original: formatValue(va, oka), Rerun: formatValue(vb, okb)})
		}
	}
	if a.WeightsSHA256 == "" || a.WeightsSHA256 != b.WeightsSHA256 {
		diffs = append(diffs, Difference{Field: "weights_sha256", Original: orDash(a.WeightsSHA256), Rerun: orDash(b.WeightsSHA256)})
	}
	return diffs
}

// formatValue writes v exactly (the shortest form that reads back to the
// same float64), so that two values that differ never print alike.
func formatValue(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// dataName is how the spec names data source name: its path as written.
func dataName(exp *spec.Experiment, name string) string {
	if name == "source" && exp.Spec.Data.Source.File != "" {
		return exp.Spec.Data.Source.File
	}
	return "data " + name
}

func unionKeys[V any](a, b map[string]V) []string {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return sortedKeys(m)
}

// proposedPoint rebuilds the point of a sweep that chose its points from
// results (tpe), which its files alone cannot list: from the values its
// sweep's queue recorded for orig's key. nil when orig is no such point.
func proposedPoint(ctx context.Context, st *store.Store, exp *spec.Experiment, orig *store.Run) (*spec.Point, error) {
	if exp.Spec.Sweep.Method != spec.MethodTPE || orig.SweepID == "" {
		return nil, nil
	}
	queued, err := st.SweepPoints(ctx, orig.SweepID)
	if err != nil {
		return nil, err
	}
	for _, q := range queued {
		if q.Key != orig.Key {
			continue
		}
		var params []spec.Param
		if err := json.Unmarshal(q.Params, &params); err != nil {
			return nil, fmt.Errorf("sweep %s point %d: params: %w", orig.SweepID, q.Index, err)
		}
		b, err := exp.PointBuilder()
		if err != nil {
			return nil, err
		}
		return b.PointOf(q.Index, params)
	}
	return nil, nil
}
