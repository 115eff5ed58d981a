package runner

import (
	"math"

	"github.com/xp-ml/xp/cue/spec"
	"github.com/xp-ml/xp/provenance"
	"github.com/xp-ml/xp/store"
)

// RunDiff is what differs between two runs: the resolved spec fields, the
// data, where they came from, and their final metrics.
type RunDiff struct {
	A RunSide `json:"a"`
	B RunSide `json:"b"`
	// Spec lists the leaf fields of the resolved specs that differ, by path
	// (spec.Diff).
	Spec []spec.ValueDiff `json:"spec"`
	// Data lists every data source of either run, same or not.
	Data []HashDiff `json:"data"`
	// Metrics lists every final metric (test, validation) of either run.
	Metrics []MetricDelta `json:"metrics"`
}

// RunSide is one of the runs of a RunDiff.
type RunSide struct {
	ID         int64  `json:"id"`
	Key        string `json:"key"`
	Experiment string `json:"experiment"`
	Status     string `json:"status"`
	Backend    string `json:"backend"`
	Commit     string `json:"commit,omitempty"`
	Branch     string `json:"branch,omitempty"`
	Dirty      bool   `json:"dirty"`
	Weights    string `json:"weights_sha256,omitempty"`
}

// HashDiff is one data source's sha256 in each run ("" where it has none).
type HashDiff struct {
	Name string `json:"name"`
	A    string `json:"a"`
	B    string `json:"b"`
	Same bool   `json:"same"`
}

// MetricDelta is one final metric in each run and B-A; nil where a run has
// no (finite) value.
type MetricDelta struct {
	Split string   `json:"split"`
	Name  string   `json:"name"`
	A     *float64 `json:"a"`
	B     *float64 `json:"b"`
	Delta *float64 `json:"delta"`
}

// Diff compares two stored runs.
func Diff(a, b *store.Run) (*RunDiff, error) {
	d := &RunDiff{A: side(a), B: side(b)}
	var err error
	if d.Spec, err = spec.Diff(a.Spec, b.Spec); err != nil {
		return nil, err
	}
	for _, name := range unionKeys(a.DataHashes, b.DataHashes) {
		ha, hb := a.DataHashes[name], b.DataHashes[name]
		d.Data = append(d.Data, HashDiff{Name: name, A: ha, B: hb, Same: ha == hb})
	}
	fa, fb := FinalMetrics(a), FinalMetrics(b)
	for _, split := range unionKeys(fa, fb) {
		for _, name := range unionKeys(fa[split], fb[split]) {
			m := MetricDelta{Split: split, Name: name, A: finite(fa[split], name), B: finite(fb[split], name)}
			if m.A != nil && m.B != nil {
				delta := *m.B - *m.A
				m.Delta = &delta
			}
			d.Metrics = append(d.Metrics, m)
		}
	}
	return d, nil
}

func side(r *store.Run) RunSide {
	s := RunSide{ID: r.ID, Key: r.Key, Experiment: r.Experiment, Status: string(r.Status), Backend: r.Backend,
		Dirty: r.Dirty, Weights: r.WeightsSHA256}
	if p, err := provenance.Parse(r.Provenance); err == nil {
		s.Commit, s.Branch = p.Commit, p.Branch
	}
	return s
}

func finite(m map[string]float64, name string) *float64 {
	v, ok := m[name]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
